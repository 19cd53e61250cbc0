"""`kr.export`: `.keras`, raw-input SavedModel and verified ONNX export."""

import os
import shutil

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.export import onnx as onnx_export
from keras_recipes.export.formats import FORMATS
from keras_recipes.export.onnx_convert import write_saved_model
from keras_recipes.export.targets import check_target


def export(model, filepath, format="keras", verify=True, **kwargs):
    """Exports `model` to `filepath` in `format`.

    Args:
        model: a `kr.tasks.Task` (or any Keras model).
        filepath: output path (`.keras` file, SavedModel folder, `.onnx` file).
        format: `"keras"`, `"saved_model"` or `"onnx"`.
        verify: verify the export (ONNX: checker + parity with Keras).

    Returns:
        The output path, or for ONNX a report dict.
    """
    validation.check_choice("format", format, FORMATS)
    # `export_saved_model` and `export_onnx` check the target first thing.
    if format == "saved_model":
        return export_saved_model(model, filepath)
    if format == "onnx":
        return onnx_export.export_onnx(model, filepath, verify=verify, **kwargs)
    filepath = check_target(filepath, format)
    model.save(filepath)
    return filepath


def export_saved_model(model, filepath):
    """Writes a SavedModel whose `serve` signature takes raw inputs.

    The endpoint runs the model with `training=False` (Keras' own
    `model.export(format="tf_saved_model")` traces `model(x)`, which keeps
    random augmentation layers active). It takes the raw inputs by name
    (pixels, strings, one tensor per column for dict inputs) with a dynamic
    batch axis; `serving_default` is the same function. Loading needs only
    TensorFlow: `tf.saved_model.load(path).serve(x)`.

    The folder is written next to its destination and renamed into place, so
    an existing export is never left half-overwritten.
    """
    filepath = check_target(filepath, "saved_model")
    parent = os.path.dirname(os.path.abspath(filepath))
    utils.check_writable_dir("filepath", parent)
    tmp = os.path.join(parent, f".{os.path.basename(filepath)}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_saved_model(model, tmp)
        if os.path.isdir(filepath):
            old = tmp + ".old"
            os.replace(filepath, old)
            os.replace(tmp, filepath)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, filepath)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return filepath
