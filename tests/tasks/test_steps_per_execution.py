"""`steps_per_execution="auto"`: 16 train steps per call where callbacks allow."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_recipes as kr
from keras_recipes.tasks import steps_per_execution as policy

FIT = dict(verbose=0, tensorboard=False, lr_schedule=None, seed=0)


@pytest.fixture(autouse=True)
def _long_enough(monkeypatch):
    """These fits are short; make "auto" treat them as long ones."""
    monkeypatch.setattr(kr.tasks.ImageClassifier, "auto_min_steps", 0)


@pytest.fixture(scope="module")
def digits600():
    (x, y), (xt, yt) = kr.datasets.load_digits()
    return (x[:600], y[:600]), (xt[:200], yt[:200])


def _model(data, **compile_kwargs):
    kr.set_seed(0, deterministic=True)
    model = kr.image_classifier(data=data, width=8, depth=2)
    if compile_kwargs:
        model.compile(**compile_kwargs)
    return model


class _Spy(keras.callbacks.Callback):
    """Epoch-level only: records Keras' steps per execution at each epoch."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(self.model.steps_per_execution)


class _EveryBatch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)


def test_auto_is_the_default_and_survives_save_load(digits600, tmp_path):
    train, _ = digits600
    model = _model(train)
    assert model.get_compile_config()["steps_per_execution"] == "auto"
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kr.load_model(path)
    assert loaded.get_compile_config()["steps_per_execution"] == "auto"
    spy = _Spy()
    loaded.fit(train, epochs=1, callbacks=[spy], **FIT)
    assert spy.steps == [policy.AUTO_STEPS_PER_EXECUTION]


def test_chunks_train_to_the_same_weights_and_metrics_as_single_steps(digits600):
    train, test = digits600
    chunked, single = _model(train), _model(train, steps_per_execution=1)
    spy = _Spy()
    h16 = chunked.fit(train, epochs=2, validation_data=test, callbacks=[spy], **FIT)
    h1 = single.fit(train, epochs=2, validation_data=test, **FIT)
    assert spy.steps == [16, 16]
    # 600 / 32 = 19 steps: a last chunk of 3, and no step more.
    assert int(chunked.optimizer.iterations.numpy()) == 2 * 19
    for a, b in zip(chunked.get_weights(), single.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(h16.history[key], h1.history[key], rtol=1e-6)
    np.testing.assert_allclose(
        list(chunked.evaluate(test, verbose=0).values()),
        list(single.evaluate(test, verbose=0).values()),
        rtol=1e-6,
    )
    np.testing.assert_array_equal(
        chunked.predict(test[0], verbose=0), single.predict(test[0], verbose=0)
    )


def test_a_per_batch_callback_sees_every_batch(digits600):
    train, _ = digits600
    model = _model(train)
    model.fit(train, epochs=1, **FIT)
    traced = model.train_function
    every = _EveryBatch()
    model.fit(train, epochs=1, callbacks=[every], **FIT)
    assert every.batches == list(range(19))
    assert model.steps_per_execution == 1
    # Back to chunks: the function traced for 16 steps is reused, not retraced.
    model.fit(train, epochs=1, **FIT)
    assert model.steps_per_execution == 16
    assert model.train_function is traced


def test_lr_find_sees_every_batch_after_a_chunked_fit(digits600):
    train, _ = digits600
    model = _model(train)
    model.fit(train, epochs=1, **FIT)
    result = model.lr_find(train, num_steps=12, plot_path=None)
    assert len(result.learning_rates) == len(result.losses) == 12


def test_an_explicit_integer_keeps_keras_meaning(digits600):
    train, _ = digits600
    model = _model(train, steps_per_execution=4)
    every = _EveryBatch()
    model.fit(train, epochs=1, callbacks=[every], **FIT)
    assert model.get_compile_config()["steps_per_execution"] == 4
    assert every.batches == [3, 7, 11, 15, 19]  # chunk ends, as Keras reports


def test_a_repeated_dataset_with_steps_per_epoch_runs_exactly_those_steps(digits600):
    train, _ = digits600
    model = _model(train)
    ds = tf.data.Dataset.from_tensor_slices(train).batch(32).repeat()
    spy = _Spy()
    model.fit(ds, epochs=2, steps_per_epoch=6, callbacks=[spy], **FIT)
    # A chunk that divides the steps: 16 would run 16 steps into 6.
    assert spy.steps == [6, 6]
    assert int(model.optimizer.iterations.numpy()) == 12


def test_numpy_integers_and_a_direct_keras_compile_are_kept(digits600):
    train, _ = digits600
    model = _model(train, steps_per_execution=np.int64(4))
    assert model.get_compile_config()["steps_per_execution"] == 4
    keras.Model.compile(
        model,
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        steps_per_execution=2,
    )
    every = _EveryBatch()
    model.fit(train, epochs=1, callbacks=[every], **FIT)
    assert model.steps_per_execution == 2
    assert every.batches[:3] == [1, 3, 5]


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "fast", None])
def test_bad_steps_per_execution_is_named(digits600, value):
    model = _model(digits600[0])
    with pytest.raises(ValueError, match=r"Received: steps_per_execution="):
        model.compile(steps_per_execution=value)


def test_short_fits_stay_at_one_step_until_they_add_up_to_the_break_even(
    digits600, monkeypatch
):
    # A model trained in many short calls (a notebook, a benchmark) runs
    # chunks once its single steps add up to the template's break-even (the
    # ski-rental rule); once traced, every later fit reuses that function.
    train, _ = digits600
    monkeypatch.setattr(kr.tasks.ImageClassifier, "auto_min_steps", 50)
    model = _model(train)
    spy = _Spy()
    model.fit(train, epochs=1, callbacks=[spy], **FIT)  # 19 steps: not worth it
    model.fit(train, epochs=1, callbacks=[spy], **FIT)  # 38 in all
    model.fit(train, epochs=1, callbacks=[spy], **FIT)  # 57 >= 50
    model.fit(train, epochs=1, callbacks=[spy], **FIT)  # short, but traced
    assert spy.steps == [1, 1, 16, 16]
    # evaluate decides on its own steps: 7 test batches, no test function yet
    # for 16 steps (fit ran no validation).
    model.evaluate(digits600[1], verbose=0)
    assert model.steps_per_execution == 1
    # A new compile means new functions to trace: the count starts again.
    model.compile()
    model.fit(train, epochs=1, callbacks=[spy], **FIT)
    model.fit(train, epochs=1, callbacks=[spy], **FIT)
    assert spy.steps[-2:] == [1, 1]


def test_resolve_picks_a_chunk_that_divides_explicit_steps():
    assert policy.resolve("auto") == 16
    assert policy.resolve("auto", steps=(45,)) == 15
    assert policy.resolve("auto", steps=(30, 12)) == 6
    assert policy.resolve("auto", steps=(47,)) == 1
    assert policy.resolve("auto", steps=(None,)) == 16
    assert policy.resolve(4, [_EveryBatch()]) == 4
    assert policy.resolve("auto", [_EveryBatch()]) == 1


def test_resolve_weighs_the_tracing_cost(monkeypatch):
    monkeypatch.setattr(policy, "AUTO_MIN_STEPS", 1000)
    assert policy.resolve("auto", planned_steps=999) == 1
    assert policy.resolve("auto", planned_steps=1000) == 16
    assert policy.resolve("auto", planned_steps=None) == 16  # unknown: long
    assert policy.resolve("auto", planned_steps=10, traced={16}) == 16
    # The chunk for 45 steps is 15, which was not traced: still 1.
    assert policy.resolve("auto", steps=(45,), planned_steps=90, traced={16}) == 1
    # A template's own break-even, and steps already run at one per call.
    assert policy.resolve("auto", planned_steps=99, min_steps=100) == 1
    assert policy.resolve("auto", planned_steps=100, min_steps=100) == 16
    assert policy.resolve("auto", planned_steps=400, steps_run=599) == 1
    assert policy.resolve("auto", planned_steps=400, steps_run=600) == 16


@pytest.mark.parametrize(
    "callback, safe",
    [
        (keras.callbacks.EarlyStopping(), True),
        (keras.callbacks.CSVLogger("unused.csv"), True),
        (keras.callbacks.TensorBoard(), True),
        (keras.callbacks.TensorBoard(update_freq="batch"), False),
        (keras.callbacks.ModelCheckpoint("m.keras"), True),
        (keras.callbacks.ModelCheckpoint("m.keras", save_freq=5), False),
        (keras.callbacks.LambdaCallback(on_epoch_end=print), True),
        (keras.callbacks.LambdaCallback(on_batch_end=print), False),
        (keras.callbacks.TerminateOnNaN(), False),
        (kr.callbacks.TerminateOnNaN(), True),
        (kr.callbacks.TimeBudget("1h"), True),
        (kr.callbacks.ProgressBar(), True),
        (kr.callbacks.LRFinder(), False),
        (kr.callbacks.OneCycleScheduler(max_lr=0.1), False),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, bool) else str(v),
)
def test_chunk_safe(callback, safe):
    assert policy.chunk_safe(callback) is safe


class _SharedSpy(keras.callbacks.Callback):
    """KerasTuner deep-copies callbacks: the record is kept on the class."""

    steps = []

    def on_epoch_begin(self, epoch, logs=None):
        _SharedSpy.steps.append(self.model.steps_per_execution)


def test_tuning_trials_run_chunks(digits600, tmp_path):
    train, _ = digits600
    _SharedSpy.steps = []
    kr.tune(
        kr.image_classifier,
        train,
        tuner="random",
        max_trials=1,
        epochs=1,
        model_kwargs={"width": 8, "depth": 1, "augmentation": None},
        search_space={"learning_rate": [1e-3]},
        directory=str(tmp_path),
        callbacks=[_SharedSpy()],
        tensorboard=False,
        verbose=0,
    )
    # KerasTuner adds its trial callbacks, whose batch hooks do nothing.
    assert _SharedSpy.steps == [16]


def test_mirrored_strategy_runs_one_step_per_call(digits600):
    train, _ = digits600
    model = kr.image_classifier(data=train, width=8, depth=2, strategy="mirrored")
    assert model.distribute_strategy.num_replicas_in_sync == 2
    spy = _Spy()
    model.fit(train, epochs=1, callbacks=[spy], **FIT)
    assert spy.steps == [1]
