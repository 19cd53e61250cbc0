"""`CoordinatedBackup`: crash-safe epoch backups that every worker agrees on."""

import os

import keras

from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.callbacks.epoch_checkpoint import CheckpointLayout
from keras_recipes.callbacks.epoch_checkpoint import EpochCheckpoint
from keras_recipes.callbacks.epoch_checkpoint import is_checkpoint_writer

STATE_FILE = "backup_state.json"
LAYOUT = CheckpointLayout(STATE_FILE, "epoch-{epoch}.weights.h5", epoch_offset=0)


@keras.saving.register_keras_serializable(package="keras_recipes")
class CoordinatedBackup(StatelessCallback, EpochCheckpoint):
    """Backs up training at each epoch end; resumes every worker at one epoch.

    `keras.callbacks.BackupAndRestore` lets each worker of a
    `MultiWorkerMirroredStrategy` keep its own backup state; when one worker is
    killed and the job restarted, the workers can restore different epochs and
    desynchronise. Here only the chief (worker 0, or the `chief` task) writes,
    atomically: the weights and optimizer state go to a new
    `epoch-N.weights.h5`, then `backup_state.json` is replaced to point at it
    (and to hold the seed states of the dropout and augmentation layers, which
    `save_weights` leaves out), so the state file always names a complete
    backup. At the start of `fit` every worker reads that one state file and
    restores the same epoch, random layers' states included: with seeded,
    deterministic ops the resumed run ends with the weights of an
    uninterrupted one. It is an `EpochCheckpoint` (one mechanism with
    `fit(resume_dir=...)` and kr.tune's trial backups), whose
    `initial_epoch()` tells a template's `fit` the epoch to continue at, so
    it also continues the shuffled data order.

    `backup_dir` must be a folder every worker can read (the same path on one
    machine, a shared file system across machines). The learning rate in
    effect is not restored: per-epoch schedules (the `fit` cosine decay,
    `OneCycleScheduler`) recompute it from the resumed epoch, and
    `LearningRateSchedule`s from the restored step count. The backup is
    deleted when training completes (`delete_on_end=True`), so the next `fit`
    starts fresh.

    `backup_dir` is not locked: the job's workers share it by design (and a
    lock on a shared file system can outlive a killed chief for a while,
    refusing the restart it exists for). The chief, its one writer, removes
    the temporary files a killed write left when training starts; two jobs
    must not share one `backup_dir`. A damaged `backup_state.json` (not
    valid JSON, a wrong field, weights outside the folder) is a
    `ValueError` naming `backup_dir`, raised before the model changes.

    Args:
        backup_dir: folder for the backup files.
        delete_on_end: delete the backup when `fit` completes.

    Example:

    >>> import tempfile, numpy as np, keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> backup = CoordinatedBackup(tempfile.mkdtemp(), delete_on_end=False)
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[backup])
    >>> backup.read_state()["epoch"]
    2
    """

    def __init__(self, backup_dir, delete_on_end=True):
        if not isinstance(backup_dir, str | os.PathLike) or not os.fspath(backup_dir):
            raise ValueError(
                "`backup_dir` must be a folder path. "
                f"Received: backup_dir={backup_dir!r}"
            )
        if not isinstance(delete_on_end, bool):
            raise TypeError(
                "`delete_on_end` must be a bool. "
                f"Received: delete_on_end={delete_on_end!r}"
            )
        EpochCheckpoint.__init__(self, backup_dir, LAYOUT, argument="backup_dir")
        self.backup_dir = backup_dir
        self.delete_on_end = delete_on_end

    def get_config(self):
        return {"backup_dir": self.backup_dir, "delete_on_end": self.delete_on_end}

    def missing_weights_error(self, state_path, weights):
        weights = os.path.join(self._folder(), weights)
        return ValueError(
            f"`backup_dir` state names a missing weights file. "
            f"Received: {weights!r} in {state_path!r}"
        )

    # ------------------------------------------------------------ callbacks
    def on_train_begin(self, logs=None):
        if is_checkpoint_writer(self.model):
            # The job's one writer: what a killed chief was writing goes.
            self.remove_temp_files()
        state = self.read_state()
        if state is None:
            return
        # As BackupAndRestore does: Keras' fit starts at `model._initial_epoch`.
        self.model._initial_epoch = self.restore(self.model, state)

    def on_train_end(self, logs=None):
        if self.delete_on_end and is_checkpoint_writer(self.model):
            self.delete()
