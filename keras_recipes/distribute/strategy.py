"""Resolve `strategy=` arguments to a `tf.distribute.Strategy`."""

import keras
import tensorflow as tf

from keras_recipes.distribute import multi_worker
from keras_recipes.validation import did_you_mean

STRATEGIES = (None, "auto", "mirrored", "multi_worker")

# One MirroredStrategy per device list, reused by every model of the process.
# Two MirroredStrategy objects over the same devices issue collective ops with
# the same instance keys; when both have trained a model, their collectives
# (e.g. the gather of sparse Embedding gradients) get matched with each
# other's and fail with "Shape mismatch in the collective instance ...".
_MIRRORED = {}


def _mirrored(devices):
    key = tuple(devices)
    if key not in _MIRRORED:
        _MIRRORED[key] = tf.distribute.MirroredStrategy(list(key))
    return _MIRRORED[key]


def get_strategy(strategy=None):
    """Resolves a `strategy=` argument.

    Args:
        strategy: `None` (the current/default strategy), `"auto"`
            (MirroredStrategy over all GPUs when there are 2 or more, else
            the default), `"mirrored"` (MirroredStrategy over all local GPUs,
            else all logical CPUs; one shared instance per device list),
            `"multi_worker"` (MultiWorkerMirroredStrategy from `TF_CONFIG`),
            or a `tf.distribute.Strategy` (returned as is; a
            `MultiWorkerMirroredStrategy` gets the Keras `fit` fix of
            `keras_recipes.distribute.multi_worker.patch_strategy`).

    Returns:
        A `tf.distribute.Strategy`.

    Example:

    >>> get_strategy(None).num_replicas_in_sync
    1
    """
    if isinstance(strategy, tf.distribute.Strategy):
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            multi_worker.patch_strategy(strategy)
        return strategy
    if strategy is None:
        return tf.distribute.get_strategy()
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise ValueError(
            "`strategy` must be None, 'auto', 'mirrored', 'multi_worker' or a "
            f"tf.distribute.Strategy.{did_you_mean(strategy, STRATEGIES[1:])} "
            f"Received: strategy={strategy!r}"
        )
    if strategy == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) >= 2:
            return _mirrored(d.name for d in gpus)
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            return _mirrored(d.name for d in gpus)
        return _mirrored(d.name for d in tf.config.list_logical_devices("CPU"))

    return multi_worker.strategy()


def round_batch_size(batch_size, strategy):
    """Rounds a global batch size up to a multiple of the replica count.

    Each replica then gets `batch_size // replicas` samples per step. Datasets
    the user batches themselves (`tf.data.Dataset`) are not re-batched.

    Args:
        batch_size: the requested global batch size.
        strategy: a `tf.distribute.Strategy`.

    Returns:
        The rounded global batch size (an `int`).

    Example:

    >>> round_batch_size(33, tf.distribute.get_strategy())
    33
    """
    replicas = int(strategy.num_replicas_in_sync)
    return int(-(-int(batch_size) // replicas) * replicas)


def synchronize_batch_norm(model):
    """Makes every `BatchNormalization` layer of `model` use global-batch stats.

    Under a `MirroredStrategy` each replica normalises with the statistics of
    its own slice of the batch (`batch_size / replicas` samples), so training
    differs slightly from one device. With `synchronized=True` the mean and
    variance are all-reduced across replicas at every step (one small
    all-reduce per layer), and 2 replicas train like 1 device. On one device
    it changes nothing.

    Args:
        model: a built `keras.Model`.

    Returns:
        The number of layers changed.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)),
    ...                           keras.layers.BatchNormalization()])
    >>> synchronize_batch_norm(model)
    1
    """

    changed = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            if not layer.synchronized:
                layer.synchronized = True
                changed += 1
    return changed
