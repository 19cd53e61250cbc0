"""Safe loading: no code from a model file ever runs; saves survive a kill."""

import glob
import os
import signal
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_recipes as kr


def test_lambda_layer_file_is_refused(tmp_path):
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
    path = str(tmp_path / "lambda.keras")
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ValueError, match="Refusing to load a model that contains a"):
        kr.load_model(path)


@pytest.mark.parametrize(
    "name, match",
    [
        ("model.h5", "legacy HDF5 file"),
        ("model.pkl", "must be a `.keras` file"),
        ("missing.keras", "does not exist"),
    ],
)
def test_load_model_rejects_paths(tmp_path, name, match):
    path = tmp_path / name
    if name.endswith((".h5", ".pkl")):
        path.write_bytes(b"x")
    with pytest.raises(ValueError, match=match):
        kr.load_model(str(path))


def test_templates_use_no_lambda_layers():
    model = kr.image_classifier(num_classes=3, image_shape=(8, 8, 1))
    for layer in model._flatten_layers(include_self=False):
        assert not isinstance(layer, keras.layers.Lambda), layer.name


KILL_INSIDE_SAVE = textwrap.dedent(
    """
    import os, signal, sys, zipfile
    import keras_recipes as kr

    path = sys.argv[1]
    model = kr.load_model(path)
    model.set_weights([w * 0 if w.dtype.kind == "f" else w
                       for w in model.get_weights()])  # a different model

    def writestr(self, name, data, *args, **kwargs):
        # Keras writes the weights entry last, with writestr: write half of
        # it, make sure it reached the disk, then die without any cleanup.
        original(self, name, data[: len(data) // 2], *args, **kwargs)
        self.fp.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    original = zipfile.ZipFile.writestr
    zipfile.ZipFile.writestr = writestr
    model.save(path)
    """
)


def test_sigkill_inside_save_keeps_the_previous_file(tmp_path):
    model = kr.image_classifier(num_classes=3, image_shape=(8, 8, 1), width=8, depth=2)
    path = str(tmp_path / "model.keras")
    model.save(path)
    x = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 1)).astype("float32")
    expected = model.predict(x, verbose=0)
    script = tmp_path / "kill_in_save.py"
    script.write_text(KILL_INSIDE_SAVE)
    killed = subprocess.run(
        [sys.executable, str(script), path],
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # The kill hit mid-write: a partial temp file exists, hidden and named .tmp,
    # so no glob for models picks it up; the previous model is untouched.
    others = [f for f in os.listdir(tmp_path) if f not in ("model.keras", script.name)]
    assert others and all(f.startswith(".model.keras.") and ".tmp" in f for f in others)
    assert all(os.path.getsize(tmp_path / f) > 0 for f in others)
    assert glob.glob(str(tmp_path / "*.keras")) == [path]
    np.testing.assert_array_equal(kr.load_model(path).predict(x, verbose=0), expected)
