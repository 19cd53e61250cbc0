"""Safe loading: no code from a model file ever runs."""

import keras
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
