"""NaN during training: a clear error naming epoch/batch, last good weights kept."""

import json
import os
import re

import keras
import numpy as np
import pytest

import keras_recipes as kr

FIT = dict(batch_size=16, verbose=0, tensorboard=False, lr_schedule=None, seed=0)


@pytest.fixture(scope="module")
def digits48():
    (x, y), _ = kr.datasets.load_digits()
    return x[:48], y[:48]


def _model(data, **kwargs):
    kr.set_seed(0)
    return kr.image_classifier(data=data, width=8, depth=2, augmentation=None, **kwargs)


class _Record(keras.callbacks.Callback):
    """Keeps the weights and optimizer step at the end of every epoch."""

    def on_epoch_end(self, epoch, logs=None):
        self.epoch = epoch
        self.weights = self.model.get_weights()
        self.iterations = int(self.model.optimizer.iterations.numpy())


class _Diverge(keras.callbacks.Callback):
    """From the start of epoch 3 (0-based 2), a learning rate that diverges."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            self.model.optimizer.learning_rate = 1e30


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert np.all(np.isfinite(a))
        np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("mode", ["in-memory", "resume_dir", "mirrored"])
def test_diverging_fit_raises_and_keeps_last_good_weights(digits48, tmp_path, mode):
    resume = mode == "resume_dir"
    # Under a strategy the snapshot reads mirrored variables.
    model = _model(digits48, **({"strategy": "mirrored"} if mode == "mirrored" else {}))
    base_lr = float(model.optimizer.learning_rate.numpy())
    record = _Record()
    resume_dir = str(tmp_path / "ckpt") if resume else None
    with pytest.raises(RuntimeError) as info:
        model.fit(
            digits48,
            epochs=5,
            callbacks=[record, _Diverge()],
            resume_dir=resume_dir,
            **FIT,
        )
    assert isinstance(info.value, kr.callbacks.NonFiniteLossError)
    assert isinstance(info.value, FloatingPointError)
    message = str(info.value)
    # One step per call (a short fit): the exact batch. Batch 1 computes its
    # loss before the first huge update; batch 2 is the first bad one.
    pattern = r"loss became (nan|inf) at epoch 3, batch 2 \(1-based\)\."
    assert re.search(pattern, message), message
    assert "last finite weights (of epoch 2)" in message, message
    assert record.epoch == 1  # epochs 1 and 2 finished
    _assert_weights_equal(model.get_weights(), record.weights)
    # The optimizer state (step count, learning rate) is that of epoch 2's end.
    assert int(model.optimizer.iterations.numpy()) == record.iterations == 6
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(base_lr)
    if resume:
        state = json.loads((tmp_path / "ckpt" / "state.json").read_text())
        assert state["epoch"] == 1 and np.isfinite(state["logs"]["loss"])
        assert not [p for p in os.listdir(tmp_path / "ckpt") if ".tmp" in p]
        fresh = _model(digits48)
        fresh.load_weights(str(tmp_path / "ckpt" / state["weights"]))
        _assert_weights_equal(fresh.get_weights(), record.weights)
        # A rerun of the same call (without the divergence) resumes at epoch 3.
        history = model.fit(digits48, epochs=3, resume_dir=resume_dir, **FIT)
        assert len(history.history["loss"]) == 1
        assert np.isfinite(history.history["loss"][0])


class _CorruptLastBatch(keras.callbacks.Callback):
    """Writes a NaN into a weight after the last batch of epoch 2 (0-based 1)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 2:
            kernel = self.model.trainable_variables[0]
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))


def test_weights_that_diverge_on_the_last_batch_are_never_checkpointed(
    digits48, tmp_path
):
    model = _model(digits48)
    record = _Record()
    with pytest.raises(RuntimeError, match=r"weights became NaN .* epoch 2 "):
        model.fit(
            digits48,
            epochs=3,
            callbacks=[record, _CorruptLastBatch()],
            resume_dir=str(tmp_path),
            **FIT,
        )
    # The check runs first at every epoch end, so record never saw the NaN
    # weights of epoch 2; the model and the checkpoint hold those of epoch 1.
    assert record.epoch == 0
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["epoch"] == 0
    fresh = _model(digits48)
    fresh.load_weights(str(tmp_path / state["weights"]))
    _assert_weights_equal(model.get_weights(), fresh.get_weights())


def test_terminate_on_nan_false_trains_on(digits48):
    model = _model(digits48)
    history = model.fit(
        digits48, epochs=3, callbacks=[_Diverge()], terminate_on_nan=False, **FIT
    )
    assert not np.isfinite(history.history["loss"][-1])
    assert not all(np.isfinite(w).all() for w in model.get_weights())


def test_cli_train_that_diverges_prints_one_line_and_exits_1(tmp_path, capsys):
    from keras_recipes.cli import main

    repo = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    recipe = os.path.join(repo, "templates", "image_classification.yaml")
    out = tmp_path / "run"
    sets = [
        "data.limit=48",
        "fit.epochs=2",
        "model.width=8",
        "model.depth=2",
        "model.learning_rate=1.0e+30",
        "tensorboard=false",
    ]
    argv = ["train", recipe, "--output-dir", str(out)]
    code = main(argv + [arg for s in sets for arg in ("--set", s)])
    err = capsys.readouterr().err
    assert code == 1, err
    pattern = r"keras-recipes train: error: loss became (nan|inf) at epoch 1, batch"
    assert re.match(pattern, err), err
    assert "Traceback" not in err and err.count("\n") == 1
    assert os.listdir(out) == []  # nothing exported from a diverged run


def test_several_steps_per_call_name_the_chunk(digits48, monkeypatch):
    # "auto" runs 16 steps per call in long fits; make this short one long.
    monkeypatch.setattr(kr.tasks.ImageClassifier, "auto_min_steps", 0)
    model = _model(digits48)
    with pytest.raises(RuntimeError) as info:
        model.fit(digits48, epochs=4, callbacks=[_Diverge()], **FIT)
    message = str(info.value)
    # 3 batches per epoch, run in one call: the error names that chunk.
    pattern = r"loss became (nan|inf) at epoch 3, batches 1-3 \(1-based, run in one"
    assert re.search(pattern, message), message
    assert "steps_per_execution=1" in message
