"""`RegularizerScheduler`: drives `kr.regularizers.ScheduledL1L2`."""

import keras

from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.regularizers import ScheduledL1L2


def scheduled_regularizers(model):
    """The `ScheduledL1L2` regularizers attached to the model's weights."""
    found = []
    for variable in model.weights:
        reg = getattr(variable, "regularizer", None)
        if isinstance(reg, ScheduledL1L2) and reg.schedule is not None:
            if all(reg is not other for other in found):
                found.append(reg)
    return found


@keras.saving.register_keras_serializable(package="keras_recipes")
class RegularizerScheduler(StatelessCallback):
    """Keeps every `ScheduledL1L2` of the model at the optimizer's step.

    Before each training batch, sets the step of every scheduled regularizer
    on the model's weights to `model.optimizer.iterations`.

    Example:

    >>> import numpy as np
    >>> from keras_recipes.regularizers import ScheduledL1L2
    >>> ramp = keras.optimizers.schedules.PolynomialDecay(0.0, 10, 1.0)
    >>> reg = ScheduledL1L2(l2=0.1, schedule=ramp)
    >>> model = keras.Sequential([keras.Input((2,)),
    ...                           keras.layers.Dense(1, kernel_regularizer=reg)])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=2,
    ...               callbacks=[RegularizerScheduler()], verbose=0)
    >>> int(reg.step.numpy())
    3
    """

    def __init__(self):
        super().__init__()
        self._regs = []

    def on_train_begin(self, logs=None):
        self._regs = scheduled_regularizers(self.model)

    def on_train_batch_begin(self, batch, logs=None):
        if self._regs:
            step = int(self.model.optimizer.iterations)
            for reg in self._regs:
                reg.step.assign(step)

    def get_config(self):
        return {}
