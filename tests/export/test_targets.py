"""Export paths that cannot receive the export raise before any work (#35).

An existing file where a SavedModel folder goes gave `NotADirectoryError`,
a folder named `.onnx` gave `IsADirectoryError`, both after the export ran.
Now each is a `ValueError` naming `filepath`, and nothing is written.
"""

import os

import pytest

import keras_recipes as kr
from keras_recipes.export.targets import check_target


def _files(folder):
    return sorted(
        os.path.relpath(os.path.join(d, f), folder)
        for d, dirs, files in os.walk(folder)
        for f in files + dirs
    )


@pytest.fixture(scope="module")
def model():
    return kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), width=4, depth=1)


@pytest.fixture
def out(tmp_path):
    (tmp_path / "a_file").write_text("keep")
    (tmp_path / "a_dir.onnx").mkdir()
    (tmp_path / "a_dir.keras").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    "target, fmt, pattern",
    [
        ("a_file", "saved_model", r"folder path for format='saved_model'"),
        ("a_dir.onnx", "onnx", r"file path for format='onnx'.*existing folder"),
        ("a_dir.keras", "keras", r"file path for format='keras'.*existing folder"),
        ("a_file/model.keras", "keras", r"is a file"),
        ("a_file/sub/model.onnx", "onnx", r"is a file"),
        ("a_file/model_saved_model", "saved_model", r"is a file"),
        ("", "keras", r"must be a file path"),
        ("trailing/", "onnx", r"must be a file path"),
    ],
)
def test_bad_target_raises_before_writing(model, out, target, fmt, pattern):
    before = _files(out)
    with pytest.raises(ValueError, match=pattern) as info:
        model.export(os.path.join(str(out), target) if target else target, format=fmt)
    assert "filepath" in str(info.value)
    assert _files(out) == before
    assert (out / "a_file").read_text() == "keep"


def test_fifo_target(model, out):
    os.mkfifo(out / "m.keras")
    with pytest.raises(ValueError, match=r"not a regular file"):
        model.export(str(out / "m.keras"), format="keras")


def test_onnx_sidecar_folder_refused_first(out):
    (out / "m.json").mkdir()
    with pytest.raises(ValueError, match=r"sidecar"):
        check_target(str(out / "m.onnx"), "onnx")


@pytest.mark.parametrize("filepath", [None, 3, b"model.keras"])
def test_target_type(model, filepath):
    with pytest.raises(TypeError, match=r"`filepath` must be a path"):
        kr.export.export(model, filepath)


def test_unwritable_parent(model, out):
    locked = out / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(ValueError, match=r"not writable"):
            model.export(str(locked / "m.keras"))
    finally:
        locked.chmod(0o700)


def test_missing_parent_is_created(model, out):
    path = out / "new" / "deeper" / "m.keras"
    assert model.export(str(path)) == str(path)
    assert path.is_file()


def test_saved_model_over_existing_export_folder(model, out):
    path = out / "sm"
    model.export(str(path), format="saved_model")
    model.export(str(path), format="saved_model")  # replaced in place
    assert (path / "saved_model.pb").is_file()
