"""`kr.callbacks.CoordinatedBackup` in one process (the 2-worker kill test is in
test_multi_worker.py)."""

import copy
import json
import os

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.callbacks import CoordinatedBackup

FIT = dict(epochs=3, batch_size=8, shuffle=False, verbose=0, tensorboard=False)


def data(n=24):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    x = rng.uniform(0, 60, (n, 8, 8, 1)).astype("float32")
    x[y == 1, 2:6, 2:6, 0] += 150.0
    return x, y


def model():
    return kr.image_classifier(
        data=data(),
        width=4,
        depth=1,
        se_ratio=0.0,
        dropout=0.5,  # random layers: their seed states are backed up too
        augmentation=["flip", "translation"],
        seed=0,
    )


class Crash(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == (2, 1):
            raise RuntimeError("simulated crash")


def flat(m):
    return np.concatenate([np.ravel(w) for w in m.get_weights()])


# shuffle=True: `Task.fit` starts the shuffle at the backup's epoch.
@pytest.mark.parametrize("shuffle", [False, True])
def test_crash_then_resume_equals_uninterrupted(tmp_path, shuffle):
    kwargs = dict(FIT, shuffle=shuffle, seed=0)
    clean = model()
    clean.fit(data(), callbacks=[CoordinatedBackup(str(tmp_path / "a"))], **kwargs)
    # Completed: the backup is removed so the next fit starts fresh.
    assert os.listdir(tmp_path / "a") == []

    backup = CoordinatedBackup(str(tmp_path / "b"))
    crashed = model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashed.fit(data(), callbacks=[backup, Crash()], **kwargs)
    state = json.loads((tmp_path / "b" / "backup_state.json").read_text())
    assert state["epoch"] == 2 and state["weights"] == "epoch-2.weights.h5"
    assert len(state["seed_states"]) == 3  # dropout, flip, translation
    assert sorted(os.listdir(tmp_path / "b")) == [
        "backup_state.json",
        "epoch-2.weights.h5",
    ]

    restarted = model()  # a fresh process would build a fresh model
    history = restarted.fit(data(), callbacks=[copy.deepcopy(backup)], **kwargs)
    assert len(history.history["loss"]) == 1  # only the third epoch ran
    np.testing.assert_allclose(flat(restarted), flat(clean), rtol=0, atol=1e-6)
    # The learning rate the cosine schedule restored at the end is the base.
    assert float(restarted.optimizer.learning_rate) == pytest.approx(2e-3)


def test_deepcopy_is_fresh_and_config_round_trips(tmp_path):
    backup = CoordinatedBackup(str(tmp_path), delete_on_end=False)
    backup.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    twin = copy.deepcopy(backup)
    assert twin.get_config() == backup.get_config()
    assert twin.model is None
    assert CoordinatedBackup(**backup.get_config()).backup_dir == str(tmp_path)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`backup_dir` must be a folder path"):
        CoordinatedBackup("")
    with pytest.raises(TypeError, match="`delete_on_end` must be a bool"):
        CoordinatedBackup("x", delete_on_end="yes")


def test_state_naming_a_missing_file_is_an_error(tmp_path):
    (tmp_path / "backup_state.json").write_text(
        json.dumps({"epoch": 1, "weights": "epoch-1.weights.h5"})
    )
    m = model()
    with pytest.raises(ValueError, match="names a missing weights file"):
        m.fit(data(), callbacks=[CoordinatedBackup(str(tmp_path))], **FIT)


def test_chief_removes_orphan_temp_files_and_damaged_states_change_nothing(tmp_path):
    # A kill while the chief wrote left its temporary file; not locked (the
    # job's workers share the folder), the chief, its one writer, removes it.
    orphan = tmp_path / ".epoch-3.weights.h5.ab12cd34.tmp.weights.h5"
    orphan.write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("not ours")
    m = model()
    m.fit(data(), callbacks=[CoordinatedBackup(str(tmp_path))], **FIT)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
    outside = tmp_path.parent / f"{tmp_path.name}-outside.weights.h5"
    outside.write_bytes(b"")
    for state, message in [
        ("{", r"not valid JSON"),
        ({"epoch": 1, "weights": str(outside)}, r"`weights` field must be a plain"),
        ({"epoch": "2", "weights": "epoch-2.weights.h5"}, r"`epoch` field must be"),
    ]:
        text = state if isinstance(state, str) else json.dumps(state)
        (tmp_path / "backup_state.json").write_text(text)
        before = m.get_weights()
        pattern = r"`backup_dir` holds a damaged backup_state\.json: .*" + message
        with pytest.raises(ValueError, match=pattern):
            m.fit(data(), callbacks=[CoordinatedBackup(str(tmp_path))], **FIT)
        for a, b in zip(before, m.get_weights()):
            np.testing.assert_array_equal(a, b)
    assert outside.exists()
