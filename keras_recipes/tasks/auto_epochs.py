"""`Task.fit()` without `epochs`: hold out validation rows, stop, restore the best.

The policy behind `fit`'s default `epochs=None`: when there is no
`validation_data` or `validation_split`, hold out a seeded split itself (from
`AUTO_MIN_ROWS` rows, or any streamed file, whose rows are held out by
hash); train up to the task's `auto_max_epochs`; stop once its
`auto_monitor` has not improved for `auto_patience` epochs and restore the
weights of the best epoch (Keras' `EarlyStopping(restore_best_weights=True)`,
which restores at the end of training also when it did not stop early).
Without validation rows it watches the training figure instead.
"""

import keras

# The fewest training rows from which `fit()` without `epochs` holds out a
# validation split itself; below, it watches the training loss.
AUTO_MIN_ROWS = 50


def holds_out(data):
    """Whether `fit()` without `epochs` holds out validation rows of `data`.

    Example:

    >>> import numpy as np
    >>> from keras_recipes.data.pipeline import Data
    >>> holds_out(Data(x=np.zeros((60, 2)))), holds_out(Data(x=np.zeros((8, 2))))
    (True, False)
    """
    if data.source is not None:  # streamed: rows held out by hash
        return True
    return data.x is not None and len(data) >= AUTO_MIN_ROWS


def early_stopping(task, validated):
    """The early stopping of `task.fit()` without `epochs`.

    Args:
        task: the task being fitted (its `auto_monitor`, `auto_patience`).
        validated: whether the call has validation data; without it the
            training figure (`auto_monitor` without `val_`) is watched.

    Returns:
        A `keras.callbacks.EarlyStopping` that restores the best epoch.
    """
    monitor = task.auto_monitor
    if not validated and monitor.startswith("val_"):
        monitor = monitor[len("val_") :]
    return keras.callbacks.EarlyStopping(
        monitor=monitor,
        patience=int(task.auto_patience),
        restore_best_weights=True,
    )
