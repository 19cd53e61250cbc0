"""`CoordinatedBackup`: crash-safe epoch backups that every worker agrees on."""

import json
import os

import keras

from keras_recipes import utils
from keras_recipes.callbacks.base import StatelessCallback
from keras_recipes.callbacks.base import restore_seed_states
from keras_recipes.callbacks.base import seed_states

STATE_FILE = "backup_state.json"


def is_checkpoint_writer(model):
    """Whether this worker writes checkpoints: the chief, or a single process.

    `strategy.extended.should_checkpoint` is `False` on the non-chief workers
    of a `MultiWorkerMirroredStrategy` and `True` everywhere else.
    """
    strategy = model.distribute_strategy
    return bool(getattr(strategy.extended, "should_checkpoint", True))


@keras.saving.register_keras_serializable(package="keras_recipes")
class CoordinatedBackup(StatelessCallback):
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
    uninterrupted one.

    `backup_dir` must be a folder every worker can read (the same path on one
    machine, a shared file system across machines). The learning rate in
    effect is not restored: per-epoch schedules (the `fit` cosine decay,
    `OneCycleScheduler`) recompute it from the resumed epoch, and
    `LearningRateSchedule`s from the restored step count. The backup is
    deleted when training completes (`delete_on_end=True`), so the next `fit`
    starts fresh.

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
        super().__init__()
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
        self.backup_dir = backup_dir
        self.delete_on_end = delete_on_end

    def get_config(self):
        return {"backup_dir": self.backup_dir, "delete_on_end": self.delete_on_end}

    # ------------------------------------------------------------- helpers
    def _is_writer(self):
        return is_checkpoint_writer(self.model)

    def _state_path(self):
        return os.path.join(os.fspath(self.backup_dir), STATE_FILE)

    def read_state(self):
        """The last complete backup (`{"epoch": N, "weights": file, ...}`) or `None`."""
        path = self._state_path()
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as file:
            state = json.load(file)
        weights = os.path.join(os.fspath(self.backup_dir), state["weights"])
        if not os.path.isfile(weights):
            raise ValueError(
                f"`backup_dir` state names a missing weights file. "
                f"Received: {weights!r} in {path!r}"
            )
        return state

    # ------------------------------------------------------------ callbacks
    def on_train_begin(self, logs=None):
        state = self.read_state()
        if state is None:
            return
        model = self.model
        optimizer = model.optimizer
        with model.distribute_strategy.scope():
            if optimizer is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)
        keep_lr = None
        if optimizer is not None and not isinstance(
            optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule
        ):
            keep_lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        # First: a model with other random layers fails before any change.
        restore_seed_states(
            model, state.get("seed_states"), "backup_dir", self.backup_dir
        )
        model.load_weights(os.path.join(os.fspath(self.backup_dir), state["weights"]))
        if keep_lr is not None:
            optimizer.learning_rate = keep_lr
        model._initial_epoch = int(state["epoch"])  # as BackupAndRestore does

    def on_epoch_end(self, epoch, logs=None):
        if not self._is_writer():
            return
        folder = os.fspath(self.backup_dir)
        os.makedirs(folder, exist_ok=True)
        previous = self.read_state()
        name = f"epoch-{epoch + 1}.weights.h5"
        with utils.atomic_path(os.path.join(folder, name), ".weights.h5") as tmp:
            self.model.save_weights(tmp)
        with utils.atomic_path(self._state_path()) as tmp:
            with open(tmp, "w", encoding="utf-8") as file:
                json.dump(
                    {
                        "epoch": epoch + 1,
                        "weights": name,
                        "seed_states": seed_states(self.model),
                    },
                    file,
                )
        if previous is not None and previous["weights"] != name:
            old = os.path.join(folder, previous["weights"])
            if os.path.isfile(old):
                os.remove(old)

    def on_train_end(self, logs=None):
        if not (self.delete_on_end and self._is_writer()):
            return
        state = self.read_state()
        if state is None:
            return
        os.remove(self._state_path())
        weights = os.path.join(os.fspath(self.backup_dir), state["weights"])
        if os.path.isfile(weights):
            os.remove(weights)
