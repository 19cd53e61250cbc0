"""`EpochCosineDecay`: the tasks' default per-epoch learning-rate decay."""

import keras
import numpy as np


class EpochCosineDecay(keras.callbacks.Callback):
    """Cosine-decays the learning rate once per epoch; restores it at the end.

    What `kr.tasks.Task.fit(lr_schedule="cosine")` adds: epoch `e` of
    `epochs` trains at `base * 0.5 * (1 + cos(pi * e / epochs))`, where
    `base` is the optimizer's learning rate when training starts. An
    optimizer with a `LearningRateSchedule` is left alone.

    Args:
        epochs: the number of epochs of the run (the period's end).

    Example:

    >>> decay = EpochCosineDecay(epochs=10)
    >>> decay.epochs
    10
    """

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        self.base = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        try:  # a LearningRateSchedule cannot be overwritten: leave it alone
            optimizer.learning_rate = self.base
        except TypeError:
            self.base = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.base is not None:
            scale = 0.5 * (1.0 + np.cos(np.pi * epoch / self.epochs))
            self.model.optimizer.learning_rate = self.base * float(scale)

    def on_train_end(self, logs=None):
        if self.base is not None:
            self.model.optimizer.learning_rate = self.base
