"""Resolve `strategy=` arguments to a `tf.distribute.Strategy`."""

import tensorflow as tf

STRATEGIES = (None, "auto", "mirrored", "multi_worker")


def get_strategy(strategy=None):
    """Resolves a `strategy=` argument.

    Args:
        strategy: `None` (the current/default strategy), `"auto"`
            (MirroredStrategy over all GPUs when there are 2 or more, else
            the default), `"mirrored"` (MirroredStrategy over all local
            devices), `"multi_worker"` (MultiWorkerMirroredStrategy from
            `TF_CONFIG`), or a `tf.distribute.Strategy` (returned as is).

    Returns:
        A `tf.distribute.Strategy`.

    Example:

    >>> get_strategy(None).num_replicas_in_sync
    1
    """
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy is None:
        return tf.distribute.get_strategy()
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        from keras_recipes.data.validation import did_you_mean

        raise ValueError(
            "`strategy` must be None, 'auto', 'mirrored', 'multi_worker' or a "
            f"tf.distribute.Strategy.{did_you_mean(strategy, STRATEGIES[1:])} "
            f"Received: strategy={strategy!r}"
        )
    if strategy == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) >= 2:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            return tf.distribute.MirroredStrategy([d.name for d in gpus])
        cpus = tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    from keras_recipes.distribute import multi_worker

    return multi_worker.strategy()


def round_batch_size(batch_size, strategy):
    """Rounds a global batch size up to a multiple of the replica count."""
    replicas = int(strategy.num_replicas_in_sync)
    return int(-(-int(batch_size) // replicas) * replicas)
