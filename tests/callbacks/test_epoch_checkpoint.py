"""`EpochCheckpoint`, the per-epoch checkpoint of resume_dir, CoordinatedBackup
and kr.tune (their kill-and-resume tests: tests/tasks/test_resume.py,
tests/distribute/, tests/tuning/test_tune.py)."""

import errno
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes import utils
from keras_recipes.callbacks import folder_lock
from keras_recipes.callbacks.base import seed_states
from keras_recipes.callbacks.epoch_checkpoint import MAX_STATE_BYTES
from keras_recipes.callbacks.epoch_checkpoint import CheckpointLayout
from keras_recipes.callbacks.epoch_checkpoint import EpochCheckpoint
from keras_recipes.callbacks.epoch_checkpoint import plain_learning_rate
from keras_recipes.callbacks.folder_lock import LOCK_FILE
from keras_recipes.callbacks.folder_lock import FolderLock


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


# ------------------------------------------------- one writer, damaged states
HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, f"{os.getpid()}\\n".encode())
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(os.name != "posix", reason="the holder uses fcntl")
def test_lock_refuses_another_process_and_not_a_dead_one(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock_file)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        checkpoint = EpochCheckpoint(str(tmp_path), argument="resume_dir")
        pattern = (
            rf"`resume_dir` is in use by another training run \(pid {holder.pid}\)"
        )
        with pytest.raises(ValueError, match=pattern):
            checkpoint.lock()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # The OS released the dead holder's lock; its file is reused, then removed.
    assert lock_file.exists()
    checkpoint.lock()
    assert lock_file.read_text().strip() == str(os.getpid())
    checkpoint.unlock()
    assert os.listdir(tmp_path) == []


def test_lock_within_one_process_is_taken_over(tmp_path):
    # A fit that failed without releasing must not block the next one.
    first = EpochCheckpoint(str(tmp_path))
    first.lock()
    second = EpochCheckpoint(str(tmp_path))
    second.lock()
    first.unlock()  # no longer the holder: releases nothing
    assert (tmp_path / LOCK_FILE).exists()
    second.unlock()
    assert os.listdir(tmp_path) == []
    lock = FolderLock(str(tmp_path), "resume_dir", "r")
    lock.release()  # not held: nothing to do
    assert not lock.held


def test_lock_goes_on_unlocked_where_the_file_system_cannot_lock(tmp_path, monkeypatch):
    def no_locks(fd):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(folder_lock, "_try_lock", no_locks)
    (tmp_path / ".state.json.abcd1234.tmp.json").write_text("{")
    checkpoint = EpochCheckpoint(str(tmp_path), argument="resume_dir")
    with pytest.warns(UserWarning, match="Cannot lock `resume_dir`"):
        checkpoint.lock()
    # Unlocked: nothing proves the leftover is orphaned, so it stays.
    assert (tmp_path / ".state.json.abcd1234.tmp.json").exists()
    checkpoint.unlock()


def test_orphan_temp_files_are_removed_under_the_lock(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    # What a kill inside atomic_path leaves: the temporary file, never renamed.
    left = []
    for name in ("state.json", "epoch-3.weights.h5"):
        writing = utils.atomic_path(str(folder / name))
        tmp = writing.__enter__()
        with open(tmp, "w") as file:
            file.write("half")
        left.append(os.path.basename(tmp))
    assert all(utils.temp_target(name) for name in left)
    keep = [
        ".notes.txt.abcd1234.tmp.txt",  # a temp name, but not of our files
        "state.json.tmp",  # not atomic_path's pattern
        ".state.json.abc.tmp.json",  # 3 random characters, not 8
        "epoch-3.weights.h5",
    ]
    for name in keep:
        (folder / name).write_text("x")
    (folder / ".epoch-1.weights.h5.dir12345.tmp.weights.h5").mkdir()  # a folder
    link = folder / ".epoch-2.weights.h5.link1234.tmp.weights.h5"
    link.symlink_to(outside)  # a link: neither it nor its target goes
    nested = folder / "sub"
    nested.mkdir()
    (nested / ".state.json.abcd1234.tmp.json").write_text("x")  # not in the folder

    checkpoint = EpochCheckpoint(str(folder))
    checkpoint.lock()
    checkpoint.unlock()
    assert sorted(os.listdir(folder)) == sorted(
        [*keep, ".epoch-1.weights.h5.dir12345.tmp.weights.h5", link.name, "sub"]
    )
    assert outside.read_text() == "keep"
    assert os.listdir(nested) == [".state.json.abcd1234.tmp.json"]
    assert checkpoint.remove_temp_files() == []


def _checkpointed(tmp_path):
    folder = tmp_path / "run"
    checkpoint = EpochCheckpoint(str(folder), argument="run_dir")
    dense().fit(X, Y, epochs=1, verbose=0, callbacks=[checkpoint])
    state = json.loads((folder / "state.json").read_text())
    return folder, checkpoint, state


def _assert_refused_untouched(checkpoint, pattern):
    model = dense()
    model.load_weights = None  # any read of a weights file would fail here
    before = [np.array(v) for v in model.variables]
    with pytest.raises(ValueError, match=pattern) as info:
        checkpoint.restore(model)
    assert "Received: run_dir=" in str(info.value)
    for a, b in zip(before, model.variables):
        np.testing.assert_array_equal(a, np.array(b))


@pytest.mark.parametrize(
    "weights",
    ["ABSOLUTE", "../outside.weights.h5", "run/../../outside.weights.h5",
     "sub/epoch-1.weights.h5", "..\\outside.weights.h5", "..", "", 7, None,
     ["epoch-1.weights.h5"], "epoch-1\x00.weights.h5"],
)  # fmt: skip
def test_state_naming_weights_outside_the_folder_is_refused(tmp_path, weights):
    folder, checkpoint, state = _checkpointed(tmp_path)
    outside = tmp_path / "outside.weights.h5"
    os.replace(folder / state["weights"], outside)  # a valid file, outside
    if weights == "ABSOLUTE":
        weights = str(outside)
    (folder / "state.json").write_text(json.dumps({**state, "weights": weights}))
    _assert_refused_untouched(
        checkpoint, r"`run_dir` holds a damaged state\.json: its `weights` field"
    )
    with pytest.raises(ValueError, match="`weights` field"):
        checkpoint.delete()  # nothing is removed outside either
    assert outside.exists()


def test_state_naming_a_link_or_a_folder_is_refused(tmp_path):
    folder, checkpoint, state = _checkpointed(tmp_path)
    outside = tmp_path / "outside.weights.h5"
    os.replace(folder / state["weights"], outside)
    (folder / state["weights"]).symlink_to(outside)
    _assert_refused_untouched(checkpoint, r"which is not a regular file")
    os.remove(folder / state["weights"])
    os.mkdir(folder / state["weights"])
    _assert_refused_untouched(checkpoint, r"which is not a regular file")


HUGE = MAX_STATE_BYTES + 1
DROP = object()  # a field left out


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("{", r"not valid JSON"),
        ("", r"not valid JSON"),
        (b"\xff\xfe\x00", r"not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, r"not valid JSON"),
        ("[1, 2]", r"expected a JSON object, got a list"),
        ("null", r"expected a JSON object, got a NoneType"),
        ('"state"', r"expected a JSON object, got a str"),
        ({"epoch": DROP}, r"the `epoch` field is missing"),
        ({"weights": DROP}, r"the `weights` field is missing"),
        ({"epoch": "1"}, r"`epoch` field must be an integer, got '1'"),
        ({"epoch": 1.0}, r"`epoch` field must be an integer, got 1\.0"),
        ({"epoch": True}, r"`epoch` field must be an integer, got True"),
        ({"epoch": None}, r"`epoch` field must be an integer, got None"),
        ({"epoch": -3}, r"`epoch` field must be >= 1 \(a finished epoch\), got -3"),
        ({"epoch": 0}, r"`epoch` field must be >= 1"),
        ("NaN-EPOCH", r"`epoch` field must be an integer, got nan"),
        ({"seed_states": "x"}, r"`seed_states` field must be a list of lists"),
        ({"seed_states": [[1.5, 2]]}, r"`seed_states` field"),
        ({"seed_states": [[2**70, 0]]}, r"64-bit integers"),
        ({"model": 3}, r"`model` field must be a class name"),
        ({"base_learning_rate": "fast"}, r"`base_learning_rate` field must be a"),
        ("INF-RATE", r"`base_learning_rate` field must be a finite number"),
        ({"weights": "state.json"}, r"must name a `\.weights\.h5` file"),
        ({"weights": "a" * 5000 + ".weights.h5"}, r"cannot be read"),
        ("HUGE", r"16777217 bytes, over the 16777216"),
        ("FOLDER", r"not a regular file"),
        ("FIFO", r"not a regular file"),
        ("LINK", r"not a regular file"),
    ],
)
def test_damaged_state_is_a_clear_error_and_changes_nothing(tmp_path, text, pattern):
    folder, checkpoint, state = _checkpointed(tmp_path)
    path = folder / "state.json"
    os.remove(path)
    if isinstance(text, dict):
        state = {k: v for k, v in {**state, **text}.items() if v is not DROP}
        path.write_text(json.dumps(state))
    elif text == "NaN-EPOCH":
        path.write_text(json.dumps({**state, "epoch": float("nan")}))
    elif text == "INF-RATE":
        path.write_text(json.dumps({**state, "base_learning_rate": float("inf")}))
    elif text == "HUGE":
        with open(path, "wb") as file:
            file.truncate(HUGE)  # sparse: never read
    elif text == "FOLDER":
        path.mkdir()
    elif text == "FIFO":
        os.mkfifo(path)  # opening it would hang
    elif text == "LINK":
        (tmp_path / "elsewhere.json").write_text(json.dumps(state))
        path.symlink_to(tmp_path / "elsewhere.json")
    elif isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    _assert_refused_untouched(
        checkpoint, r"`run_dir` holds a damaged state\.json: .*" + pattern
    )
    with pytest.raises(ValueError, match=pattern):
        checkpoint.initial_epoch()


def test_weights_that_cannot_be_loaded_leave_the_model_as_it_was(tmp_path):
    folder, checkpoint, state = _checkpointed(tmp_path)
    (folder / state["weights"]).write_bytes(b"not an HDF5 file")
    model = dense()
    before = [np.array(v) for v in model.variables]
    with pytest.raises(ValueError, match="`run_dir` holds weights that cannot be"):
        checkpoint.restore(model)
    for a, b in zip(before, model.variables):
        np.testing.assert_array_equal(a, np.array(b))
    # Seed states of the wrong shape: the load fails, nothing stays changed.
    _, checkpoint, state = _checkpointed(tmp_path / "again")
    (tmp_path / "again" / "run" / "state.json").write_text(
        json.dumps({**state, "seed_states": [[1, 2, 3]]})
    )
    model = dense()
    before = [np.array(v) for v in model.variables]
    with pytest.raises(ValueError, match="cannot be loaded"):
        checkpoint.restore(model)
    for a, b in zip(before, model.variables):
        np.testing.assert_array_equal(a, np.array(b))
