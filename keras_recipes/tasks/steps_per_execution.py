"""`steps_per_execution="auto"`: several train steps per call, when it is safe.

Keras runs `steps_per_execution` train steps inside one `tf.function` call and
calls the batch-level callback hooks once per such chunk (with the chunk's
first and last batch index). Fewer host round trips make small models train
faster (image template on digits, 2-core CPU: 1.08-1.16x samples/s,
benchmarks/RESULTS.md), but a callback that must see every batch (a per-batch
learning-rate sweep, per-batch logging) would silently see every 16th.

So the templates compile with `steps_per_execution="auto"`, which each `fit`
/ `evaluate` resolves here: `AUTO_STEPS_PER_EXECUTION` when every callback is
known to be fine with chunks and the call runs at least the template's
`auto_min_steps` steps, counting the model's earlier calls at one step per
call (`AUTO_MIN_STEPS` unless the template sets its own; or once the
multi-step function is traced), else 1 (Keras' default); 1 as well under a
distribution strategy, where Keras 3.15's multi-step loop fails. An
explicit integer is passed to Keras unchanged, with Keras' semantics.
"""

import numbers

import keras

AUTO_STEPS_PER_EXECUTION = 16
# The multi-step function takes longer to trace and optimise on its first call
# (2-core CPU: 0.2-0.8 s more for the tabular, image and text templates, for
# 1.2-3.3 ms saved per step; benchmarks/overhead.py --section steps), so "auto"
# only switches for calls long enough to win that back, or once it is traced.
# The default for a model whose template sets no `auto_min_steps` of its own.
AUTO_MIN_STEPS = 1000

_BATCH_HOOKS = {
    "train": (
        "on_batch_begin",
        "on_batch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        # fit's validation runs the test hooks
        "on_test_batch_begin",
        "on_test_batch_end",
    ),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
}


def check_steps_per_execution(value):
    """Validates a `compile(steps_per_execution=...)` value."""
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            "`steps_per_execution` must be 'auto' or an integer >= 1. "
            f"Received: steps_per_execution={value!r}"
        )
    return int(value)


def _is_default(callback, hook):
    method = getattr(callback, hook, None)
    return getattr(method, "__func__", None) is getattr(keras.callbacks.Callback, hook)


def chunk_safe(callback, mode="train"):
    """Whether `callback` gives the same result when hooks run once per chunk.

    True when it overrides no batch-level hook, when it declares
    `steps_per_execution_safe = True` (the kit's `TerminateOnNaN`,
    `TimeBudget`, `ProgressBar`), or for Keras/KerasTuner callbacks whose
    batch hooks do nothing at their settings (`TensorBoard` with
    `update_freq="epoch"`, `ModelCheckpoint`/`BackupAndRestore` with
    `save_freq="epoch"`, the progress bar, KerasTuner's trial callback).
    """
    if getattr(callback, "steps_per_execution_safe", False):
        return True
    if all(_is_default(callback, hook) for hook in _BATCH_HOOKS[mode]):
        return True
    if isinstance(callback, keras.callbacks.ProgbarLogger):
        return True
    if isinstance(callback, keras.callbacks.TensorBoard):
        return callback.update_freq == "epoch"
    if isinstance(
        callback, keras.callbacks.ModelCheckpoint | keras.callbacks.BackupAndRestore
    ):
        return callback.save_freq == "epoch"
    if type(callback).__name__ == "TunerCallback":  # keras_tuner, not imported
        tuner = type(getattr(callback, "tuner", None))
        return all(
            getattr(tuner, hook, None) is _base_tuner_hook(hook)
            for hook in ("on_batch_begin", "on_batch_end")
        )
    return False


def _base_tuner_hook(hook):
    try:
        import keras_tuner
    except ImportError:  # pragma: no cover - keras_tuner is a dependency
        return None
    return getattr(keras_tuner.Tuner, hook, None)


def resolve(
    setting,
    callbacks=(),
    mode="train",
    steps=(),
    strategy=None,
    planned_steps=None,
    traced=(),
    min_steps=None,
    steps_run=0,
):
    """The steps per execution for one `fit`/`evaluate` call.

    Args:
        setting: the compiled value, `"auto"` or an integer.
        callbacks: the call's callbacks.
        mode: `"train"` (fit, including its validation) or `"test"`.
        steps: explicit step counts of the call (`steps_per_epoch`,
            `validation_steps`, `steps`; `None` entries ignored). A repeated
            dataset only stops at these counts, and Keras runs whole chunks,
            so under `"auto"` the chunk must divide them.
        strategy: the model's `tf.distribute` strategy, if any.
        planned_steps: train (or test) steps the call will run, `None` when
            unknown (then counted as many).
        traced: the steps-per-execution values for which the model already
            holds a traced function for this mode (no tracing cost left to
            win back).
        min_steps: the fewest steps for which the multi-step function's
            longer first trace pays off; `None`: `AUTO_MIN_STEPS`.
        steps_run: steps the model already ran in this mode at one step per
            call (since its compile), counted with `planned_steps` against
            `min_steps`. A model trained in many short calls switches once
            they add up to what the tracing costs, the ski-rental rule: its
            total time stays within twice that of the better choice made
            in hindsight.

    Returns:
        An integer >= 1.
    """
    if setting != "auto":
        return setting
    if strategy is not None and not type(strategy).__name__.startswith("_Default"):
        # Keras 3.15's multi-step loop fails under MirroredStrategy ("You must
        # feed a value for placeholder tensor ... while/cond", the optimizer's
        # merge_call inside its tf.cond; keras-team/keras#19246).
        return 1
    if not all(chunk_safe(callback, mode) for callback in callbacks):
        return 1
    chunk = AUTO_STEPS_PER_EXECUTION
    steps = [int(s) for s in steps if s is not None]
    if steps:
        chunk = max(d for d in range(1, chunk + 1) if all(s % d == 0 for s in steps))
    if min_steps is None:
        min_steps = AUTO_MIN_STEPS
    short = planned_steps is not None and planned_steps + steps_run < min_steps
    if short and chunk not in traced:
        return 1
    return chunk


# --------------------------------------------------- applying it to a model
def reset(model):
    """Starts a compiled model's bookkeeping: traced functions, steps run."""
    model.__dict__["_functions_by_steps"] = {}  # untracked: plain functions
    # Steps run at one step per call under "auto", per mode, since compile.
    model.__dict__["_steps_at_one"] = {"train": 0, "test": 0}


def use(model, steps):
    """Switches Keras to `steps` per call, keeping each traced function.

    Keras traces its train/test/predict functions for one value of
    `steps_per_execution`; switching back and forth (an `lr_find`, then a
    `fit`) reuses the functions traced before instead of tracing again.
    """
    if steps == model.steps_per_execution:
        return
    cache = model.__dict__.setdefault("_functions_by_steps", {})
    cache[model.steps_per_execution] = (
        model.train_function,
        model.test_function,
        model.predict_function,
    )
    model.steps_per_execution = steps
    model.train_function, model.test_function, model.predict_function = cache.pop(
        steps, (None, None, None)
    )


def setting_of(model):
    """The compiled setting (`"auto"` or an integer); `None` if not compiled."""
    config = getattr(model, "_compile_config", None)
    return None if config is None else config.config.get("steps_per_execution")


def resolve_for_predict(model):
    """One step per call for `predict` under `"auto"`."""
    if setting_of(model) == "auto":
        # Keras unrolls a multi-step predict in Python (a graph 16 models
        # big, traced again for the last, shorter chunk): one step per call.
        use(model, 1)


def resolve_for_call(model, callbacks=(), mode="train", steps=(), planned_steps=None):
    """Resolves `"auto"` for one `fit` (or `evaluate`) call and switches to it.

    Args:
        model: a model compiled by `kr.tasks.Task.compile` (with its
            `auto_min_steps`).
        callbacks, mode, steps, planned_steps: as for `resolve`.
    """
    setting = setting_of(model)
    if setting != "auto":  # an integer: Keras' meaning, nothing to switch
        return
    index = 0 if mode == "train" else 1
    functions = dict(model.__dict__.get("_functions_by_steps", {}))
    functions[model.steps_per_execution] = (model.train_function, model.test_function)
    traced = {k for k, fns in functions.items() if fns[index] is not None}
    steps_at_one = model.__dict__.setdefault("_steps_at_one", {})
    resolved = resolve(
        setting,
        callbacks,
        mode=mode,
        steps=steps,
        strategy=model.distribute_strategy,
        planned_steps=planned_steps,
        traced=traced,
        min_steps=model.auto_min_steps,
        steps_run=steps_at_one.get(mode, 0),
    )
    if resolved == 1 and planned_steps:
        steps_at_one[mode] = steps_at_one.get(mode, 0) + planned_steps
    use(model, resolved)
