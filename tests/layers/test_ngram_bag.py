"""Tests for `kr.layers.NgramBag` (the wide path of the text template)."""

import json
import os

import keras
import numpy as np
import pytest

from keras_recipes.export import onnx as onnx_export
from keras_recipes.layers import NgramBag
from keras_recipes.layers.ngram_bag import build_table

BIGRAMS = [[2, 3], [3, 4], [5, 2]]


def _layer_with_weights(seed=0):
    layer = NgramBag(vocabulary_size=8, units=3, bigrams=BIGRAMS, scale=2.0)
    layer.build((None, None))
    rng = np.random.default_rng(seed)
    layer.unigram_weights.assign(rng.normal(size=(8, 3)).astype("float32"))
    layer.bigram_weights.assign(
        rng.normal(size=layer.bigram_weights.shape).astype("float32")
    )
    return layer


def _expected(layer, ids):
    """The layer's output computed by hand from its weights."""
    uni = keras.ops.convert_to_numpy(layer.unigram_weights)
    bi = keras.ops.convert_to_numpy(layer.bigram_weights)
    table = list(keras.ops.convert_to_numpy(layer.table))
    out = []
    for row in ids:
        feats = [uni[t] for t in row if t >= 2]
        for a, b in zip(row[:-1], row[1:], strict=True):
            key = a * 8 + b
            if a >= 2 and b >= 2 and key in table:
                feats.append(bi[table.index(key)])
        total = np.sum(feats, axis=0) if feats else np.zeros(3, "float32")
        out.append(total * 2.0 / np.sqrt(max(len(feats), 1)))
    return np.array(out)


def test_output_is_the_scaled_bag_of_known_unigrams_and_bigrams():
    layer = _layer_with_weights()
    ids = np.array([[2, 3, 4, 0, 0], [5, 2, 1, 7, 0], [0, 0, 0, 0, 0], [4, 3, 2, 0, 0]])
    out = keras.ops.convert_to_numpy(layer(ids))
    np.testing.assert_allclose(out, _expected(layer, ids), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[2], np.zeros(3))  # all padding -> zeros
    # Padding never changes the output; ids 0 and 1 (OOV) are no features.
    longer = np.pad(ids, [(0, 0), (0, 4)])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(longer)), out)


def test_starts_at_zero_so_unseen_features_add_nothing():
    layer = NgramBag(vocabulary_size=8, units=2, bigrams=BIGRAMS)
    out = keras.ops.convert_to_numpy(layer(np.array([[2, 3, 6, 7]])))
    np.testing.assert_array_equal(out, np.zeros((1, 2)))


def test_hash_table_holds_every_key_in_one_of_its_two_slots():
    from keras_recipes.layers.ngram_bag import _slot

    keys = np.random.default_rng(0).choice(10**9, size=5000, replace=False)
    table = build_table(keys)
    assert len(table) < 4 * 5000 * 2.2
    for key in keys[:500]:
        slots = [_slot(key, len(table), which) for which in (0, 1)]
        assert key in table[slots]
    assert (table >= 0).sum() == len(keys)


def test_config_round_trip_and_keras_file(tmp_path):
    layer = _layer_with_weights()
    ids = keras.Input(shape=(None,), dtype="int64")
    model = keras.Model(ids, layer(ids))
    config = layer.get_config()
    json.dumps(config)
    clone = NgramBag.from_config(config)
    assert clone.get_config() == config
    x = np.array([[2, 3, 4, 5, 2, 0]])
    path = os.path.join(str(tmp_path), "bag.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected)


def test_onnx_export_parity(tmp_path):
    pytest.importorskip("tf2onnx")
    layer = _layer_with_weights()
    ids = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    model = keras.Model(ids, layer(ids))
    x = np.array([[2, 3, 4, 5, 2, 0], [7, 1, 0, 0, 0, 0]], dtype="int64")
    report = onnx_export.export_onnx(model, str(tmp_path / "bag.onnx"), samples=x)
    assert report.max_abs_error <= 1e-5


def test_bad_arguments():
    with pytest.raises(ValueError, match="bigrams"):
        NgramBag(vocabulary_size=5, units=2, bigrams=[[1, 3]])
    with pytest.raises(ValueError, match="units"):
        NgramBag(vocabulary_size=5, units=0)
