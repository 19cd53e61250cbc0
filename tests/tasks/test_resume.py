"""Crash-safe training: SIGKILL mid-epoch, rerun, same weights as no crash."""

import json
import os
import signal
import subprocess
import sys
import textwrap

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
