"""`kr.tasks.Classifier`: what every single-label classifier shares."""

import keras
import numpy as np

from keras_recipes import validation
from keras_recipes.interpret import interpret
from keras_recipes.tasks.task import Task


def check_classes(num_classes, class_names):
    """Checks a classifier's `num_classes` (>= 2) and `class_names` against it.

    Returns:
        `num_classes` as an int.

    Example:

    >>> check_classes(2, ["no", "yes"])
    2
    """
    num_classes = validation.check_size(
        "num_classes", num_classes, validation.MAX_CLASSES, minimum=2
    )
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must hold num_classes={num_classes} names. "
            f"Received: class_names={list(class_names)}"
        )
    return num_classes


@keras.saving.register_keras_serializable(package="keras_recipes")
class Classifier(Task):
    """Base of the single-label classifiers: class names and labels.

    Sits between `kr.tasks.Task` (the shared data path, `fit` plumbing, save
    and export) and the classification templates (`ImageClassifier`,
    `TabularClassifier`, `TextClassifier`). It adds what only a classifier
    has: class names kept in the config (so `predict_labels` returns names
    after a save/load), label encoding (names or indices to class indices),
    sparse categorical cross-entropy and accuracy as its `"auto"` loss and
    metrics, `predict_labels` and `interpret`. Regressor and multi-label
    bases go beside it, not under it.

    Args:
        class_names: optional list of class names (strings).
        **kwargs: passed to `kr.tasks.Task` (`inputs`, `outputs`, `name`).

    Example:

    >>> import keras
    >>> import keras_recipes as kr
    >>> inputs = keras.Input((2,))
    >>> outputs = keras.layers.Dense(2, activation="softmax")(inputs)
    >>> model = kr.tasks.Classifier(
    ...     inputs=inputs, outputs=outputs, class_names=["no", "yes"]
    ... )
    >>> model.compile()
    >>> len(model.predict_labels(np.zeros((3, 2), "float32")))
    3
    """

    def __init__(self, *args, class_names=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_names = None if class_names is None else list(class_names)

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def encode_y(self, y, name="y"):
        """Turns raw labels (names or indices) into class indices."""
        return validation.encode_labels(
            name, y, class_names=self.class_names, num_classes=self._num_outputs()
        )

    def check_class_weight(self, class_weight):
        """Validates `fit(class_weight=)`: every class, by index or name."""
        return validation.check_class_weight(
            "class_weight", class_weight, self._num_outputs(), self.class_names
        )

    def encode_data_y(self, data, name="x"):
        """Encodes an adapter's labels, checking its class names match."""
        if data.class_names and self.class_names:
            if list(data.class_names) != list(self.class_names):
                raise ValueError(
                    f"`{name}` has class names {data.class_names} but the "
                    f"model was built for {self.class_names}."
                )
        if data.class_names is not None and np.asarray(data.y).dtype.kind in "iu":
            # An adapter that named the classes (a folder) gives indices.
            return validation.encode_labels(
                f"{name}.y", data.y, num_classes=self._num_outputs()
            )
        return super().encode_data_y(data, name)

    def predict_labels(self, x, batch_size=None, verbose=0):
        """Predicts class names (or class indices when the model has none).

        Returns:
            A list of class names, or a numpy array of class indices.
        """
        probs = self.predict(x, batch_size=batch_size, verbose=verbose)
        index = np.argmax(probs, axis=-1)
        if self.class_names is None:
            return index
        return [self.class_names[i] for i in index]

    def interpret(self, x=None, y=None, **kwargs):
        """Confusion matrix, per-class report, most confused, top losses.

        See `kr.interpret.interpret`; returns an `Interpretation`.
        """
        return interpret(self, x, y, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["class_names"] = self.class_names
        return config
