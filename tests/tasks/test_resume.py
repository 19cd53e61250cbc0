"""Crash-safe training: SIGKILL mid-epoch, rerun, same weights as no crash."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

import keras_recipes as kr

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, numpy as np, keras, keras_recipes as kr

    def train(resume_dir, kill_at=None, stop_after=None):
        kr.set_seed(3, deterministic=True)
        (x, y), _ = kr.datasets.load_digits()
        x, y = x[:96], y[:96]
        model = kr.image_classifier(data=(x, y), width=8, depth=2)
        callbacks = []
        if stop_after is not None:
            # What kr.tune does with a trial stopped by its time budget: the
            # same model goes on later with fit(initial_epoch=...).
            class Stop(keras.callbacks.Callback):
                def on_epoch_end(self, epoch, logs=None):
                    self.model.stop_training = epoch == stop_after
            model.fit((x, y), epochs=4, batch_size=16, seed=3, verbose=0,
                      tensorboard=False, callbacks=[Stop()])
            model.fit((x, y), epochs=4, batch_size=16, seed=3, verbose=0,
                      tensorboard=False, initial_epoch=stop_after + 1)
            return np.concatenate([np.ravel(w) for w in model.get_weights()])
        if kill_at is not None:
            class Kill(keras.callbacks.Callback):
                def on_train_batch_end(self, batch, logs=None):
                    if (self.epoch, batch) == kill_at:
                        os.kill(os.getpid(), signal.SIGKILL)
                def on_epoch_begin(self, epoch, logs=None):
                    self.epoch = epoch
            callbacks.append(Kill())
        model.fit((x, y), epochs=4, batch_size=16, seed=3, verbose=0,
                  tensorboard=False, resume_dir=resume_dir, callbacks=callbacks)
        return np.concatenate([np.ravel(w) for w in model.get_weights()])

    mode, root = sys.argv[1], sys.argv[2]
    if mode == "kill":
        train(os.path.join(root, "resumed"), kill_at=(2, 3))
    else:
        resumed = train(os.path.join(root, "resumed"))
        clean = train(os.path.join(root, "clean"))
        plain = train(None)
        split = train(None, stop_after=1)
        print("MAXDIFF", float(np.abs(resumed - clean).max()))
        print("PLAIN", float(np.abs(plain - clean).max()))
        print("SPLIT", float(np.abs(split - clean).max()))
    """
)


@pytest.mark.slow
def test_kill_mid_epoch_then_resume_equals_uninterrupted(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    killed = subprocess.run(
        [sys.executable, str(script), "kill", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    state = json.loads((tmp_path / "resumed" / "state.json").read_text())
    assert state["epoch"] == 1  # epochs 0 and 1 finished before the kill in epoch 2
    assert not [p for p in os.listdir(tmp_path / "resumed") if ".tmp" in p]
    rerun = subprocess.run(
        [sys.executable, str(script), "resume", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    # Exactly equal: dropout masks and augmentations too (their seed states),
    # and the data order, which is also that of a run without `resume_dir`
    # (PLAIN) and of one stopped after epoch 1 and continued with
    # `fit(initial_epoch=2)` (SPLIT, as `kr.tune` resumes a trial).
    diffs = dict(line.split() for line in rerun.stdout.splitlines() if " " in line)
    assert set(diffs) >= {"MAXDIFF", "PLAIN", "SPLIT"}, rerun.stdout
    assert {k: float(v) for k, v in diffs.items()} == {
        "MAXDIFF": 0.0,
        "PLAIN": 0.0,
        "SPLIT": 0.0,
    }, rerun.stdout


def test_resume_dir_state_errors_and_completed_run(tmp_path):
    (x, y), _ = kr.datasets.load_digits()
    x, y = x[:32], y[:32]
    model = kr.image_classifier(data=(x, y), width=8, depth=2)
    resume_dir = str(tmp_path / "r")
    model.fit((x, y), epochs=2, verbose=0, tensorboard=False, resume_dir=resume_dir)
    state = json.loads((tmp_path / "r" / "state.json").read_text())
    assert state["epoch"] == 1
    # Readable JSON: one [seed, counter] pair per random layer (3 augmentations
    # and the dropout), the counters moved by training.
    seeds = state["seed_states"]
    assert len(seeds) == 4 and all(len(pair) == 2 for pair in seeds)
    assert all(counter > 0 for _, counter in seeds)
    before = model.get_weights()
    # Rerunning a finished call restores the final weights and trains no more.
    again = kr.image_classifier(data=(x, y), width=8, depth=2)
    again.fit((x, y), epochs=2, verbose=0, tensorboard=False, resume_dir=resume_dir)
    for a, b in zip(before, again.get_weights()):
        np.testing.assert_array_equal(a, b)
    # A model without the augmentation layers cannot continue that run.
    other = kr.image_classifier(data=(x, y), width=8, depth=2, augmentation=None)
    fresh = other.get_weights()
    expected = "4 random layers' seed states, this one has 1"
    with pytest.raises(ValueError, match=expected):
        other.fit((x, y), epochs=3, verbose=0, tensorboard=False, resume_dir=resume_dir)
    for a, b in zip(fresh, other.get_weights()):  # raised before any change
        np.testing.assert_array_equal(a, b)
    (tmp_path / "r" / "state.json").write_text(
        json.dumps({"epoch": 0, "weights": "ckpt-missing.weights.h5", "model": "X"})
    )
    with pytest.raises(ValueError, match="names a missing checkpoint"):
        model.fit((x, y), epochs=2, verbose=0, tensorboard=False, resume_dir=resume_dir)


def test_only_the_chief_writes_resume_checkpoints(tmp_path, monkeypatch):
    """A non-chief worker (should_checkpoint=False) saves to a scratch dir only."""
    (x, y), _ = kr.datasets.load_digits()
    x, y = x[:32], y[:32]
    model = kr.image_classifier(data=(x, y), width=8, depth=2)
    extended = type(model.distribute_strategy.extended)
    monkeypatch.setattr(extended, "should_checkpoint", property(lambda self: False))
    saved = []
    save_weights = model.save_weights

    def spy(path, *args, **kwargs):
        saved.append(path)
        save_weights(path, *args, **kwargs)
        assert os.path.isfile(path)

    monkeypatch.setattr(model, "save_weights", spy)
    resume_dir = tmp_path / "r"
    model.fit((x, y), epochs=2, verbose=0, tensorboard=False, resume_dir=resume_dir)
    assert len(saved) == 2  # took part in every epoch's save ...
    assert os.listdir(resume_dir) == []  # ... but wrote nothing into resume_dir
    assert not any(os.path.exists(os.path.dirname(p)) for p in saved)
    assert not any(str(resume_dir) in p for p in saved)


RACE = textwrap.dedent(
    """
    import os, sys, time, keras, keras_recipes as kr

    role, resume_dir, flags = sys.argv[1], sys.argv[2], sys.argv[3]
    (x, y), _ = kr.datasets.load_digits()
    x, y = x[:32], y[:32]
    model = kr.image_classifier(data=(x, y), width=4, depth=1)

    class Hold(keras.callbacks.Callback):
        # The first run waits inside its first epoch until the second is done.
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0 and not os.path.exists(os.path.join(flags, "go")):
                open(os.path.join(flags, "training"), "w").close()
                deadline = time.time() + 240
                while not os.path.exists(os.path.join(flags, "go")):
                    if time.time() > deadline:
                        raise SystemExit("never released")
                    time.sleep(0.05)

    try:
        model.fit((x, y), epochs=2, batch_size=16, verbose=0, tensorboard=False,
                  resume_dir=resume_dir, callbacks=[Hold()] if role == "a" else [])
    except ValueError as error:
        print("REFUSED", error, flush=True)
        sys.exit(3)
    print("TRAINED", flush=True)
    """
)


@pytest.mark.slow
def test_two_processes_on_one_resume_dir_one_trains_one_is_refused(tmp_path):
    script = tmp_path / "race.py"
    script.write_text(RACE)
    resume_dir, flags = tmp_path / "r", tmp_path / "flags"
    flags.mkdir()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

    def start(role):
        return subprocess.Popen(
            [sys.executable, str(script), role, str(resume_dir), str(flags)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    first = start("a")
    try:
        deadline = time.time() + 300
        while not (flags / "training").exists():
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.time() < deadline, "the first run never started training"
            time.sleep(0.2)
        second = start("b")
        out, err = second.communicate(timeout=300)
        assert second.returncode == 3, err[-2000:]
        assert f"is in use by another training run (pid {first.pid})" in out, out
        assert "Received: resume_dir=" in out and "Traceback" not in err, err
        assert os.listdir(resume_dir) == [".keras_recipes.lock"]  # nothing written
    finally:
        (flags / "go").touch()
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0 and "TRAINED" in out, err[-2000:]
    # The first run's checkpoint, whole; its lock is gone with it.
    assert sorted(os.listdir(resume_dir)) == ["ckpt-00001.weights.h5", "state.json"]
    assert json.loads((resume_dir / "state.json").read_text())["epoch"] == 1


def _small():
    (x, y), _ = kr.datasets.load_digits()
    x, y = x[:32], y[:32]
    return (x, y), kr.image_classifier(data=(x, y), width=4, depth=1)


FIT = dict(epochs=2, batch_size=16, verbose=0, tensorboard=False)


def test_fit_removes_orphan_temp_files_and_releases_its_lock(tmp_path):
    data, model = _small()
    resume_dir = tmp_path / "r"
    resume_dir.mkdir()
    orphans = [
        ".ckpt-00003.weights.h5.k2x_9a0b.tmp.weights.h5",
        ".state.json.zz99aa00.tmp.json",
    ]
    for name in orphans:
        (resume_dir / name).write_text("half-written by a killed run")
    (resume_dir / "notes.tmp").write_text("not ours")
    model.fit(data, resume_dir=str(resume_dir), **FIT)
    assert sorted(os.listdir(resume_dir)) == [
        "ckpt-00001.weights.h5",
        "notes.tmp",
        "state.json",
    ]

    # Released also when fit fails: the same folder serves the next call.
    class Crash(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            assert ".keras_recipes.lock" in os.listdir(resume_dir)  # held
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        model.fit(
            data,
            resume_dir=str(resume_dir),
            callbacks=[Crash()],
            **{**FIT, "epochs": 3},
        )
    assert ".keras_recipes.lock" not in os.listdir(resume_dir)
    model.fit(data, resume_dir=str(resume_dir), **{**FIT, "epochs": 1})  # done
    assert ".keras_recipes.lock" not in os.listdir(resume_dir)


@pytest.mark.parametrize(
    "change, pattern",
    [
        ({"weights": "ABSOLUTE"}, r"`weights` field must be a plain file name"),
        ({"weights": "../outside.weights.h5"}, r"`weights` field must be a plain"),
        ({"epoch": "1"}, r"`epoch` field must be an integer"),
        ({"epoch": -2}, r"`epoch` field must be >= 0"),
        ("{not json", r"not valid JSON"),
        ("[]", r"expected a JSON object"),
        ({"weights": None, "epoch": None}, r"`epoch` field must be an integer"),
    ],
)
def test_damaged_state_json_is_refused_before_any_change(tmp_path, change, pattern):
    data, model = _small()
    resume_dir = tmp_path / "r"
    model.fit(data, resume_dir=str(resume_dir), **FIT)
    state = json.loads((resume_dir / "state.json").read_text())
    outside = tmp_path / "outside.weights.h5"
    os.replace(resume_dir / state["weights"], outside)
    if isinstance(change, dict):
        if change.get("weights") == "ABSOLUTE":
            change = {"weights": str(outside)}
        text = json.dumps({**state, **change})
    else:
        text = change
    (resume_dir / "state.json").write_text(text)
    _, fresh = _small()
    before = fresh.get_weights()
    expected = r"`resume_dir` holds a damaged state\.json: .*" + pattern
    with pytest.raises(ValueError, match=expected) as info:
        fresh.fit(data, resume_dir=str(resume_dir), **{**FIT, "epochs": 3})
    assert f"Received: resume_dir={str(resume_dir)!r}" in str(info.value)
    for a, b in zip(before, fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ".keras_recipes.lock" not in os.listdir(resume_dir)
    assert outside.exists()
