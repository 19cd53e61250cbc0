"""Tests for `kr.layers.AttentionPooling`."""

import os

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.layers import AttentionPooling


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = np.array(
        [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]], dtype=bool
    )
    return x, mask


def test_output_shape_and_weights_sum_to_one():
    x, _ = _inputs()
    layer = AttentionPooling(units=5)
    out = keras.ops.convert_to_numpy(layer(x))
    assert out.shape == (3, 4)
    # Without a mask the output is a convex combination of the timesteps.
    assert np.all(out <= x.max(axis=1) + 1e-6)
    assert np.all(out >= x.min(axis=1) - 1e-6)


def test_masked_steps_never_change_the_output():
    x, mask = _inputs()
    layer = AttentionPooling()
    reference = keras.ops.convert_to_numpy(layer(x, mask=mask))
    changed = x.copy()
    changed[0, 3:] = 1e3  # padded steps of sample 0
    out = keras.ops.convert_to_numpy(layer(changed, mask=mask))
    np.testing.assert_allclose(out, reference, atol=1e-6)
    # Same text padded to a shorter length: same output.
    short = keras.ops.convert_to_numpy(layer(x[:1, :3]))
    np.testing.assert_allclose(short[0], reference[0], atol=1e-6)


def test_fully_masked_sequence_pools_to_zeros_not_nan():
    x, mask = _inputs()
    out = keras.ops.convert_to_numpy(AttentionPooling()(x, mask=mask))
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[2], np.zeros(4, "float32"))


def test_mask_propagates_from_embedding_and_is_consumed():
    ids = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    pooled = AttentionPooling(name="pool")(x)
    model = keras.Model(ids, keras.layers.Dense(2)(pooled))
    a = model.predict(np.array([[3, 4, 0, 0]]), verbose=0)
    b = model.predict(np.array([[3, 4, 0, 0, 0, 0, 0]]), verbose=0)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert model.get_layer("pool").compute_mask(None, None) is None


def test_config_round_trip():
    layer = AttentionPooling(units=7, name="att")
    config = layer.get_config()
    assert config["units"] == 7
    clone = AttentionPooling.from_config(config)
    assert clone.get_config() == config
    x, mask = _inputs()
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(clone(x, mask=mask)),
        keras.ops.convert_to_numpy(layer(x, mask=mask)),
        atol=1e-6,
    )


def test_keras_save_load_without_custom_objects(tmp_path):
    inputs = keras.Input(shape=(6, 4))
    outputs = AttentionPooling(units=3)(inputs)
    model = keras.Model(inputs, outputs)
    x, _ = _inputs()
    path = os.path.join(tmp_path, "att.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.layers[-1], kr.layers.AttentionPooling)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"`units` must be >= 1\. Received: units=0"):
        AttentionPooling(units=0)
    with pytest.raises(TypeError, match="`units` must be an integer"):
        AttentionPooling(units=2.5)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, time"):
        AttentionPooling()(np.zeros((2, 3), "float32"))
