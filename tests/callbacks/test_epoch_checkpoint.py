"""`EpochCheckpoint`, the per-epoch checkpoint of resume_dir, CoordinatedBackup
and kr.tune (their kill-and-resume tests: tests/tasks/test_resume.py,
tests/distribute/, tests/tuning/test_tune.py)."""

import json
import os

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.callbacks.base import seed_states
from keras_recipes.callbacks.epoch_checkpoint import CheckpointLayout
from keras_recipes.callbacks.epoch_checkpoint import EpochCheckpoint
from keras_recipes.callbacks.epoch_checkpoint import plain_learning_rate


def dense(optimizer="sgd"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dropout(0.5, seed=1), keras.layers.Dense(1)]
    )
    model.compile(optimizer, "mse")
    return model


X, Y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")


def test_layout_epoch_count_and_older_files(tmp_path):
    layout = CheckpointLayout("s.json", "w-{epoch:03d}.weights.h5", epoch_offset=-1)
    checkpoint = EpochCheckpoint(str(tmp_path), layout)
    model = dense()
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[checkpoint])
    state = json.loads((tmp_path / "s.json").read_text())
    # The last finished epoch's index (offset -1); one [seed, counter] pair.
    assert state["epoch"] == 2 and state["weights"] == "w-002.weights.h5"
    assert len(state["seed_states"]) == 1 and state["seed_states"][0][1] > 0
    assert sorted(os.listdir(tmp_path)) == ["s.json", "w-002.weights.h5"]
    assert checkpoint.initial_epoch() == 3
    checkpoint.delete()
    assert os.listdir(tmp_path) == [] and checkpoint.initial_epoch() is None


def test_non_finite_epoch_is_not_checkpointed(tmp_path):
    checkpoint = EpochCheckpoint(str(tmp_path))
    checkpoint.set_model(dense())
    checkpoint.write(0, {"loss": 1.0})
    checkpoint.write(1, {"loss": float("nan")})
    assert checkpoint.read_state()["epoch"] == 1
    assert sorted(os.listdir(tmp_path)) == ["epoch-1.weights.h5", "state.json"]


def test_restore_puts_weights_seeds_and_base_learning_rate_back(tmp_path):
    model = dense(keras.optimizers.SGD(0.1))
    model.optimizer.learning_rate = 0.05  # as a per-epoch decay edits it
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[EpochCheckpoint(str(tmp_path))])
    weights = model.get_weights()
    model.fit(X, Y, epochs=1, verbose=0)  # then training goes on, unsaved
    restored = dense(keras.optimizers.SGD(0.1))
    assert EpochCheckpoint(str(tmp_path)).restore(restored) == 1
    for a, b in zip(weights, restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(restored.optimizer.iterations) == 1
    # The base learning rate, not the one saved with the weights.
    assert float(restored.optimizer.learning_rate) == pytest.approx(0.1)
    state = json.loads((tmp_path / "state.json").read_text())
    assert seed_states(restored) == state["seed_states"]
    assert EpochCheckpoint(str(tmp_path / "none")).restore(dense()) == 0


def test_restore_leaves_a_schedule_alone(tmp_path):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    model = dense(keras.optimizers.SGD(schedule))
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[EpochCheckpoint(str(tmp_path))])
    restored = dense(keras.optimizers.SGD(schedule))
    assert EpochCheckpoint(str(tmp_path)).restore(restored) == 2
    assert float(restored.optimizer.learning_rate) == pytest.approx(0.1 * 0.5**2)


def test_errors_for_other_models_and_damaged_folders(tmp_path):
    checkpoint = EpochCheckpoint(str(tmp_path), argument="run_dir")
    model = dense()
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[checkpoint])
    state = json.loads((tmp_path / "state.json").read_text())
    (tmp_path / "state.json").write_text(json.dumps({**state, "model": "Other"}))
    with pytest.raises(ValueError, match="`run_dir` holds a checkpoint of a Other"):
        checkpoint.restore(dense())
    (tmp_path / "state.json").write_text(json.dumps({**state, "weights": "gone.h5"}))
    with pytest.raises(ValueError, match="names a missing weights file"):
        checkpoint.read_state()


def test_plain_learning_rate():
    assert plain_learning_rate(None) is None
    assert plain_learning_rate(keras.optimizers.SGD(0.25)) == 0.25
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    assert plain_learning_rate(keras.optimizers.SGD(schedule)) is None
    inner = keras.optimizers.Adam(0.5)
    assert plain_learning_rate(keras.optimizers.LossScaleOptimizer(inner)) == 0.5


class _ContinuesAt(keras.callbacks.Callback):
    """Any callback with the resume hook (no EpochCheckpoint)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch
        self.epochs = []

    def initial_epoch(self):
        return self.epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_task_fit_continues_where_a_callbacks_resume_hook_says():
    (x, y), _ = kr.datasets.load_digits()
    x, y = x[:32], y[:32]
    model = kr.image_classifier(data=(x, y), width=4, depth=1)
    fit = dict(epochs=3, verbose=0, tensorboard=False)
    hook = _ContinuesAt(2)
    history = model.fit((x, y), callbacks=[hook], **fit)
    assert hook.epochs == [2] and len(history.history["loss"]) == 1
    nothing = _ContinuesAt(None)  # nothing to continue: from initial_epoch
    model.fit((x, y), callbacks=[nothing], initial_epoch=1, **fit)
    assert nothing.epochs == [1, 2]
