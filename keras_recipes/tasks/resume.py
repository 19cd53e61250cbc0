"""Crash-safe, resumable training for `Task.fit(resume_dir=...)`.

At the end of every epoch the model's weights (with the optimizer's slots and
iteration count) are written to `ckpt-<epoch>.weights.h5`, then `state.json`
is atomically replaced to point at it and to hold the seed-generator states of
the dropout and augmentation layers (`save_weights` leaves those out; without
them a resumed run would draw other masks and augmentations than an
uninterrupted one); older checkpoints are removed afterwards.
A kill at any point leaves a `state.json` that names a complete checkpoint.
Epochs whose loss is not finite are never checkpointed. Under a
`MultiWorkerMirroredStrategy` only the chief writes into `resume_dir`; the
other workers save into a temporary folder that is removed at once (saving
may be collective, so every worker has to take part), and all of them
restore from the chief's checkpoint.

On restart, `fit` loads the checkpoint and continues at the next epoch, whose
batches come in the order they had in the uninterrupted run (the pipeline's
shuffle starts at that epoch's pass, see `Task.fit`), so that with
`kr.set_seed(..., deterministic=True)` the final weights equal those of an
uninterrupted run, with or without `resume_dir`.
"""

import json
import os
import shutil
import tempfile

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes.callbacks.base import restore_seed_states
from keras_recipes.callbacks.base import seed_states
from keras_recipes.callbacks.coordinated_backup import is_checkpoint_writer

STATE = "state.json"


def read_state(resume_dir):
    """Returns the saved state dict, or `None` when there is none."""
    path = os.path.join(resume_dir, STATE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as file:
        state = json.load(file)
    if not os.path.isfile(os.path.join(resume_dir, state["weights"])):
        raise ValueError(
            f"`resume_dir` holds a state.json that names a missing checkpoint. "
            f"Received: resume_dir={resume_dir!r} (missing {state['weights']})"
        )
    return state


def restore(model, resume_dir):
    """Loads the last checkpoint into `model`; returns the epoch to start at.

    `model.optimizer` must be built (`Task.fit` builds it first), so the
    checkpoint's optimizer state has slots to load into.
    """
    state = read_state(resume_dir)
    if state is None:
        return 0, None
    if state.get("model") != model.__class__.__name__:
        raise ValueError(
            f"`resume_dir` holds a checkpoint of a {state.get('model')}, not of a "
            f"{model.__class__.__name__}. Received: resume_dir={resume_dir!r}"
        )
    # First: a model with other random layers fails before any change.
    restore_seed_states(model, state.get("seed_states"), "resume_dir", resume_dir)
    model.load_weights(os.path.join(resume_dir, state["weights"]))
    if state.get("base_learning_rate") is not None:
        model.optimizer.learning_rate = state["base_learning_rate"]
    return int(state["epoch"]) + 1, state


class ResumeCheckpoint(keras.callbacks.Callback):
    """Writes the per-epoch checkpoint described in the module docstring."""

    def __init__(self, resume_dir, base_learning_rate=None):
        super().__init__()
        self.resume_dir = resume_dir
        self.base_learning_rate = base_learning_rate

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            return  # never checkpoint NaN weights
        name = f"ckpt-{epoch:05d}.weights.h5"
        if not is_checkpoint_writer(self.model):
            # A non-chief worker of a MultiWorkerMirroredStrategy: every worker
            # saves (saving may run collective ops), only the chief keeps it.
            scratch = tempfile.mkdtemp(prefix="kr-resume-worker-")
            try:
                self.model.save_weights(os.path.join(scratch, name))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            return
        path = os.path.join(self.resume_dir, name)
        with utils.atomic_path(path, suffix=".weights.h5") as tmp:
            self.model.save_weights(tmp)
        state = {
            "epoch": int(epoch),
            "weights": name,
            "model": self.model.__class__.__name__,
            "base_learning_rate": self.base_learning_rate,
            "seed_states": seed_states(self.model),
            "logs": {k: float(v) for k, v in (logs or {}).items()},
        }
        with utils.atomic_path(os.path.join(self.resume_dir, STATE)) as tmp:
            with open(tmp, "w", encoding="utf-8") as file:
                json.dump(state, file, indent=2)
        for old in os.listdir(self.resume_dir):
            if old.startswith("ckpt-") and old.endswith(".h5") and old != name:
                os.remove(os.path.join(self.resume_dir, old))
