"""Shared base of the keras_recipes callbacks."""

import keras
import numpy as np


class StatelessCallback(keras.callbacks.Callback):
    """A callback whose constructor arguments are its whole configuration.

    `copy.deepcopy` (which KerasTuner applies to the callbacks of every
    trial) returns a fresh instance built from `get_config()`: no state of a
    previous run leaks into the copy, and large references (datasets, open
    files) are shared rather than copied.
    """

    def get_config(self):
        raise NotImplementedError

    def __deepcopy__(self, memo):
        return type(self)(**self.get_config())

    def _model_task(self):
        """The model if it is a `kr.tasks.Task`, else `None`."""
        from keras_recipes.tasks.task import Task

        return self.model if isinstance(self.model, Task) else None


def read_values(variables):
    """Copies of the current values of Keras `variables`, as numpy arrays.

    What `TerminateOnNaN` keeps each epoch and `lr_find` keeps for its
    run, to put back with `assign`/`set_weights`. One eager read per
    variable: `get_weights()` and `Variable.numpy()` take
    about twice as long (2-core CPU: the tabular template's 39 variables
    2.2 vs 4.3 ms, the image template's 143 10.7 vs 19.6 ms;
    `benchmarks/nan_snapshot.py`), which shows when an epoch takes tens of
    milliseconds (small tables). `value()` of a `tf.Variable` (or of a
    strategy's mirrored one, outside a replica context) reads it; the copy
    keeps the value of this moment whatever later updates do to the
    variable's buffer.
    """
    return [np.array(variable.value.value()) for variable in variables]
