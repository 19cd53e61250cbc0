"""Behaviour of kr.losses against Keras references and hand computations."""

import keras
import numpy as np
import pytest

from keras_recipes import losses

RNG = np.random.default_rng(0)


def _probs(*shape):
    p = RNG.random(shape).astype("float32") + 0.05
    return p / p.sum(-1, keepdims=True)


def test_focal_with_gamma_zero_is_sparse_cross_entropy_and_focuses_on_hard():
    y, p = np.array([0, 1, 2, 1]), _probs(4, 3)
    ref = keras.losses.SparseCategoricalCrossentropy()(y, p)
    got = losses.SparseCategoricalFocalLoss(gamma=0.0)(y, p)
    assert float(got) == pytest.approx(float(ref), rel=1e-5)
    easy, hard = np.array([[0.9, 0.1]]), np.array([[0.4, 0.6]])
    ratio_focal = losses.sparse_categorical_focal_loss([0], easy) / (
        losses.sparse_categorical_focal_loss([0], hard)
    )
    ratio_ce = np.log(0.9) / np.log(0.4)
    assert float(ratio_focal[0]) < ratio_ce / 10  # easy examples down-weighted
    logits = np.log(p)
    from_logits = losses.SparseCategoricalFocalLoss(from_logits=True)(y, logits)
    assert float(from_logits) == pytest.approx(
        float(losses.SparseCategoricalFocalLoss()(y, p)), rel=1e-4
    )
    weighted = losses.sparse_categorical_focal_loss(y, p, alpha=[1.0, 2.0, 0.0])
    plain = losses.sparse_categorical_focal_loss(y, p)
    np.testing.assert_allclose(weighted, plain * np.array([1, 2, 0, 2]), rtol=1e-5)


def test_label_smoothing_matches_keras_categorical_with_one_hot():
    y, p = np.array([2, 0, 1]), _probs(3, 3)
    ref = keras.losses.CategoricalCrossentropy(label_smoothing=0.2)(
        keras.ops.one_hot(y, 3), p
    )
    got = losses.LabelSmoothedSparseCrossentropy(label_smoothing=0.2)(y, p)
    assert float(got) == pytest.approx(float(ref), rel=1e-4)


def test_masked_sequence_loss_ignores_padding_however_long():
    y = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    p = _probs(2, 4, 4)
    token = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    expected = token[y != 0].mean()
    loss = losses.MaskedSequenceCrossentropy(pad_id=0)
    assert float(loss(y, p)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.masked_sequence_crossentropy(y, p)) == pytest.approx(
        expected, rel=1e-5
    )
    # Twice as much padding (pad predictions arbitrary): same loss.
    y_long = np.concatenate([y, np.zeros_like(y)], axis=1)
    p_long = np.concatenate([p, _probs(2, 4, 4)], axis=1)
    assert float(loss(y_long, p_long)) == pytest.approx(expected, rel=1e-5)
    assert float(loss(np.zeros((1, 3), "int32"), _probs(1, 3, 4))) == 0.0


def test_masked_sequence_loss_trains_a_model():
    x = RNG.integers(1, 6, size=(32, 5))
    x[:, 3:] = 0
    inputs = keras.Input((5,), dtype="int32")
    h = keras.layers.Embedding(6, 8)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(6, activation="softmax")(h))
    model.compile(keras.optimizers.Adam(0.05), losses.MaskedSequenceCrossentropy())
    history = model.fit(x, x, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_class_balanced_weights_and_loss():
    counts = [1000, 100, 10]
    uniform = losses.effective_number_weights(counts, beta=0.0)
    np.testing.assert_allclose(uniform, [1, 1, 1])
    near_inverse = np.array(losses.effective_number_weights(counts, beta=0.99999))
    inverse = 1 / np.array(counts)
    np.testing.assert_allclose(near_inverse, inverse / inverse.sum() * 3, rtol=0.01)
    y, p = np.array([0, 1, 2]), _probs(3, 3)
    weights = losses.effective_number_weights(counts, beta=0.99)
    per_sample = -np.log(p[np.arange(3), y]) * np.array(weights)
    loss = losses.ClassBalancedSparseCrossentropy(counts, beta=0.99)
    assert float(loss(y, p)) == pytest.approx(per_sample.mean(), rel=1e-5)
    np.testing.assert_allclose(
        losses.class_balanced_sparse_crossentropy(y, p, counts, beta=0.99),
        per_sample,
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="Received: samples_per_class=\\[5\\]"):
        losses.effective_number_weights([5])
