"""`TerminateOnNaN`: fail loudly, naming the epoch and batch."""

import math

import keras

from keras_recipes.callbacks.base import StatelessCallback


@keras.saving.register_keras_serializable(package="keras_recipes")
class TerminateOnNaN(StatelessCallback):
    """Raises `FloatingPointError` as soon as the loss becomes NaN or inf.

    Unlike `keras.callbacks.TerminateOnNaN`, which stops silently, the error
    names the epoch and batch where the loss diverged (both 1-based) and
    suggests fixes, and training ends with that exception.

    Args:
        monitor: the log key to check (default `"loss"`).

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(1e30), "mse")
    >>> model.fit(np.ones((8, 1)) * 1e20, np.ones((8, 1)), batch_size=4,
    ...           callbacks=[TerminateOnNaN()], verbose=0)
    Traceback (most recent call last):
    ...
    FloatingPointError: loss became inf at epoch 1, batch 1 ...
    """

    def __init__(self, monitor="loss"):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"`monitor` must be a log key such as 'loss'. Received: "
                f"monitor={monitor!r}"
            )
        self.monitor = monitor
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        value = float(value)
        if not math.isfinite(value):
            self.model.stop_training = True
            raise FloatingPointError(
                f"{self.monitor} became {value} at epoch {self._epoch + 1}, batch "
                f"{batch + 1} (1-based). Try a lower learning rate (see "
                "`model.lr_find`), gradient clipping (`clipnorm=1.0`), or check "
                "the inputs for NaN/inf or unscaled values."
            )

    def get_config(self):
        return {"monitor": self.monitor}
