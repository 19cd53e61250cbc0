"""`EpochCheckpoint`: the per-epoch checkpoint that interrupted runs resume from.

One mechanism serves `Task.fit(resume_dir=...)`, `kr.callbacks.CoordinatedBackup`
(multi-worker) and the trial backups of `kr.tune`. At the end of each epoch:

1. the model's weights, with the optimizer's slots and step count, are saved
   to a new weights file, atomically (a temporary file renamed over it);
2. the state file is atomically replaced to point at it, with the epoch and
   the states of the model's seed generators (dropout, augmentation and noise
   layers draw from them; `save_weights` leaves them out, and without them a
   resumed run would draw other masks than an uninterrupted one), plus what
   the owner adds (`extra_state`);
3. older weights files of the folder are removed.

A kill at any point leaves a state file that names a complete checkpoint.
Epochs whose loss is not finite are never checkpointed. Under a
`MultiWorkerMirroredStrategy` only the chief writes; the other workers save
into a temporary folder that is removed at once (saving may run collective
ops, so every worker takes part), and all of them restore from the chief's
checkpoint.

`restore(model)` puts the last checkpoint back: seed states first (a model
with other random layers fails before any change), then weights and
optimizer state, then the base learning rate. The checkpoint holds the
learning rate of its last epoch, which per-epoch decays (the `fit` cosine
decay, `OneCycleScheduler`) edit; they recompute it from the base value and
the epoch index, so the optimizer's plain learning rate from before the load
is put back (a `LearningRateSchedule` is left alone: it recomputes from the
restored step count). It returns the epoch at which training continues.

**Resume hook.** `Task.fit` asks every callback that has a callable
`initial_epoch()` where its run continues: it returns the epoch (Keras'
`initial_epoch`: the number of finished epochs) or `None` when there is
nothing to continue. `fit` then trains from that epoch, and starts the
shuffle of its pipeline at that epoch's pass, so the batches come in the
order they had in the uninterrupted run. The callback itself restores the
model (`CoordinatedBackup` does in `on_train_begin`). `EpochCheckpoint`
implements it by reading its state file.

The file names and the meaning of the state's `"epoch"` field belong to each
owner's `CheckpointLayout`, so that folders written by earlier versions
still resume: `resume_dir` keeps `state.json` + `ckpt-<epoch>.weights.h5`
and counts the last finished epoch; `CoordinatedBackup` keeps
`backup_state.json` + `epoch-<N>.weights.h5` and kr.tune trials
`backup/state.json` + `latest.weights.h5`, both counting finished epochs.

**A state file is input.** `read_state` checks it before anything uses it:
a regular file of at most `MAX_STATE_BYTES`, a JSON object with an integer
`"epoch"` of at least one finished epoch, a `"weights"` field that is a
plain `.weights.h5` file name inside the folder (no folder part, no `..`,
not absolute, not a link), seed states as lists of integers. Anything else
is a `ValueError` that names the folder's argument and the field, raised
before the model is changed.

**One writer.** A folder with one writer by rule (`resume_dir`) is locked
for the whole run (`lock()`, a `FolderLock`): a second run given the same
folder is refused, and under the lock the temporary files that a killed
write left are removed (`remove_temp_files`: only `utils.atomic_path`'s
temporary names of this layout's files, only in the folder itself).
`CoordinatedBackup`'s folder is shared by a job's workers (the chief
writes) and kr.tune's trial folders belong to the worker the oracle gave
the trial: their one writer removes its leftovers without a lock.
"""

import dataclasses
import json
import math
import os
import shutil
import stat
import tempfile

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes.callbacks.base import restore_seed_states
from keras_recipes.callbacks.base import seed_states
from keras_recipes.callbacks.folder_lock import FolderLock

# The largest state file read (a few KB in practice; kr.tune's keep the
# logs of every epoch of a trial).
MAX_STATE_BYTES = 16 * 2**20
WEIGHTS_SUFFIX = ".weights.h5"


@dataclasses.dataclass(frozen=True)
class CheckpointLayout:
    """File names of a checkpoint folder and what its `"epoch"` field counts.

    Args:
        state_file: name of the JSON state file.
        weights_file: name of the weights file, formatted with `epoch=` (the
            state's `"epoch"` value); a name without a field is overwritten
            each epoch.
        epoch_offset: the state's `"epoch"` minus the number of finished
            epochs: `0` (the epoch to continue at) or `-1` (the index of the
            last finished epoch).
    """

    state_file: str = "state.json"
    weights_file: str = "epoch-{epoch}.weights.h5"
    epoch_offset: int = 0

    def is_weights_name(self, name):
        """Whether `name` fits `weights_file` (for any epoch)."""
        if "{" not in self.weights_file:
            return name == self.weights_file
        prefix = self.weights_file.split("{")[0]
        suffix = self.weights_file.rsplit("}")[-1]
        return (
            len(name) > len(prefix) + len(suffix)
            and name.startswith(prefix)
            and name.endswith(suffix)
        )


DEFAULT_LAYOUT = CheckpointLayout()


def is_checkpoint_writer(model):
    """Whether this worker writes checkpoints: the chief, or a single process.

    `strategy.extended.should_checkpoint` is `False` on the non-chief workers
    of a `MultiWorkerMirroredStrategy` and `True` everywhere else.
    """
    strategy = model.distribute_strategy
    return bool(getattr(strategy.extended, "should_checkpoint", True))


def plain_learning_rate(optimizer):
    """The optimizer's learning rate as a float, or `None` for a schedule.

    A `LossScaleOptimizer` (mixed precision) answers for its inner optimizer.

    Args:
        optimizer: a Keras optimizer or `None`.

    Returns:
        A float, or `None` when there is no optimizer or its learning rate
        is a `LearningRateSchedule` or another callable.
    """
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if optimizer is None:
        return None
    value = optimizer.get_config().get("learning_rate")
    return float(value) if isinstance(value, int | float) else None


class EpochCheckpoint(keras.callbacks.Callback):
    """Writes, reads and restores the per-epoch checkpoint of a training run.

    See the module docstring for the protocol. Subclasses add fields to the
    state (`extra_state`) and their own error for a damaged folder
    (`missing_weights_error`).

    Args:
        directory: the checkpoint folder (created at the first write).
        layout: a `CheckpointLayout`.
        argument: the name the user gave the folder under, for errors.
        argument_value: the value shown with `argument` in errors; defaults
            to `directory`.

    Example:

    >>> import tempfile, numpy as np, keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> checkpoint = EpochCheckpoint(tempfile.mkdtemp())
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[checkpoint])
    >>> checkpoint.initial_epoch(), checkpoint.read_state()["weights"]
    (2, 'epoch-2.weights.h5')
    >>> EpochCheckpoint(checkpoint.directory).restore(model)
    2
    """

    def __init__(
        self,
        directory,
        layout=DEFAULT_LAYOUT,
        argument="directory",
        argument_value=None,
    ):
        super().__init__()
        self.directory = directory
        self.layout = layout
        self.argument = argument
        self.argument_value = directory if argument_value is None else argument_value
        self.base_learning_rate = None
        self._lock = None

    # --------------------------------------------------------------- files
    def _folder(self):
        return os.fspath(self.directory)

    def _state_path(self):
        return os.path.join(self._folder(), self.layout.state_file)

    def missing_weights_error(self, state_path, weights):
        """The error for a state file that names a missing weights file."""
        return ValueError(
            f"`{self.argument}` holds a {self.layout.state_file} that names a "
            f"missing weights file. Received: {self.argument}="
            f"{self.argument_value!r} (missing {weights})"
        )

    def damaged_state_error(self, problem):
        """The error for a state file that cannot be used, saying why."""
        return ValueError(
            f"`{self.argument}` holds a damaged {self.layout.state_file}: "
            f"{problem}. Received: {self.argument}={self.argument_value!r}"
        )

    def read_state(self):
        """The last complete checkpoint's state dict, or `None` if there is none.

        Raises:
            ValueError: the state file is not a valid state (see the module
                docstring) or names a weights file that is missing.
        """
        path = self._state_path()
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as error:  # e.g. the "folder" is a file
            raise self.damaged_state_error(
                f"cannot be read ({error.strerror})"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise self.damaged_state_error("it is not a regular file")
        if info.st_size > MAX_STATE_BYTES:
            raise self.damaged_state_error(
                f"{info.st_size} bytes, over the {MAX_STATE_BYTES} a state can have"
            )
        try:
            # Checked again on the open file: a FIFO swapped in since the
            # `lstat` raises instead of blocking.
            with utils.open_regular(path) as file:
                raw = file.read(MAX_STATE_BYTES + 1)
        except OSError as error:
            raise self.damaged_state_error(
                f"cannot be read ({error.strerror or error})"
            ) from None
        if len(raw) > MAX_STATE_BYTES:  # grew since the check
            raise self.damaged_state_error(f"over {MAX_STATE_BYTES} bytes")
        try:
            state = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            detail = str(error)[:200]
            raise self.damaged_state_error(f"not valid JSON ({detail})") from None
        self.check_state(state)
        weights = os.path.join(self._folder(), state["weights"])
        try:
            info = os.lstat(weights)
        except FileNotFoundError:
            raise self.missing_weights_error(path, state["weights"]) from None
        except OSError as error:  # e.g. a name too long
            raise self.damaged_state_error(
                f"its `weights` field names a file that cannot be read "
                f"({error.strerror})"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise self.damaged_state_error(
                f"its `weights` field names {state['weights']!r}, which is not "
                "a regular file"
            )
        if not state["weights"].endswith(WEIGHTS_SUFFIX):
            raise self.damaged_state_error(
                f"its `weights` field must name a `{WEIGHTS_SUFFIX}` file, "
                f"got {state['weights']!r:.200}"
            )
        return state

    def check_state(self, state):
        """Raises `damaged_state_error` unless `state` is a valid state dict.

        Subclasses check their own fields too (calling this one first).
        """
        if not isinstance(state, dict):
            raise self.damaged_state_error(
                f"expected a JSON object, got a {type(state).__name__}"
            )
        for key in ("epoch", "weights"):
            if key not in state:
                raise self.damaged_state_error(f"the `{key}` field is missing")
        epoch = state["epoch"]
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            raise self.damaged_state_error(
                f"its `epoch` field must be an integer, got {epoch!r:.100}"
            )
        if epoch - self.layout.epoch_offset < 1:
            raise self.damaged_state_error(
                f"its `epoch` field must be >= {1 + self.layout.epoch_offset} "
                f"(a finished epoch), got {epoch}"
            )
        self._check_weights_name(state["weights"])
        self._check_seed_states(state.get("seed_states"))
        if "model" in state and not isinstance(state["model"], str):
            raise self.damaged_state_error(
                f"its `model` field must be a class name, got {state['model']!r:.100}"
            )
        rate = state.get("base_learning_rate")
        if rate is not None and (
            not isinstance(rate, int | float)
            or isinstance(rate, bool)
            or not math.isfinite(rate)
        ):
            raise self.damaged_state_error(
                "its `base_learning_rate` field must be a finite number or null, "
                f"got {rate!r:.100}"
            )

    def _check_weights_name(self, name):
        plain = (
            isinstance(name, str)
            and name not in ("", ".", "..")
            and os.path.basename(name) == name
            and "/" not in name
            and "\\" not in name
            and "\0" not in name
            and not os.path.isabs(name)
            and os.path.splitdrive(name)[0] == ""
        )
        if not plain:
            raise self.damaged_state_error(
                "its `weights` field must be a plain file name inside the "
                f"folder, got {name!r:.200}"
            )

    def _check_seed_states(self, states):
        if states is None:
            return
        valid = isinstance(states, list) and all(
            isinstance(pair, list)
            and all(
                isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63
                for v in pair
            )
            for pair in states
        )
        if not valid:
            raise self.damaged_state_error(
                "its `seed_states` field must be a list of lists of 64-bit "
                f"integers, got {states!r:.100}"
            )

    # ------------------------------------------------------- one writer
    def lock(self):
        """Locks the folder for this run and removes temporary leftovers.

        Only the writing worker locks (`is_checkpoint_writer`; call after
        `set_model`, or with no model for a single process). Release with
        `unlock()`.

        Raises:
            ValueError: another run holds the folder.
        """
        if self.model is not None and not is_checkpoint_writer(self.model):
            return
        os.makedirs(self._folder(), exist_ok=True)
        lock = FolderLock(self._folder(), self.argument, self.argument_value)
        if lock.acquire():
            self._lock = lock
            self.remove_temp_files()

    def unlock(self):
        """Releases the folder lock taken by `lock()`, if any."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def remove_temp_files(self):
        """Removes the temporary files that killed writes left in the folder.

        Only regular files directly in the folder whose names are
        `utils.atomic_path` temporary names of this layout's state or
        weights files. Call only as the folder's one writer.

        Returns:
            The names removed.
        """
        folder = self._folder()
        try:
            names = os.listdir(folder)
        except OSError:
            return []
        removed = []
        for name in sorted(names):
            target = utils.temp_target(name)
            if target is None or not (
                target == self.layout.state_file or self.layout.is_weights_name(target)
            ):
                continue
            path = os.path.join(folder, name)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.remove(path)
                    removed.append(name)
            except FileNotFoundError:
                pass
        return removed

    def initial_epoch(self, state=None):
        """The epoch the run continues at (the resume hook of `Task.fit`).

        Args:
            state: a state from `read_state`; `None` reads it.

        Returns:
            The number of finished epochs, or `None` without a checkpoint.
        """
        state = self.read_state() if state is None else state
        if state is None:
            return None
        return int(state["epoch"]) - self.layout.epoch_offset

    def delete(self):
        """Removes the state file and the weights file it names."""
        state = self.read_state()
        if state is None:
            return
        os.remove(self._state_path())
        weights = os.path.join(self._folder(), state["weights"])
        if os.path.isfile(weights):
            os.remove(weights)

    # ------------------------------------------------------------- restore
    def restore(self, model, state=None):
        """Loads the last checkpoint into `model`.

        Builds the optimizer first (its slots receive the saved state).

        Args:
            model: the model to restore, built like the checkpointed one.
            state: a state from `read_state`; `None` reads it.

        Returns:
            The epoch to continue at: `0` without a checkpoint.
        """
        state = self.read_state() if state is None else state
        optimizer = model.optimizer
        with model.distribute_strategy.scope():
            if optimizer is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)
            self.base_learning_rate = plain_learning_rate(optimizer)
            if state is None:
                return 0
            name = model.__class__.__name__
            if "model" in state and state["model"] != name:
                raise ValueError(
                    f"`{self.argument}` holds a checkpoint of a {state['model']}, "
                    f"not of a {name}. Received: {self.argument}="
                    f"{self.argument_value!r}"
                )
            if "base_learning_rate" in state:  # written by resume_dir
                self.base_learning_rate = state["base_learning_rate"]
            self._load(model, state)
            if self.base_learning_rate is not None:
                optimizer.learning_rate = self.base_learning_rate
        return self.initial_epoch(state)

    def _load(self, model, state):
        """Seed states, weights and optimizer state; all or nothing."""
        variables = [*model.variables, *getattr(model.optimizer, "variables", [])]
        before = [np.array(variable) for variable in variables]
        try:
            # First: a model with other random layers fails before any change.
            restore_seed_states(
                model, state.get("seed_states"), self.argument, self.argument_value
            )
            model.load_weights(os.path.join(self._folder(), state["weights"]))
        except Exception as error:
            # A damaged weights file or another architecture: the model
            # keeps the values it had.
            for variable, value in zip(variables, before):
                variable.assign(value)
            if isinstance(error, ValueError) and f"`{self.argument}`" in str(error):
                raise
            raise ValueError(
                f"`{self.argument}` holds weights that cannot be loaded into "
                f"this model ({type(error).__name__}: {str(error)[:200]}). "
                f"Received: {self.argument}={self.argument_value!r}"
            ) from None

    # --------------------------------------------------------------- write
    def extra_state(self, epoch, logs):
        """Fields that subclasses add to the state written after `epoch`."""
        return {}

    def on_epoch_end(self, epoch, logs=None):
        self.write(epoch, logs)

    def write(self, epoch, logs=None):
        """Checkpoints the model after `epoch` (0-based) ended with `logs`."""
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            return  # never checkpoint NaN weights
        stored = int(epoch) + 1 + self.layout.epoch_offset
        name = self.layout.weights_file.format(epoch=stored)
        if not is_checkpoint_writer(self.model):
            # A non-chief worker of a MultiWorkerMirroredStrategy: every worker
            # saves (saving may run collective ops), only the chief keeps it.
            scratch = tempfile.mkdtemp(prefix="kr-checkpoint-worker-")
            try:
                self.model.save_weights(os.path.join(scratch, name))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            return
        folder = self._folder()
        with utils.atomic_path(os.path.join(folder, name), ".weights.h5") as tmp:
            self.model.save_weights(tmp)
        # Written after the weights, so it never names weights that are not there.
        state = {
            "epoch": stored,
            "weights": name,
            "seed_states": seed_states(self.model),
            **self.extra_state(epoch, logs or {}),
        }
        with utils.atomic_path(self._state_path()) as tmp:
            with open(tmp, "w", encoding="utf-8") as file:
                json.dump(state, file, indent=2)
        self._remove_older(name)

    def _remove_older(self, name):
        if "{" not in self.layout.weights_file:
            return  # one file, overwritten each epoch
        folder = self._folder()
        for old in os.listdir(folder):
            if old != name and self.layout.is_weights_name(old):
                os.remove(os.path.join(folder, old))
