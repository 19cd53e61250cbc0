"""Crash-safe, resumable training for `Task.fit(resume_dir=...)`.

An `EpochCheckpoint` (see `keras_recipes.callbacks.epoch_checkpoint` for
the protocol: atomic per-epoch weights and optimizer state, seed-generator
states, chief-only writes, no checkpoint of a non-finite epoch) in
`resume_dir`'s layout: `ckpt-<epoch>.weights.h5` beside a `state.json` that
names it and counts the last finished epoch, and also records the model's
class, the base learning rate and the epoch's logs.

On restart, `fit` loads the checkpoint and continues at the next epoch, whose
batches come in the order they had in the uninterrupted run (the pipeline's
shuffle starts at that epoch's pass, see `Task.fit`), so that with
`kr.set_seed(..., deterministic=True)` the final weights equal those of an
uninterrupted run, with or without `resume_dir`.

`resume_dir` has one writer: `start` locks it for the whole `fit` (a second
run given the same folder gets a `ValueError` naming its process id) and
removes the temporary files a killed run left; `fit` releases the lock when
it ends, also on errors.
"""

from keras_recipes import utils
from keras_recipes.callbacks.epoch_checkpoint import CheckpointLayout
from keras_recipes.callbacks.epoch_checkpoint import EpochCheckpoint

STATE = "state.json"
LAYOUT = CheckpointLayout(STATE, "ckpt-{epoch:05d}.weights.h5", epoch_offset=-1)


class ResumeCheckpoint(EpochCheckpoint):
    """The per-epoch checkpoint of `Task.fit(resume_dir=...)`.

    `restore(model)` (which `fit` calls before training) records the base
    learning rate that later states keep.

    Args:
        resume_dir: the checkpoint folder.
    """

    def __init__(self, resume_dir):
        super().__init__(resume_dir, LAYOUT, argument="resume_dir")

    def missing_weights_error(self, state_path, weights):
        return ValueError(
            f"`resume_dir` holds a state.json that names a missing checkpoint. "
            f"Received: resume_dir={self.directory!r} (missing {weights})"
        )

    def extra_state(self, epoch, logs):
        return {
            "model": self.model.__class__.__name__,
            "base_learning_rate": self.base_learning_rate,
            "logs": {k: float(v) for k, v in logs.items()},
        }


def start(model, data, resume_dir):
    """Locks `resume_dir` and restores its checkpoint into `model`.

    Args:
        model: the task being fitted.
        data: its training `kr.data.Data` (must be in memory).
        resume_dir: the `fit` argument.

    Returns:
        `(checkpoint, initial_epoch)`: the locked `ResumeCheckpoint`, which
        the caller adds to the callbacks and `unlock()`s when `fit` ends, and
        the epoch to start at.
    """
    resume_dir = utils.check_writable_dir("resume_dir", resume_dir)
    if data.x is None:
        raise ValueError(
            "`resume_dir` needs in-memory data (arrays, DataFrames, folders) "
            "so the data order can be continued. Received: x="
            f"{'a streamed file' if data.source is not None else 'tf.data.Dataset'}"
        )
    checkpoint = ResumeCheckpoint(resume_dir)
    checkpoint.set_model(model)  # only the writing worker locks
    checkpoint.lock()
    try:
        return checkpoint, checkpoint.restore(model)
    except BaseException:
        checkpoint.unlock()
        raise
