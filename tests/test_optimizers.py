"""kr.optimizers.Lookahead: exact update rule and training."""

import keras
import numpy as np
import pytest

from keras_recipes.optimizers import Lookahead


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((16, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32")


def test_lookahead_with_trivial_settings_equals_the_inner_optimizer():
    x, y = _data()
    plain, wrapped = _model(), _model()
    plain.compile(keras.optimizers.Adam(0.05), "mse")
    wrapped.compile(Lookahead(keras.optimizers.Adam(0.05), sync_period=1,
                              slow_step_size=1.0), "mse")
    for m in (plain, wrapped):
        m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(plain.get_weights(), wrapped.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_lookahead_update_rule_by_hand():
    x, y = _data()
    model = _model()
    w0 = [w.copy() for w in model.get_weights()]
    model.compile(Lookahead(keras.optimizers.SGD(0.1), sync_period=2,
                            slow_step_size=0.5), "mse")
    ref = _model()
    ref.compile(keras.optimizers.SGD(0.1), "mse")
    ref.set_weights(w0)
    # Two SGD steps on the same batches, then slow = w0 + 0.5 * (fast - w0).
    ref.fit(x[:8], y[:8], batch_size=4, epochs=1, verbose=0, shuffle=False)
    model.fit(x[:8], y[:8], batch_size=4, epochs=1, verbose=0, shuffle=False)
    for got, start, fast in zip(model.get_weights(), w0, ref.get_weights()):
        np.testing.assert_allclose(got, start + 0.5 * (fast - start), rtol=1e-5)
    assert int(model.optimizer.iterations) == 2


def test_lookahead_trains_and_exposes_learning_rate():
    x, y = _data()
    model = _model()
    opt = Lookahead("adam")
    model.compile(opt, "mse")
    opt.learning_rate = 0.05
    assert float(opt.inner_optimizer.learning_rate) == pytest.approx(0.05)
    history = model.fit(x, y, batch_size=4, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
