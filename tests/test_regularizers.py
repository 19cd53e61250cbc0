"""kr.regularizers: orthogonality, scheduled L1L2 and `get`."""

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes import regularizers


def test_orthogonal_penalty_is_zero_only_for_orthonormal_columns():
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(12, 4)))
    reg = regularizers.OrthogonalRegularizer(factor=1.0)
    assert float(reg(q.reshape(3, 2, 2, 4).astype("float32"))) == pytest.approx(
        0.0, abs=1e-6
    )
    w = np.ones((12, 4), "float32")
    expected = np.mean((w.T @ w - np.eye(4)) ** 2)
    assert float(reg(w)) == pytest.approx(expected, rel=1e-5)
    rows = regularizers.OrthogonalRegularizer(factor=1.0, mode="rows")
    assert float(rows(w)) == pytest.approx(np.mean((w @ w.T - np.eye(12)) ** 2))


def test_scheduled_l1l2_follows_the_optimizer_step():
    ramp = keras.optimizers.schedules.PolynomialDecay(0.0, 10, 1.0)
    reg = regularizers.ScheduledL1L2(l1=0.1, l2=0.2, schedule=ramp)
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_regularizer=reg)
    model = keras.Model(inputs, dense(inputs))
    model.compile("sgd", "mse")
    x, y = np.ones((12, 3), "float32"), np.ones((12, 2), "float32")
    model.fit(
        x,
        y,
        batch_size=2,
        epochs=1,
        verbose=0,
        callbacks=[kr.callbacks.RegularizerScheduler()],
    )
    assert int(reg.step.numpy()) == 5  # set before each of the 6 batches
    w = dense.kernel.numpy()
    base = 0.1 * np.abs(w).sum() + 0.2 * (w**2).sum()
    assert float(reg(dense.kernel)) == pytest.approx(0.5 * base, rel=1e-5)
    plain = regularizers.ScheduledL1L2(l2=0.2)
    assert float(plain(w)) == pytest.approx(0.2 * (w**2).sum(), rel=1e-5)


def test_get_resolves_names_and_lists_them_on_a_typo():
    assert isinstance(
        regularizers.get("orthogonal"), regularizers.OrthogonalRegularizer
    )
    assert isinstance(regularizers.get("L2"), keras.regularizers.L2)
    assert regularizers.get(None) is None
    config = keras.regularizers.serialize(regularizers.OrthogonalRegularizer(0.5))
    assert regularizers.get(config).factor == 0.5
    with pytest.raises(ValueError) as info:
        regularizers.get("scheduled_l1_l2")
    text = str(info.value)
    assert "['l1', 'l1_l2', 'l1l2', 'l2', 'orthogonal', 'scheduled_l1l2']" in text
    assert "Did you mean 'scheduled_l1l2'?" in text
    assert "Received: identifier='scheduled_l1_l2'" in text
    with pytest.raises(TypeError, match="Received: identifier=3"):
        regularizers.get(3)
