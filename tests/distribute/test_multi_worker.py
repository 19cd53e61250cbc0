"""MultiWorkerMirroredStrategy: 2 worker processes on 127.0.0.1.

Each worker imports TensorFlow (~10-30 s on a loaded 2-core machine), so the
processes are few and the model tiny: 64 samples of 8x8 images, batch 16.
"""

import json
import os
import re
import signal
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from keras_recipes.distribute import get_strategy
from keras_recipes.distribute import launch
from keras_recipes.distribute import multi_worker

WORKER = textwrap.dedent(
    """
    import json, os, signal, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    index, out, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    import numpy as np, keras, keras_recipes as kr

    rng = np.random.default_rng(0)
    y = np.arange(64) % 2
    x = rng.uniform(0, 60, (64, 8, 8, 1)).astype("float32")
    x[y == 1, 2:6, 2:6, 0] += 150.0
    model = kr.image_classifier(
        data=(x, y), width=4, depth=1, se_ratio=0.0, dropout=0.0,
        augmentation=None, strategy="multi_worker", seed=0,
    )
    # Without it each worker keeps BatchNorm moving statistics of its own
    # shard, and the workers end with different non-trainable weights.
    kr.distribute.synchronize_batch_norm(model)
    callbacks = [kr.callbacks.CoordinatedBackup(os.path.join(out, "backup"),
                                               delete_on_end=False)]

    class Kill(keras.callbacks.Callback):
        epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if (self.epoch, batch) == (2, 1):
                os.kill(os.getpid(), signal.SIGKILL)

    class Diverge(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.optimizer.learning_rate = 1e30

    if mode == "kill" and index == 1:
        callbacks.append(Kill())
    if mode == "nan":
        try:
            model.fit((x, y), epochs=3, batch_size=16, shuffle=False, seed=0,
                      verbose=0, tensorboard=False, lr_schedule=None,
                      callbacks=[Diverge()])
        except kr.callbacks.NonFiniteLossError as error:
            with open(os.path.join(out, f"error-{index}.txt"), "w") as file:
                file.write(str(error))
        np.save(os.path.join(out, f"weights-{index}.npy"),
                np.concatenate([np.ravel(w) for w in model.get_weights()]))
        sys.exit(0)
    # Shuffled: after the kill, `fit` starts the shuffle at the backup's epoch
    # on both workers (each reads its shard of that epoch's permutation).
    history = model.fit((x, y), epochs=3, batch_size=16, shuffle=True, seed=0,
                        verbose=0, tensorboard=False, callbacks=callbacks)
    np.save(os.path.join(out, f"weights-{index}.npy"),
            np.concatenate([np.ravel(w) for w in model.get_weights()]))
    with open(os.path.join(out, f"history-{index}.json"), "w") as file:
        json.dump(history.history, file)
    """
)


def run_workers(tmp_path, out, mode, timeout=300):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    os.makedirs(out, exist_ok=True)
    procs = launch.start_workers(
        lambda i: [sys.executable, str(script), str(i), str(out), mode],
        2,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        log_dir=str(out),
    )
    # In "kill" mode worker 1 kills itself in epoch 3; worker 0 then blocks
    # in a collective op and `wait` stops it.
    return launch.wait(procs, timeout=timeout)


def logs(out):
    return "\n".join((out / f"worker-{i}.log").read_text()[-1500:] for i in range(2))


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mw-clean")
    out = tmp / "out"
    codes = run_workers(tmp, out, "clean")
    assert codes == [0, 0], logs(out)
    return out


@pytest.mark.slow
def test_two_workers_train_to_identical_weights(clean_run):
    w0 = np.load(clean_run / "weights-0.npy")
    w1 = np.load(clean_run / "weights-1.npy")
    np.testing.assert_array_equal(w0, w1)
    h0 = json.loads((clean_run / "history-0.json").read_text())
    assert len(h0["loss"]) == 3 and np.isfinite(h0["loss"]).all()
    assert h0["loss"][-1] < h0["loss"][0]
    # Only the chief wrote the backup, pointing at the last epoch.
    state = json.loads((clean_run / "backup" / "backup_state.json").read_text())
    # No random layers in this model (dropout 0, no augmentation): no seeds.
    assert state == {"epoch": 3, "weights": "epoch-3.weights.h5", "seed_states": []}
    assert sorted(os.listdir(clean_run / "backup")) == [
        "backup_state.json",
        "epoch-3.weights.h5",
    ]


@pytest.mark.slow
def test_killed_worker_restart_matches_uninterrupted_run(clean_run, tmp_path):
    out = tmp_path / "out"
    codes = run_workers(tmp_path, out, "kill")
    assert codes[1] == -signal.SIGKILL, logs(out)
    state = json.loads((out / "backup" / "backup_state.json").read_text())
    assert state["epoch"] == 2  # epochs 1 and 2 were backed up before the kill
    codes = run_workers(tmp_path, out, "resume")
    assert codes == [0, 0], logs(out)
    history = json.loads((out / "history-0.json").read_text())
    assert len(history["loss"]) == 1  # only epoch 3 ran after the restart
    expected = np.load(clean_run / "weights-0.npy")
    for index in range(2):
        np.testing.assert_allclose(
            np.load(out / f"weights-{index}.npy"), expected, rtol=0, atol=1e-6
        )


@pytest.mark.slow
def test_nan_raises_on_both_workers_at_the_same_epoch(tmp_path):
    # TerminateOnNaN lets the epoch run out under multi-worker (stopping early
    # on one worker would leave the other waiting in a collective): both
    # workers raise at the end of epoch 2 and keep epoch 1's weights.
    out = tmp_path / "out"
    codes = run_workers(tmp_path, out, "nan")
    assert codes == [0, 0], logs(out)
    for index in range(2):
        error = (out / f"error-{index}.txt").read_text()
        pattern = r"loss became (nan|inf) at epoch 2, batch \d+ \(1-based\)"
        assert re.match(pattern, error), error
        assert "last finite weights (of epoch 1)" in error
    w0, w1 = (np.load(out / f"weights-{index}.npy") for index in range(2))
    assert np.isfinite(w0).all()
    np.testing.assert_array_equal(w0, w1)


def test_patch_is_narrow_and_idempotent():
    # Another strategy is returned untouched; the fix wraps `reduce` only on
    # MultiWorkerMirroredStrategy instances, once.
    default = tf.distribute.get_strategy()
    assert multi_worker.patch_strategy(default) is default
    assert "reduce" not in vars(default)
    assert multi_worker.needs_patch((3, 15))
    assert not multi_worker.needs_patch((3, 16))


def test_tf_config_errors(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the TF_CONFIG environment"):
        get_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON"):
        get_strategy("multi_worker")
    with pytest.raises(ValueError, match=r"task index must be in \[0, 2\)"):
        multi_worker.check_tf_config(
            launch.tf_config([1, 2], 0).replace('"index": 0', '"index": 5')
        )
    monkeypatch.delenv("TF_CONFIG")
    assert multi_worker.is_chief()


def test_chief_is_worker_zero(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", launch.tf_config([1, 2], 1))
    assert not multi_worker.is_chief()
    monkeypatch.setenv("TF_CONFIG", launch.tf_config([1, 2], 0))
    assert multi_worker.is_chief()
