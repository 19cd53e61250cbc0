"""Shared base of the keras_recipes callbacks."""

import keras


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
