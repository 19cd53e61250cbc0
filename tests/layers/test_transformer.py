"""Transformer layers: masks proven, config round trip, .keras save/load."""

import keras
import numpy as np
import pytest

from keras_recipes.layers import TokenAndPositionEmbedding
from keras_recipes.layers import TransformerDecoder
from keras_recipes.layers import TransformerEncoder


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_output_unchanged_by_extra_padding(norm_first):
    layer = TransformerEncoder(16, num_heads=2, norm_first=norm_first)
    x = _rand(2, 5, 8)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    out = keras.ops.convert_to_numpy(layer(x, padding_mask=mask))
    # Three more padded positions holding garbage values.
    x_pad = np.concatenate([x, _rand(2, 3, 8, seed=1) * 100], axis=1)
    mask_pad = np.concatenate([mask, np.zeros((2, 3), bool)], axis=1)
    out_pad = keras.ops.convert_to_numpy(layer(x_pad, padding_mask=mask_pad))
    np.testing.assert_allclose(out_pad[0, :5], out[0], atol=1e-5)
    np.testing.assert_allclose(out_pad[1, :3], out[1, :3], atol=1e-5)
    # Control: without the mask the garbage leaks in, so the check can fail.
    leaked = keras.ops.convert_to_numpy(layer(x_pad))
    assert np.abs(leaked[0, :5] - out[0]).max() > 1e-3


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_is_causal_and_masks_encoder_padding(norm_first):
    layer = TransformerDecoder(16, num_heads=2, norm_first=norm_first)
    target, source = _rand(2, 6, 8), _rand(2, 4, 8, seed=2)
    source_mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)
    out = keras.ops.convert_to_numpy(
        layer(target, source, encoder_padding_mask=source_mask)
    )
    for t in range(5):
        changed = target.copy()
        changed[:, t + 1 :] = _rand(2, 5 - t, 8, seed=3 + t) * 10
        out2 = keras.ops.convert_to_numpy(
            layer(changed, source, encoder_padding_mask=source_mask)
        )
        # Positions <= t never see the future tokens...
        np.testing.assert_allclose(out2[:, : t + 1], out[:, : t + 1], atol=1e-5)
        # ...but position t + 1 does see its own (changed) token.
        assert np.abs(out2[:, t + 1] - out[:, t + 1]).max() > 1e-3
    # Padded encoder positions are never attended to.
    source2 = source.copy()
    source2[1, 2:] = 50.0
    out3 = keras.ops.convert_to_numpy(
        layer(target, source2, encoder_padding_mask=source_mask)
    )
    np.testing.assert_allclose(out3, out, atol=1e-5)
    leaked = keras.ops.convert_to_numpy(layer(target, source2))
    assert np.abs(leaked[1] - out[1]).max() > 1e-3


def test_decoder_padding_mask_hides_padded_keys():
    layer = TransformerDecoder(16, num_heads=2)
    target, source = _rand(1, 4, 8), _rand(1, 3, 8, seed=5)
    mask = np.array([[1, 0, 1, 1]], bool)
    out = keras.ops.convert_to_numpy(layer(target, source, decoder_padding_mask=mask))
    changed = target.copy()
    changed[0, 1] = 30.0  # a padded position, seen only as a key
    out2 = keras.ops.convert_to_numpy(layer(changed, source, decoder_padding_mask=mask))
    np.testing.assert_allclose(out2[0, [0, 2, 3]], out[0, [0, 2, 3]], atol=1e-5)


def test_embedding_positions_and_mask():
    layer = TokenAndPositionEmbedding(
        10, sequence_length=5, embedding_dim=4, mask_zero=True
    )
    ids = np.array([[3, 3, 0]])
    out = keras.ops.convert_to_numpy(layer(ids))
    assert out.shape == (1, 3, 4)
    assert np.abs(out[0, 0] - out[0, 1]).max() > 0  # positions differ
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.compute_mask(ids)), [[True, True, False]]
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="does not export to ONNX"):
        TransformerEncoder(8, 2, activation="gelu")
    with pytest.raises(ValueError, match=r"`activation` must be one of"):
        TransformerDecoder(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"`dropout` must be < 1.0"):
        TransformerEncoder(8, 2, dropout=1.0)
    with pytest.raises(ValueError, match="divisible by `num_heads`"):
        TransformerEncoder(8, 3)(np.ones((1, 2, 4), "float32"))
    with pytest.raises(ValueError, match=r"`vocabulary_size` must be >= 1"):
        TokenAndPositionEmbedding(0, 4, 4)


def _model(norm_first):
    source = keras.Input((None,), dtype="int32")
    target = keras.Input((None,), dtype="int32")
    source_mask = keras.ops.not_equal(source, 0)
    x = TokenAndPositionEmbedding(12, 6, 8)(source)
    x = TransformerEncoder(16, 2, activation="gelu_approximate", norm_first=norm_first)(
        x, padding_mask=source_mask
    )
    y = TokenAndPositionEmbedding(12, 6, 8)(target)
    y = TransformerDecoder(16, 2, norm_first=norm_first)(
        y, x, encoder_padding_mask=source_mask
    )
    return keras.Model([source, target], y)


@pytest.mark.parametrize("norm_first", [False, True])
def test_config_round_trip_and_keras_save_load(norm_first, tmp_path):
    for layer in (
        TokenAndPositionEmbedding(12, 6, 8, mask_zero=True),
        TransformerEncoder(16, 2, dropout=0.1, norm_first=norm_first),
        TransformerDecoder(16, 2, activation="gelu_approximate"),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    model = _model(norm_first)
    inputs = [np.array([[1, 2, 3, 0], [4, 5, 0, 0]]), np.array([[1, 2, 0], [3, 4, 5]])]
    expected = model.predict(inputs, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), expected, atol=1e-6)
