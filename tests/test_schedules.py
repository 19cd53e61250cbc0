"""kr.schedules: shapes of the curves and use inside fit."""

import keras
import numpy as np
import pytest

from keras_recipes import schedules


def _curve(schedule, steps):
    return np.array([float(schedule(s)) for s in range(steps)])


def test_one_cycle_rises_then_anneals():
    schedule = schedules.OneCycle(0.1, total_steps=40, pct_start=0.25)
    lr = _curve(schedule, 41)
    peak = int(np.argmax(lr))
    assert peak == 10 and lr[peak] == pytest.approx(0.1)
    assert lr[0] == pytest.approx(0.1 / 25)
    assert np.all(np.diff(lr[: peak + 1]) > 0) and np.all(np.diff(lr[peak:]) <= 0)
    assert lr[-1] == pytest.approx(0.1 / 25 / 1e4, rel=1e-3)
    linear = _curve(schedules.OneCycle(0.1, 40, anneal="linear"), 41)
    assert linear[5] == pytest.approx(0.004 + (0.1 - 0.004) * 0.5, rel=1e-5)


def test_cyclical_modes():
    tri = _curve(schedules.CyclicalLearningRate(0.0, 1.0, step_size=5), 31)
    assert tri[5] == tri[15] == tri[25] == pytest.approx(1.0)
    assert tri[10] == pytest.approx(0.0) and tri[2] == pytest.approx(0.4)
    tri2 = _curve(schedules.CyclicalLearningRate(0.0, 1.0, 5, mode="triangular2"), 31)
    assert [tri2[5], tri2[15], tri2[25]] == pytest.approx([1.0, 0.5, 0.25])
    exp = schedules.CyclicalLearningRate(0.0, 1.0, 5, mode="exp_range", gamma=0.9)
    assert float(exp(5)) == pytest.approx(0.9**5, rel=1e-5)


def test_warmup_cosine_and_exponential_range():
    schedule = schedules.WarmupCosine(
        1.0, total_steps=20, warmup_steps=4, min_learning_rate=0.1
    )
    lr = _curve(schedule, 21)
    np.testing.assert_allclose(lr[:5], [0, 0.25, 0.5, 0.75, 1.0], atol=1e-6)
    assert lr[12] == pytest.approx(0.55, rel=1e-5) and lr[20] == pytest.approx(0.1)
    lr = _curve(schedules.ExponentialRange(1e-3, 1e1, num_steps=5), 5)
    np.testing.assert_allclose(lr, [1e-3, 1e-2, 1e-1, 1, 10], rtol=1e-5)


def test_schedule_drives_an_optimizer_in_fit():
    schedule = schedules.OneCycle(0.05, total_steps=6)
    opt = keras.optimizers.SGD(schedule)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(opt, "mse")
    model.fit(np.ones((12, 2)), np.ones((12, 1)), batch_size=4, epochs=2, verbose=0)
    assert int(opt.iterations) == 6
    assert float(opt.learning_rate) == pytest.approx(float(schedule(6)))
