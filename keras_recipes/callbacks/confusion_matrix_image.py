"""`ConfusionMatrixImage`: a confusion-matrix image in TensorBoard per epoch."""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_recipes import validation
from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.plots import confusion_matrix_figure
from keras_recipes.plots import figure_to_png
from keras_recipes.predictions import class_predictions


@keras.saving.register_keras_serializable(package="keras_recipes")
class ConfusionMatrixImage(StatelessCallback):
    """Logs the validation confusion matrix as a TensorBoard image.

    Every `every_n_epochs` epochs, predicts on `validation_data`, renders
    the confusion matrix (matplotlib, Agg) and writes it with
    `tf.summary.image` under `<log_dir>/confusion_matrix`. The last matrix is
    kept in `matrix`.

    Args:
        validation_data: `(x, y)` (raw inputs are fine for a
            `kr.tasks.Task`) or a batched `tf.data.Dataset` of `(x, y)`.
        log_dir: TensorBoard log folder; `None` uses the run folder of a
            `kr.tasks.Task` (`model.last_log_dir`).
        class_names: tick labels; default the model's `class_names`.
        every_n_epochs: logging period (>= 1).
        tag: image tag.

    Example:

    >>> import numpy as np, tempfile
    >>> model = keras.Sequential([keras.Input((2,)),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> model.compile("adam", "sparse_categorical_crossentropy")
    >>> x, y = np.eye(2, dtype="float32"), np.array([0, 1])
    >>> callback = ConfusionMatrixImage((x, y), log_dir=tempfile.mkdtemp())
    >>> _ = model.fit(x, y, epochs=1, callbacks=[callback], verbose=0)
    >>> int(callback.matrix.sum())
    2
    """

    def __init__(
        self,
        validation_data,
        log_dir=None,
        class_names=None,
        every_n_epochs=1,
        tag="confusion_matrix",
    ):
        super().__init__()
        if not (
            isinstance(validation_data, tf.data.Dataset)
            or (isinstance(validation_data, tuple | list) and len(validation_data) == 2)
        ):
            raise ValueError(
                "`validation_data` must be an (x, y) pair or a tf.data.Dataset "
                f"of (x, y). Received: validation_data of type "
                f"{type(validation_data).__name__}"
            )
        validation.check_int("every_n_epochs", every_n_epochs, minimum=1)
        self.validation_data = validation_data
        self.log_dir = log_dir
        self.class_names = class_names
        self.every_n_epochs = every_n_epochs
        self.tag = tag
        self.matrix = None

    def on_train_begin(self, logs=None):
        log_dir = self.log_dir or getattr(self.model, "last_log_dir", None)
        if log_dir is None:
            raise ValueError(
                "`ConfusionMatrixImage` needs `log_dir=` (the model has no "
                "TensorBoard run folder). Received: log_dir=None"
            )
        self._writer = tf.summary.create_file_writer(
            os.path.join(os.fspath(log_dir), "confusion_matrix")
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        data = self.validation_data
        x, y = (data, None) if isinstance(data, tf.data.Dataset) else data
        probs, labels = class_predictions(
            self.model, x, y, None, caller="ConfusionMatrixImage"
        )
        n = probs.shape[-1]
        self.matrix = np.zeros((n, n), "int64")
        np.add.at(self.matrix, (labels, probs.argmax(-1)), 1)
        names = self.class_names or getattr(self.model, "class_names", None)
        png = figure_to_png(
            confusion_matrix_figure(
                self.matrix, names, title=f"Confusion matrix, epoch {epoch + 1}"
            )
        )
        image = tf.expand_dims(tf.image.decode_png(png, channels=4), 0)
        with self._writer.as_default():
            tf.summary.image(self.tag, image, step=epoch)
        self._writer.flush()

    def on_train_end(self, logs=None):
        self._writer.close()

    def get_config(self):
        return {
            "validation_data": self.validation_data,
            "log_dir": self.log_dir,
            "class_names": self.class_names,
            "every_n_epochs": self.every_n_epochs,
            "tag": self.tag,
        }
