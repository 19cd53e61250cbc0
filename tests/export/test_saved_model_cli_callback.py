"""Raw-input SavedModel, .keras export, the export CLI and ExportOnTrainEnd."""

import argparse
import os

import keras
import numpy as np
import pytest
from blocked_imports import run_blocked

import keras_recipes as kr
from keras_recipes.callbacks import ExportOnTrainEnd
from keras_recipes.export import cli as export_cli


@pytest.fixture(scope="module")
def trained(digits, tmp_path_factory):
    """One short fit whose ExportOnTrainEnd writes all three formats."""
    (x_train, y_train), (x_test, _) = digits
    kr.set_seed(0)
    model = kr.image_classifier(num_classes=10, image_shape=(8, 8, 1), width=8, depth=2)
    out = tmp_path_factory.mktemp("export_on_train_end")
    callback = ExportOnTrainEnd(
        str(out / "model"), formats=["keras", "onnx", "saved_model"]
    )
    model.fit(
        x_train[:64],
        y_train[:64],
        epochs=1,
        verbose=0,
        tensorboard=False,
        callbacks=[callback],
    )
    return model, x_test[:20], callback, out


def test_export_on_train_end(trained):
    model, x, callback, out = trained
    assert sorted(os.listdir(out)) == ["model.keras", "model.onnx", "model_saved_model"]
    assert callback.exports["onnx"] == str(out / "model.onnx")
    assert callback.reports["onnx"]["max_abs_error"] <= 1e-5
    np.testing.assert_allclose(
        kr.load_model(callback.exports["keras"]).predict(x, verbose=0),
        model.predict(x, verbose=0),
        atol=1e-6,
    )
    assert callback.get_config()["formats"] == ["keras", "onnx", "saved_model"]
    with pytest.raises(ValueError, match="`formats` must be one of"):
        ExportOnTrainEnd("m", formats=["pdf"])
    with pytest.raises(ValueError, match="`formats` must name at least one"):
        ExportOnTrainEnd("m", formats=[])


def test_saved_model_serves_raw_pixels_without_keras_recipes(trained, tmp_path):
    model, x, callback, _ = trained
    path = callback.exports["saved_model"]
    np.save(tmp_path / "x.npy", x)  # raw uint8 pixels
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    run_blocked(
        f"""
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({path!r})
        x = np.load({str(tmp_path / "x.npy")!r}).astype("float32")
        want = np.load({str(tmp_path / "want.npy")!r})
        got = loaded.serve(x)["predictions"].numpy()
        assert np.abs(got - want).max() <= 1e-5, np.abs(got - want).max()
        sig = loaded.signatures["serving_default"]
        assert list(sig.structured_input_signature[1]) == ["image"]
        got1 = sig(image=tf.constant(x[:1]))["predictions"].numpy()
        assert np.abs(got1 - want[:1]).max() <= 1e-5
        assert not any(m.split(".")[0] == "keras_recipes" for m in sys.modules)
        print("OK")
        """,
        blocked=("keras_recipes",),
        cwd=tmp_path,
    )


def test_keras_format_round_trip(trained, tmp_path):
    model, x, _, _ = trained
    path = str(tmp_path / "m.keras")
    assert model.export(path, format="keras") == path
    loaded = kr.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


def test_export_cli(trained, tmp_path, capsys):
    model_path = str(tmp_path / "m.keras")
    trained[0].save(model_path)
    args = argparse.Namespace(model=model_path, format="onnx", output=None)
    info = export_cli.export_command(args)
    assert info["path"] == str(tmp_path / "m.onnx")
    assert info["max_abs_error"] <= 1e-5
    out = capsys.readouterr().out
    assert "parity max abs error" in out and "route tf_function" in out
    from keras_recipes import cli

    target = str(tmp_path / "cli_sm")
    assert (
        cli.main(["export", model_path, "--format", "saved_model", "--output", target])
        == 0
    )
    assert os.path.isfile(os.path.join(target, "saved_model.pb"))
    assert cli.main(["export", str(tmp_path / "missing.keras")]) == 2
    assert "`filepath` does not exist" in capsys.readouterr().err
    with pytest.raises(ValueError, match="`format` must be one of"):
        export_cli.export_command(
            argparse.Namespace(model=model_path, format="tflite", output=None)
        )


@pytest.mark.parametrize("fmt", ["keras", "saved_model"])
def test_export_cli_on_a_functional_model(tmp_path, fmt):
    # kr.load_model also loads plain functional models; every keras.Model has
    # an `export` (Keras' own, which knows neither "keras" nor "saved_model"),
    # so the CLI chose it and failed. It now uses kr.export for non-tasks.
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    path = str(tmp_path / "f.keras")
    model.save(path)
    args = argparse.Namespace(model=path, format=fmt, output=None)
    result = export_cli.export_command(args)
    assert os.path.exists(result["path"])
