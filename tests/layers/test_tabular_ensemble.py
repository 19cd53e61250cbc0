"""TabM-style ensemble layers and piecewise-linear numeric embeddings."""

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.layers.numeric_embeddings import PiecewiseLinearEmbedding
from keras_recipes.layers.tabular_ensemble import EnsembleDense
from keras_recipes.layers.tabular_ensemble import EnsembleMean
from keras_recipes.layers.tabular_ensemble import EnsembleScale


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(3,), name="x")
    # Column 2 is a missing-value flag: not embedded.
    pieces = PiecewiseLinearEmbedding(
        [[-1.0, 0.0, 1.0], [0.0, 0.5, 1.0, 3.0]], units=4, columns=[0, 1]
    )(inputs)
    x = keras.layers.Concatenate()([inputs, pieces])
    x = EnsembleScale(5)(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    x = EnsembleDense(5, units=2)(x)
    x = keras.layers.Activation("softmax")(x)
    return keras.Model(inputs, EnsembleMean()(x))


def _feed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32") * 2
    x[:, 2] = (x[:, 2] > 0).astype("float32")
    return x


def test_piecewise_linear_encoding_values():
    layer = PiecewiseLinearEmbedding([[0.0, 1.0, 3.0]], units=2)
    layer.build((None, 1))
    # Identity-like readout: kernel picks each bin's encoding, no bias.
    layer.kernel.assign(np.eye(2, dtype="float32")[None])
    layer.bias.assign(np.zeros((1, 2), "float32"))
    x = np.array([[-1.0], [0.5], [2.0], [5.0]], "float32")
    got = keras.ops.convert_to_numpy(layer(x))
    # First bin unbounded below, last unbounded above, others in [0, 1].
    np.testing.assert_allclose(got, [[-1.0, 0.0], [0.5, 0.0], [1.0, 0.5], [1.0, 2.0]])


def test_ensemble_mean_averages_members_and_keeps_them_in_training():
    layer = EnsembleMean()
    members = np.arange(12, dtype="float32").reshape(2, 3, 2)
    out = keras.ops.convert_to_numpy(layer(members, training=True))
    np.testing.assert_allclose(out, members.mean(axis=1))
    assert layer.member_outputs is not None
    layer(members, training=False)
    assert layer.member_outputs is None


def test_members_differ_at_initialization():
    scale = EnsembleScale(4)
    out = keras.ops.convert_to_numpy(scale(np.ones((1, 64), "float32")))
    assert set(np.unique(out)) <= {-1.0, 1.0}
    assert len({tuple(row) for row in out[0]}) == 4


def test_config_round_trip():
    for layer in (
        PiecewiseLinearEmbedding([[0.0, 1.0]], units=3, columns=[2]),
        EnsembleScale(7),
        EnsembleDense(7, units=3),
        EnsembleMean(),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_keras_save_load_gives_equal_outputs(tmp_path):
    model = _model()
    x = _feed()
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, rtol=1e-5)
    path = str(tmp_path / "ensemble.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)


def test_onnx_export_parity(tmp_path):
    model = _model()
    path = str(tmp_path / "m.onnx")
    report = kr.export.export(model, path, format="onnx", samples=_feed())
    assert report.max_abs_error <= 1e-5


def test_bad_arguments():
    with pytest.raises(ValueError, match="edges"):
        PiecewiseLinearEmbedding([], units=2)
    with pytest.raises(ValueError, match=r"edges\[0\]"):
        PiecewiseLinearEmbedding([[1.0, 0.0]], units=2)
    with pytest.raises(ValueError, match="columns"):
        PiecewiseLinearEmbedding([[0.0, 1.0]], units=2, columns=[0, 1])
    with pytest.raises(ValueError, match="ensemble_size"):
        EnsembleScale(0)
    with pytest.raises(ValueError, match="units"):
        EnsembleDense(2, units=0)
