"""`ExportOnTrainEnd`: verified export when training finishes."""

import os

import keras

from keras_recipes import export as export_lib
from keras_recipes import validation
from keras_recipes.export.formats import FORMATS
from keras_recipes.export.formats import SUFFIXES


@keras.saving.register_keras_serializable(package="keras_recipes")
class ExportOnTrainEnd(keras.callbacks.Callback):
    """Exports the model in one or more formats at the end of `fit`.

    ONNX exports are verified (checker, ONNX Runtime session, parity with
    Keras); a failed verification raises at the end of training and leaves no
    `.onnx` file. Results are kept in `self.exports` (format -> path) and
    `self.reports` (format -> ONNX report dict).

    Args:
        filepath: output path without extension, e.g. `"out/model"`; each
            format adds its own (`.keras`, `_saved_model`, `.onnx`).
        formats: a format name or a list of them, from `"keras"`,
            `"saved_model"`, `"onnx"`.
        tolerance: ONNX parity tolerance (max abs error).
        samples: optional raw inputs to check ONNX parity on.

    Example:

    >>> callback = ExportOnTrainEnd("out/model", formats=["keras", "onnx"])
    >>> callback.formats
    ['keras', 'onnx']
    """

    def __init__(self, filepath, formats=("onnx",), tolerance=1e-5, samples=None):
        super().__init__()
        if isinstance(formats, str):
            formats = [formats]
        if not formats:
            raise ValueError(
                f"`formats` must name at least one of {list(FORMATS)}. "
                f"Received: formats={formats!r}"
            )
        for fmt in formats:
            validation.check_choice("formats", fmt, FORMATS)
        validation.check_float("tolerance", tolerance, minimum=0.0)
        self.filepath = os.fspath(filepath)
        self.formats = list(formats)
        self.tolerance = tolerance
        self.samples = samples
        self.exports = {}
        self.reports = {}

    def on_train_begin(self, logs=None):
        self.exports = {}
        self.reports = {}

    def on_train_end(self, logs=None):
        for fmt in self.formats:
            path = self.filepath + SUFFIXES[fmt]
            kwargs = {}
            if fmt == "onnx":
                kwargs = {"tolerance": self.tolerance, "samples": self.samples}
            result = export_lib.export(self.model, path, format=fmt, **kwargs)
            self.exports[fmt] = path
            if fmt == "onnx":
                self.reports[fmt] = result.to_dict()

    def get_config(self):
        return {
            "filepath": self.filepath,
            "formats": self.formats,
            "tolerance": self.tolerance,
        }
