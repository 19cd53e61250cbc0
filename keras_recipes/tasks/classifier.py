"""`kr.tasks.Classifier`: what every single-label classifier shares."""

import inspect

import keras
import numpy as np

from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.data.pipeline import split
from keras_recipes.interpret import interpret
from keras_recipes.interpret import interpret_multi_label
from keras_recipes.tasks import multi_label as multi_label_lib
from keras_recipes.tasks.task import Task


def check_classes(num_classes, class_names, multi_label=False):
    """Checks a classifier's `num_classes` (>= 2) and `class_names` against it.

    A multi-label classifier may have a single tag (`num_classes >= 1`).

    Returns:
        `num_classes` as an int.

    Example:

    >>> check_classes(2, ["no", "yes"])
    2
    """
    num_classes = validation.check_size(
        "num_classes",
        num_classes,
        validation.MAX_CLASSES,
        minimum=1 if multi_label else 2,
    )
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must hold num_classes={num_classes} names. "
            f"Received: class_names={list(class_names)}"
        )
    return num_classes


@keras.saving.register_keras_serializable(package="keras_recipes")
class Classifier(Task):
    """Base of the classifiers: class names, labels, single- or multi-label.

    Sits between `kr.tasks.Task` (the shared data path, `fit` plumbing, save
    and export) and the classification templates (`ImageClassifier`,
    `TabularClassifier`, `TextClassifier`). It adds what only a classifier
    has: class names kept in the config (so `predict_labels` returns names
    after a save/load), label encoding (names or indices to class indices),
    sparse categorical cross-entropy and accuracy as its `"auto"` loss and
    metrics, `predict_labels` and `interpret`. Regressors go beside it.

    With `multi_label=True` a sample has any number of classes ("tags"),
    none included: the templates put a sigmoid head on the model
    (`kr.tasks.multi_label.head_activation`), labels are tag lists or a 0/1
    matrix (`kr.tasks.multi_label.encode_tags`), the loss is binary
    cross-entropy, the metrics micro/macro F1 and AUC, `predict_labels`
    returns a list of tags per sample (each tag whose probability reaches
    its threshold) and `fit(..., threshold="auto")` tunes each tag's
    threshold for F1 on the validation data.

    Args:
        class_names: optional list of class names (strings).
        multi_label: whether a sample may have several classes (or none).
        thresholds: multi-label only: per-tag decision thresholds of
            `predict_labels` (`None`: 0.5 each); set by
            `fit(threshold="auto")` and kept in the config.
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

    def __init__(
        self, *args, class_names=None, multi_label=False, thresholds=None, **kwargs
    ):
        multi_label = multi_label_lib.check_multi_label(multi_label)
        super().__init__(*args, **kwargs)
        if not multi_label and thresholds is not None:
            raise ValueError(
                "`thresholds` applies to multi_label=True models only. "
                f"Received: thresholds={thresholds!r} with multi_label=False"
            )
        self.class_names = None if class_names is None else list(class_names)
        self.multi_label = multi_label
        self.thresholds = multi_label_lib.check_thresholds(
            thresholds, self._num_outputs()
        )

    def default_loss(self):
        if self.multi_label:
            return multi_label_lib.default_loss()
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        if self.multi_label:
            return multi_label_lib.default_metrics(self._num_outputs())
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def encode_y(self, y, name="y"):
        """Turns raw labels (names or indices) into class indices.

        Multi-label: tag lists or a 0/1 matrix into a float32 0/1 matrix.
        """
        if self.multi_label:
            return multi_label_lib.encode_tags(
                name, y, class_names=self.class_names, num_tags=self._num_outputs()
            )
        return validation.encode_labels(
            name, y, class_names=self.class_names, num_classes=self._num_outputs()
        )

    def to_data(self, x, y=None, name="x", with_labels=True):
        """Like `Task.to_data`; multi-label tag lists are encoded first.

        (Tag lists of different lengths are not an array `Task` reads.)
        """
        if self.multi_label and with_labels and not isinstance(x, Data):
            if isinstance(x, tuple) and y is None and len(x) == 2:
                x, y = x
            if y is not None:
                y = self.encode_y(y, "y")
        return super().to_data(x, y, name, with_labels)

    def check_class_weight(self, class_weight):
        """Validates `fit(class_weight=)`: every class, by index or name."""
        multi_label_lib.check_no_class_weight(self.multi_label, class_weight)
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
        if (
            not self.multi_label
            and data.class_names is not None
            and np.asarray(data.y).dtype.kind in "iu"
        ):
            # An adapter that named the classes (a folder) gives indices.
            return validation.encode_labels(
                f"{name}.y", data.y, num_classes=self._num_outputs()
            )
        return super().encode_data_y(data, name)

    def fit(self, x=None, y=None, *args, threshold=None, **kwargs):
        """Trains like `Task.fit`; multi-label models take `threshold`.

        Args:
            threshold: multi-label only. `None` keeps the model's
                `thresholds`; a number or a list (one per tag) sets them;
                `"auto"` picks, after training, each tag's F1-best threshold
                on the validation data (`validation_data`, else a
                `validation_split` held out here, 0.1 by default), stored in
                `thresholds` (and so in the saved model).
            *args, **kwargs: as `Task.fit`.
        """
        if threshold is None:
            return super().fit(x, y, *args, **kwargs)
        if not self.multi_label:
            raise ValueError(
                "`threshold` applies to multi_label=True models (a single-label "
                f"classifier predicts its most probable class). Received: "
                f"threshold={threshold!r}"
            )
        if not (isinstance(threshold, str) and threshold == "auto"):
            if isinstance(threshold, str):
                validation.check_choice("threshold", threshold, ("auto",))
            thresholds = multi_label_lib.check_thresholds(
                threshold, self._num_outputs(), "threshold"
            )
            history = super().fit(x, y, *args, **kwargs)
            self.thresholds = thresholds
            return history
        bound = inspect.signature(Task.fit).bind_partial(self, x, y, *args, **kwargs)
        kwargs = dict(bound.arguments)
        kwargs.pop("self")
        kwargs.update(kwargs.pop("kwargs", {}))
        x, y = kwargs.pop("x", None), kwargs.pop("y", None)
        if kwargs.get("validation_data") is None:
            fraction = kwargs.pop("validation_split", None) or 0.1
            data = self.to_data(x, y, "x")
            if data.x is None:
                raise ValueError(
                    "`threshold='auto'` needs validation data to tune on: pass "
                    "`validation_data=` with a tf.data.Dataset. Received: "
                    "x=tf.data.Dataset without validation_data"
                )
            x, val = split(data, fraction, seed=kwargs.get("seed"))
            y, kwargs["validation_data"] = None, val
        else:
            val = self.to_data(kwargs["validation_data"], None, "validation_data")
            kwargs["validation_data"] = val
        history = super().fit(x, y, **kwargs)
        if val.x is None:
            raise ValueError(
                "`threshold='auto'` needs in-memory validation data to tune on. "
                "Received: validation_data=tf.data.Dataset"
            )
        probs = self.predict(Data(x=val.x, loader=val.loader, info=val.info), verbose=0)
        self.thresholds = multi_label_lib.tune_thresholds(val.y, probs)
        return history

    def predict_labels(self, x, batch_size=None, verbose=0):
        """Predicts class names (or class indices when the model has none).

        Multi-label: a list per sample of the tags whose probability reaches
        their threshold (`thresholds`, 0.5 by default), possibly empty.

        Returns:
            A list of class names, or a numpy array of class indices
            (multi-label: a list of lists of tag names or indices).
        """
        probs = self.predict(x, batch_size=batch_size, verbose=verbose)
        if self.multi_label:
            return multi_label_lib.decode_tags(probs, self.thresholds, self.class_names)
        index = np.argmax(probs, axis=-1)
        if self.class_names is None:
            return index
        return [self.class_names[i] for i in index]

    def interpret(self, x=None, y=None, **kwargs):
        """Confusion matrix, per-class report, most confused, top losses.

        See `kr.interpret.interpret`; returns an `Interpretation`.
        Multi-label: a per-tag report (precision, recall, F1, support) at the
        model's thresholds, see `kr.interpret.interpret_multi_label`.
        """
        if self.multi_label:
            kwargs.setdefault("thresholds", self.thresholds)
            return interpret_multi_label(self, x, y, **kwargs)
        return interpret(self, x, y, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["class_names"] = self.class_names
        config["multi_label"] = self.multi_label
        config["thresholds"] = self.thresholds
        return config
