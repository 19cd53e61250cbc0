"""`OneCycleScheduler` callback and `fit_one_cycle` behind `Task.fit_one_cycle`."""

import keras

from keras_recipes import validation
from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.callbacks.lr_finder import settable_learning_rate
from keras_recipes.callbacks.lr_finder import task_fit_overrides
from keras_recipes.schedules import OneCycle


@keras.saving.register_keras_serializable(package="keras_recipes")
class OneCycleScheduler(StatelessCallback):
    """Drives the optimizer's learning rate along a one-cycle curve per batch.

    Uses `kr.schedules.OneCycle` with `total_steps = epochs * steps_per_epoch`
    (taken from `fit` when `total_steps` is `None`). The learning rate is set
    before each batch, and the original value is put back when training ends
    so a later `fit` starts where it was. The current value is logged as
    `learning_rate` at each epoch end.

    Args:
        max_lr: peak learning rate (> 0).
        total_steps: optional total number of batches; default from `fit`.
        pct_start: fraction of the steps spent warming up, in `(0, 1)`.
        div_factor: the cycle starts at `max_lr / div_factor`.
        final_div_factor: it ends at `max_lr / (div_factor * final_div_factor)`.

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.01), "mse")
    >>> cycle = OneCycleScheduler(max_lr=0.1)
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=2,
    ...                     epochs=2, callbacks=[cycle], verbose=0)
    >>> round(max(cycle.history), 3), round(float(model.optimizer.learning_rate), 3)
    (0.1, 0.01)
    """

    def __init__(
        self,
        max_lr,
        total_steps=None,
        pct_start=0.25,
        div_factor=25.0,
        final_div_factor=1e4,
    ):
        super().__init__()
        if max_lr is None:
            raise ValueError(
                "`max_lr` must be a learning rate > 0. `lr_find` returns "
                "`suggested_lr=None` when its curve shows no clear descent (its "
                "`message` says why): pass a learning rate yourself. "
                "Received: max_lr=None"
            )
        validation.check_float("max_lr", max_lr)
        if max_lr <= 0:
            raise ValueError(f"`max_lr` must be > 0. Received: max_lr={max_lr}")
        if total_steps is not None:
            validation.check_int("total_steps", total_steps, minimum=1)
        # Validates the remaining arguments (same names as OneCycle's).
        OneCycle(max_lr, total_steps or 1, pct_start, div_factor, final_div_factor)
        self.max_lr = max_lr
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.history = []

    def on_train_begin(self, logs=None):
        settable_learning_rate(self.model.optimizer, "OneCycleScheduler")
        total = self.total_steps
        if total is None:
            steps = self.params.get("steps")
            if not steps:
                raise ValueError(
                    "`OneCycleScheduler` needs `total_steps=` when the number of "
                    "batches per epoch is unknown (e.g. a repeated tf.data "
                    f"dataset). Received: steps per epoch={steps!r}"
                )
            total = int(steps) * int(self.params["epochs"])
        self._schedule = OneCycle(
            self.max_lr,
            total,
            self.pct_start,
            self.div_factor,
            self.final_div_factor,
        )
        self._original = float(self.model.optimizer.learning_rate)
        self._step = 0
        self.history = []

    def on_train_batch_begin(self, batch, logs=None):
        lr = float(self._schedule(self._step))
        self.model.optimizer.learning_rate = lr
        self.history.append(lr)
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.history:
            logs["learning_rate"] = self.history[-1]

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate = self._original

    def get_config(self):
        return {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
        }


def fit_one_cycle(
    model,
    x=None,
    y=None,
    epochs=1,
    max_lr=None,
    callbacks=None,
    pct_start=0.25,
    div_factor=25.0,
    final_div_factor=1e4,
    **kwargs,
):
    """Trains with the one-cycle policy (see `OneCycleScheduler`).

    Args:
        model: a compiled `keras.Model` (a `kr.tasks.Task` accepts every input
            kind its `fit` accepts).
        x: training data.
        y: labels when `x` holds only inputs.
        epochs: number of epochs (>= 1).
        max_lr: peak learning rate; `None` uses the optimizer's current
            learning rate (the template's tuned default), or pass
            `model.lr_find(data).suggested_lr` (which is `None`, and so falls
            back to that default, when the range test found no clear
            descent).
        callbacks: extra callbacks.
        pct_start: warmup fraction.
        div_factor: start LR = max_lr / div_factor.
        final_div_factor: final LR = start LR / final_div_factor.
        **kwargs: passed to `fit` (`batch_size`, `validation_data`, ...).

    Returns:
        The `History` of `fit`.
    """
    validation.check_int("epochs", epochs, minimum=1)
    if max_lr is None:
        settable_learning_rate(model.optimizer, "fit_one_cycle")
        max_lr = float(model.optimizer.learning_rate)
    scheduler = OneCycleScheduler(max_lr, None, pct_start, div_factor, final_div_factor)
    callbacks = [scheduler, *(callbacks or [])]
    for key, value in task_fit_overrides(model).items():
        if kwargs.get(key, value) != value:
            raise ValueError(
                f"`fit_one_cycle` sets the learning rate itself; `{key}` must be "
                f"left out. Received: {key}={kwargs[key]!r}"
            )
        kwargs[key] = value
    return model.fit(x, y, epochs=epochs, callbacks=callbacks, **kwargs)
