"""A classifier's class probabilities and true labels on labelled data.

What `kr.interpret`, `kr.plots.plot_confusion_matrix` and the
`ConfusionMatrixImage` callback share: predict any accepted labelled input
(a task's data kinds through the task protocol, `(x, y)` arrays, a
`tf.data.Dataset` of `(inputs, labels)`) and return the probabilities with
the class indices they are scored against.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_recipes import protocol
from keras_recipes import validation
from keras_recipes.data.pipeline import Data


def class_predictions(model, x, y, batch_size, caller):
    """Returns `(probabilities, int64 true class indices)` of a classifier.

    Raises a `ValueError` naming `caller` for a multi-label model (tags
    have no confusion matrix) and when the model does not output one
    probability per class. Labels may be indices or one-hot rows.

    Args:
        model: a classifier (a `kr.tasks.Task` or a `keras.Model` with one
            probability per class).
        x: labelled data: `(x, y)`, arrays, `kr.data.Data` or a batched
            `tf.data.Dataset` of `(inputs, labels)`.
        y: labels when `x` holds only inputs.
        batch_size: prediction batch size.
        caller: the public name that asked, for the error message.

    Returns:
        A tuple `(probabilities, labels)`: a `(n, classes)` float array and
        `n` int64 class indices.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> probs, labels = class_predictions(
    ...     model, np.eye(2), np.array([0, 1]), None, caller="example")
    >>> probs.shape, labels.tolist()
    ((2, 2), [0, 1])
    """
    if getattr(model, "multi_label", False):
        raise ValueError(
            f"`{caller}` needs a single-label classifier (one class per sample); "
            "for a multi_label=True model, `model.interpret(data)` gives the "
            "per-tag report. Received: a multi_label=True model"
        )
    probs, labels = collect(model, x, y, batch_size)
    if probs.ndim != 2 or probs.shape[-1] < 2:
        raise ValueError(
            f"`{caller}` needs a classifier with one probability per class. "
            f"Received: predictions of shape {probs.shape}"
        )
    labels = labels.reshape(len(labels), -1)
    labels = labels.argmax(-1) if labels.shape[-1] > 1 else labels[:, 0]
    return probs, labels.astype("int64")


def collect(model, x, y, batch_size):
    """Returns `(probabilities, labels)` for any accepted input, unchecked."""
    if protocol.is_task(model):
        data = model.to_data(x, y, "x")
        if data.dataset is None and data.source is None:
            probs = model.predict(
                Data(x=data.x, loader=data.loader, info=data.info),
                batch_size=batch_size,
                verbose=0,
            )
            return np.asarray(probs), np.asarray(data.y)
        dataset = model.make_dataset(data)
    elif isinstance(x, tf.data.Dataset):
        dataset = x
    else:
        if y is None and isinstance(x, tuple) and len(x) == 2:
            x, y = x
        if y is None:
            raise ValueError("Labels are missing: pass `(x, y)`. Received: y=None")
        probs = model.predict(x, batch_size=batch_size, verbose=0)
        return np.asarray(probs), validation.encode_labels("y", y)
    probs, labels = [], []
    for batch in dataset:
        if not isinstance(batch, tuple) or len(batch) < 2:
            raise ValueError(
                "`x` as a tf.data.Dataset must yield (inputs, labels) pairs. "
                f"Received: elements of type {type(batch).__name__}"
            )
        probs.append(np.asarray(keras.Model.predict_on_batch(model, batch[0])))
        labels.append(np.asarray(batch[1]))
    return np.concatenate(probs), np.concatenate(labels)


__all__ = ["class_predictions"]
