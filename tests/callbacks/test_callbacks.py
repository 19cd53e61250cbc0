"""kr.callbacks: behaviour in fit, Task methods, deep copies (KerasTuner)."""

import copy
import io
import os

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes import callbacks


def _tiny(seed=0):
    kr.set_seed(seed)
    return kr.tasks.ImageClassifier(
        num_classes=10,
        image_shape=(8, 8, 1),
        width=8,
        depth=2,
        augmentation=None,
        dropout=0.0,
    )


def _regression():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model, np.ones((32, 2), "float32"), np.ones((32, 1), "float32")


def test_parse_duration_and_time_budget_stops_cleanly():
    assert callbacks.parse_duration("2h") == 7200
    assert callbacks.parse_duration("30m") == 1800
    assert callbacks.parse_duration("1h30m") == 5400
    assert callbacks.parse_duration(12.5) == 12.5
    for bad in ("", "30 minutes", "m", 0, -1, True, None, "inf"):
        with pytest.raises(ValueError, match="Received: budget="):
            callbacks.TimeBudget(bad)
    model, x, y = _regression()
    budget = callbacks.TimeBudget(0.5)
    history = model.fit(
        x,
        y,
        batch_size=1,
        epochs=10_000,
        verbose=0,
        callbacks=[budget],
        validation_data=(x, y),
    )
    epochs_run = len(history.history["loss"])
    assert budget.stopped_epoch == epochs_run - 1 < 9_999
    assert 0.5 <= budget.elapsed() < 10
    assert len(history.history["val_loss"]) == epochs_run  # epoch ended normally
    roomy = callbacks.TimeBudget("1h")
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[roomy])
    assert roomy.stopped_epoch is None and len(history.history["loss"]) == 2


def test_terminate_on_nan_names_epoch_and_batch():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.ones((16, 1), "float32")
    x[13] = np.nan  # batch 4 of 4 (batch_size 4), epoch 1
    with pytest.raises(FloatingPointError, match="at epoch 1, batch 4 "):
        model.fit(
            x,
            np.ones((16, 1)),
            batch_size=4,
            epochs=3,
            verbose=0,
            shuffle=False,
            callbacks=[callbacks.TerminateOnNaN()],
        )


def test_terminate_on_nan_names_the_first_bad_batch_and_hides_the_epoch():
    # Only epoch-level hooks beside it: Keras runs the batch check on worker
    # threads; the error still names the first bad batch, and the epoch end
    # of a later callback never sees the diverged weights.
    seen = []
    watcher = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(epoch)
    )
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.ones((32, 1), "float32")
    x[5:] = np.nan  # every batch from batch 2 of 8 (batch_size 4) on
    with pytest.raises(FloatingPointError, match="at epoch 1, batch 2 "):
        model.fit(
            x,
            np.ones((32, 1)),
            batch_size=4,
            epochs=3,
            verbose=0,
            shuffle=False,
            callbacks=[callbacks.TerminateOnNaN(), watcher],
        )
    assert seen == []
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("optimizer", ["adam", "fast_adamw"])
def test_terminate_on_nan_snapshot_survives_later_updates(optimizer):
    # The per-epoch snapshot holds tensors read from the variables, not host
    # copies: later optimizer steps (Keras' assign ops, FastAdamW's fused
    # in-place update) and assigns must not show through them.
    model, x, y = _regression()
    if optimizer == "adam":
        model.compile(keras.optimizers.Adam(0.1), "mse")
    else:
        model.compile(kr.optimizers.FastAdamW(0.1), "mse")
    model.fit(x, y, epochs=1, verbose=0)
    guard = callbacks.TerminateOnNaN()
    guard.set_model(model)
    weights = [w.copy() for w in model.get_weights()]
    slots = [np.array(v.numpy()) for v in model.optimizer.variables]
    assert guard._snapshot(epoch=0)
    model.fit(x, y * 5.0, epochs=2, verbose=0)  # in-place optimizer updates
    model.layers[0].kernel.assign(np.full((2, 1), 7.0, "float32"))
    assert not np.array_equal(model.get_weights()[0], weights[0])
    assert "of epoch 1" in guard._restore()
    for actual, expected in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(actual, expected)
    for variable, expected in zip(model.optimizer.variables, slots):
        np.testing.assert_array_equal(variable.numpy(), expected)


def test_lr_find_on_a_task_restores_state_and_plots(digits, tmp_path):
    (x, y), _ = digits
    model = _tiny()
    before = [w.copy() for w in model.get_weights()]
    result = model.lr_find(
        (x[:320], y[:320]),
        num_steps=24,
        batch_size=16,
        start_lr=1e-5,
        end_lr=10.0,
        plot_path=str(tmp_path / "lr.png"),
    )
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    assert 10 <= len(result.learning_rates) <= 24
    assert result.learning_rates[0] == pytest.approx(1e-5)
    assert np.all(np.diff(result.learning_rates) > 0)
    assert 1e-4 < result.suggested_lr < 1.0
    with open(result.plot_path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert "suggested_lr" in repr(result)


def test_lr_finder_rejects_schedules():
    model, x, y = _regression()
    model.compile(keras.optimizers.SGD(kr.schedules.OneCycle(0.1, 10)), "mse")
    with pytest.raises(ValueError, match="float learning rate"):
        kr.callbacks.lr_find(model, x, y, num_steps=5, plot_path=None)


def test_fit_one_cycle_drives_the_learning_rate(digits):
    (x, y), _ = digits
    model = _tiny()
    history = model.fit_one_cycle(
        (x[:256], y[:256]),
        epochs=2,
        max_lr=0.01,
        batch_size=32,
        tensorboard=False,
        verbose=0,
    )
    lrs = history.history["learning_rate"]
    assert len(lrs) == 2 and lrs[1] < 0.01 / 25 < lrs[0]  # annealed below start
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    with pytest.raises(ValueError, match="Received: lr_schedule='cosine'"):
        model.fit_one_cycle((x[:64], y[:64]), epochs=2, lr_schedule="cosine")
    scheduler = callbacks.OneCycleScheduler(max_lr=0.1)
    reg_model, rx, ry = _regression()
    reg_model.fit(rx, ry, batch_size=4, epochs=2, verbose=0, callbacks=[scheduler])
    curve = np.array(scheduler.history)
    assert len(curve) == 16 and int(np.argmax(curve)) == 4
    assert curve.max() == pytest.approx(0.1)


def test_progress_bar_writes_epochs():
    model, x, y = _regression()
    stream = io.StringIO()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.ProgressBar(file=stream)])
    text = stream.getvalue()
    assert "epoch 1/3" in text and "epoch 3/3" in text and "loss=" in text


def test_confusion_matrix_image_logged_to_tensorboard(digits, tmp_path):
    import tensorflow as tf

    (x, y), (xv, yv) = digits
    model = _tiny()
    callback = callbacks.ConfusionMatrixImage((xv[:60], yv[:60]))
    model.fit(
        (x[:64], y[:64]),
        epochs=1,
        batch_size=32,
        verbose=0,
        tensorboard=str(tmp_path),
        callbacks=[callback],
    )
    assert callback.matrix.shape == (10, 10) and callback.matrix.sum() == 60
    pred = model.predict(xv[:60], verbose=0).argmax(-1)
    assert np.trace(callback.matrix) == int((pred == yv[:60]).sum())
    folder = tmp_path / "confusion_matrix"
    events = [f for f in os.listdir(folder) if "tfevents" in f]
    tags = set()
    for record in tf.data.TFRecordDataset([str(folder / events[0])]):
        event = tf.compat.v1.Event.FromString(record.numpy())
        tags.update(v.tag for v in event.summary.value)
    assert "confusion_matrix" in tags


def test_callbacks_deep_copy_fresh_after_use():
    model, x, y = _regression()
    finder = callbacks.LRFinder(1e-4, 1.0, num_steps=6)
    budget = callbacks.TimeBudget("1h")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[finder, budget])
    assert finder.learning_rates
    for used in (finder, budget):
        fresh = copy.deepcopy(used)
        assert fresh is not used and fresh.get_config() == used.get_config()
    assert copy.deepcopy(finder).learning_rates == []
    assert copy.deepcopy(budget).stopped_epoch is None
    stream_bar = callbacks.ProgressBar(file=io.StringIO())
    assert copy.deepcopy(stream_bar).file is stream_bar.file  # shared, not copied


def _curves():
    rng = np.random.default_rng(0)
    lrs = np.logspace(-7, 1, 100)
    x = np.log10(lrs)
    noise = rng.normal(0, 0.01, 100)
    flat = 0.1 + noise + np.where(x > -2, (x + 2) * 0.5, 0.0)
    u_shape = (
        2.3
        - 1.8 / (1 + np.exp(-(x + 4) * 3))
        + np.where(x > -1.5, (x + 1.5) ** 2 * 4, 0.0)
        + 2 * noise
    )
    steep = np.where(x < -3, 2.0 - 0.4 * (x + 7), 0.4 + (x + 3) ** 2 * 6) + 2 * noise
    rising = 1 + np.exp(x + 7) + noise
    return lrs, flat, u_shape, steep, rising


def test_suggest_learning_rate_on_synthetic_curves():
    lrs, flat, u_shape, steep, rising = _curves()
    # A U-shape: in the descent, well below the minimum (about 6e-3).
    assert 1e-4 < callbacks.suggest_learning_rate(lrs, u_shape) < 2e-3
    # Steep then divergent: inside the descent, below the minimum (1e-3).
    suggestion = callbacks.suggest_learning_rate(lrs, steep)
    assert lrs[0] <= suggestion < 1e-3
    # Issue #36: a flat, noisy curve got a suggestion picked in the noise.
    with pytest.warns(UserWarning, match="drops only .* already trained"):
        assert callbacks.suggest_learning_rate(lrs, flat) is None
    with pytest.warns(UserWarning, match="drops only"):
        assert callbacks.suggest_learning_rate(lrs, np.full(100, 0.5)) is None
    with pytest.warns(UserWarning, match="lower `start_lr`"):
        assert callbacks.suggest_learning_rate(lrs, rising) is None
    with pytest.raises(ValueError, match="Received: min_descent=1.5"):
        callbacks.suggest_learning_rate(lrs, u_shape, min_descent=1.5)
    with pytest.raises(ValueError, match="fewer than 5 finite"):
        callbacks.suggest_learning_rate(lrs[:4], u_shape[:4])


def test_lr_find_on_a_trained_model_suggests_nothing(digits, tmp_path):
    # Issue #36: on a trained model the curve is flat noise until it diverges;
    # the old rule suggested 9.2e-6 from that noise.
    (x, y), _ = digits
    model = _tiny()
    model.fit((x, y), epochs=15, batch_size=32, verbose=0, tensorboard=False)
    with pytest.warns(UserWarning, match="suggests no learning rate"):
        result = model.lr_find(
            (x[:640], y[:640]),
            num_steps=60,
            batch_size=16,
            plot_path=str(tmp_path / "lr.png"),
        )
    assert result.suggested_lr is None
    assert "already trained" in result.message
    assert "suggested_lr=None" in repr(result)
    with open(result.plot_path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="Received: max_lr=None"):
        callbacks.OneCycleScheduler(max_lr=result.suggested_lr)
