"""MultiWorkerMirroredStrategy from `TF_CONFIG`, with a fix that lets `fit` run.

Keras 3 `fit` fails under `tf.distribute.MultiWorkerMirroredStrategy` as soon as
there are 2+ workers (keras-team/keras#20585). Both failures are calls that the
Keras TensorFlow trainer makes to the *strategy's* `reduce` method and that
TensorFlow's collective strategy rejects:

1. `fit`/`evaluate` first build the model from one batch
   (`TensorFlowTrainer._maybe_symbolic_build`) with
   `strategy.reduce("MEAN", (x, y, ...), axis=None)`: a *nested structure* of
   per-replica tensors. `Strategy.reduce` does not support nests (TF's own
   `TODO: support value being a nest`); single-worker strategies pass the nest
   through untouched, but the collective strategy hands it to an all-reduce,
   which fails with `Attempt to convert a value (PerReplica:{...}) with an
   unsupported type ... to a Tensor`. Only shapes and dtypes of that batch
   are used, so the fix returns the first local replica's values for a nest.
2. Every train/test step reduces the step's logs (loss, metric results: scalars)
   with `reduce_per_replica(..., "mean")`, which under multi-worker calls
   `strategy.reduce("MEAN", value, axis=0)`. `axis=0` on a scalar raises
   `Invalid reduction dimension 0 for input with 0 dimensions`. The fix reduces
   scalars across replicas only (`axis=None`), which is what the single-worker
   path of the same Keras function does (`reduce_mean` over replica results).

`patch_strategy(strategy)` wraps `reduce` *on that strategy instance only*
(no global monkey patch, no `keras.src` import) and only changes the two kinds
of call above, both of which raise without it; every other call goes to
TensorFlow's `reduce` unchanged. It is applied by `get_strategy("multi_worker")`
and by `get_strategy(strategy)` for a `MultiWorkerMirroredStrategy` instance,
so every factory's `strategy=` gets it. It is guarded by the Keras versions it
was checked against (`AFFECTED_KERAS`): `tests/distribute/test_multi_worker.py`
fails on a Keras upgrade that needs it re-checked.
"""

import json
import os

import keras
import tensorflow as tf

# Keras versions whose TF trainer makes the two failing `reduce` calls
# (checked against the source of 3.15.1; the calls date back to 3.0).
AFFECTED_KERAS = ((3, 0), (3, 16))
_PATCHED = "_keras_recipes_reduce_patch"


def _keras_version():
    parts = []
    for part in keras.__version__.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def needs_patch(version=None):
    """Whether this Keras version needs the multi-worker `reduce` fix.

    Example:

    >>> needs_patch((3, 15))
    True
    >>> needs_patch((3, 16))
    False
    """
    version = _keras_version() if version is None else tuple(version)
    low, high = AFFECTED_KERAS
    return low <= version < high


def _is_nest(value):
    return isinstance(value, list | tuple | dict) and not isinstance(
        value, tf.distribute.DistributedValues
    )


def _first_local(strategy, value):
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


def _is_scalar(strategy, value):
    first = _first_local(strategy, value)
    shape = getattr(first, "shape", None)
    return shape is not None and shape.rank == 0


def patch_strategy(strategy):
    """Makes Keras `fit`/`evaluate` work under a `MultiWorkerMirroredStrategy`.

    Wraps `strategy.reduce` on this instance (see the module docstring for the
    two Keras calls it fixes). Idempotent; a no-op for other strategies and
    for Keras versions outside `AFFECTED_KERAS`.

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        The same strategy object.

    Example:

    >>> s = tf.distribute.get_strategy()
    >>> patch_strategy(s) is s
    True
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return strategy
    if getattr(strategy, _PATCHED, False) or not needs_patch():
        return strategy
    original = strategy.reduce

    def reduce(reduce_op, value, axis=None):
        if _is_nest(value):  # Keras' sample batch for the symbolic build
            return tf.nest.map_structure(lambda v: _first_local(strategy, v), value)
        if axis is not None and _is_scalar(strategy, value):  # step logs
            axis = None
        return original(reduce_op, value, axis=axis)

    strategy.reduce = reduce
    setattr(strategy, _PATCHED, True)
    return strategy


def check_tf_config(config=None):
    """Validates a `TF_CONFIG` value; returns it parsed.

    Args:
        config: JSON string; defaults to the `TF_CONFIG` environment variable.

    Returns:
        The parsed dict (`cluster` and `task`).

    Example:

    >>> check_tf_config('{"cluster": {"worker": ["127.0.0.1:2222"]}, '
    ...                 '"task": {"type": "worker", "index": 0}}')["task"]
    {'type': 'worker', 'index': 0}
    """
    if config is None:
        config = os.environ.get("TF_CONFIG")
    if not config:
        raise ValueError(
            "`strategy='multi_worker'` needs the TF_CONFIG environment variable "
            "(cluster + task). Received: TF_CONFIG unset"
        )
    try:
        parsed = json.loads(config)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"TF_CONFIG must be JSON. Received: TF_CONFIG={config[:80]!r} ({error})"
        ) from None
    if (
        not isinstance(parsed, dict)
        or not isinstance(parsed.get("cluster"), dict)
        or not isinstance(parsed.get("task"), dict)
    ):
        raise ValueError(
            "TF_CONFIG must be a JSON object with `cluster` and `task` keys. "
            f"Received: TF_CONFIG={config[:80]!r}"
        )
    task = parsed["task"]
    members = parsed["cluster"].get(task.get("type"))
    index = task.get("index")
    if not isinstance(members, list) or not isinstance(index, int):
        raise ValueError(
            "TF_CONFIG `task` must name a job of `cluster` and an integer index. "
            f"Received: task={task!r}, cluster jobs={sorted(parsed['cluster'])}"
        )
    if not 0 <= index < len(members):
        raise ValueError(
            f"TF_CONFIG task index must be in [0, {len(members)}). "
            f"Received: index={index}"
        )
    return parsed


def is_chief():
    """Whether this process is the chief (writes checkpoints, logs, exports).

    The chief is the `chief` task if the cluster has one, else worker 0; a
    process without `TF_CONFIG` is its own chief.

    Example:

    >>> is_chief()
    True
    """
    config = os.environ.get("TF_CONFIG")
    if not config:
        return True
    parsed = json.loads(config)
    task = parsed.get("task", {})
    task_type, index = task.get("type"), task.get("index", 0)
    if task_type == "chief":
        return True
    if "chief" in parsed.get("cluster", {}):
        return False
    return task_type in (None, "worker") and index == 0


def strategy():
    """Builds a patched MultiWorkerMirroredStrategy from `TF_CONFIG`."""
    check_tf_config()
    return patch_strategy(tf.distribute.MultiWorkerMirroredStrategy())
