"""KerasTuner tuners with atomic state, per-trial resume, time budget, HParams.

Everything here subclasses public KerasTuner classes and overrides a narrow
set of methods:

- oracles: `save()` and `_save_trial()` write `oracle.json` / `trial.json`
  to a temporary file and rename it (KerasTuner writes them in place, so a
  crash mid-write leaves a truncated JSON that cannot be reloaded);
- tuners: `run_trial()` (per-trial backup + resume from the last finished
  epoch, atomic best-epoch checkpoint, TensorBoard + HParams per trial,
  time budget), `search()` (the same loop as KerasTuner's, plus the time
  budget and a compact progress line) and `save()` (atomic).
"""

import json
import math
import os
import shutil
import time

import keras
import keras_tuner as kt
import numpy as np

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.callbacks.epoch_checkpoint import CheckpointLayout
from keras_recipes.callbacks.epoch_checkpoint import EpochCheckpoint
from keras_recipes.protocol import is_task
from keras_recipes.tuning import distributed
from keras_recipes.tuning import hparams

BACKUP_DIR = "backup"
STATE_FILE = "state.json"
WEIGHTS_FILE = "latest.weights.h5"
LAYOUT = CheckpointLayout(STATE_FILE, WEIGHTS_FILE, epoch_offset=0)


def _now():
    """Monotonic clock of the time budget (a function so tests can fake it)."""
    return time.monotonic()


def write_json_atomic(path, obj):
    """Writes `obj` as JSON to `path` via a temporary file + rename."""
    with utils.atomic_path(path, suffix=".json") as tmp:
        with open(tmp, "w") as file:
            json.dump(obj, file, default=_json_default)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"Not JSON serializable: {type(value).__name__}")


class BudgetExhausted(kt.errors.FatalError):
    """Raised inside a trial when the time budget ends before its last epoch."""


# ----------------------------------------------------------------- oracles
class _AtomicOracleMixin:
    @kt.synchronized
    def end_trial(self, trial):
        super().end_trial(trial)
        # KerasTuner saves the state before it removes the trial from
        # `ongoing_trials`; a distributed chief saves nothing else after the
        # last trial, so `oracle.json` would list an ended trial as running
        # (and a resumed search would run it again).
        self.save()

    def save(self):
        write_json_atomic(self._get_oracle_fname(), self.get_state())

    def _save_trial(self, trial):
        path = os.path.join(self._get_trial_dir(trial.trial_id), "trial.json")
        write_json_atomic(path, trial.get_state())


class RandomSearchOracle(_AtomicOracleMixin, kt.oracles.RandomSearchOracle):
    pass


class BayesianOptimizationOracle(
    _AtomicOracleMixin, kt.oracles.BayesianOptimizationOracle
):
    pass


class HyperbandOracle(_AtomicOracleMixin, kt.oracles.HyperbandOracle):
    pass


class GridSearchOracle(_AtomicOracleMixin, kt.oracles.GridSearchOracle):
    pass


ORACLES = {
    "random": RandomSearchOracle,
    "bayesian": BayesianOptimizationOracle,
    "hyperband": HyperbandOracle,
    "grid": GridSearchOracle,
}


# --------------------------------------------------------------- hypermodel
class TaskHyperModel(kt.HyperModel):
    """Builds trial models through the task's public factory.

    Args:
        factory: a keras_recipes factory, `factory(data=..., strategy=...,
            seed=..., **kwargs)`.
        space: a `SearchSpace` (callable `hp -> constructor kwargs`).
        data: what the factory infers from (and what `fit` trains on).
        strategy: resolved `tf.distribute.Strategy` or `None`.
        seed: weight-initialisation / split / shuffle seed, or `None`.
        fit_defaults: keyword arguments for every `fit` call
            (`validation_split`/`validation_data`, `batch_size`, ...).
    """

    def __init__(
        self, factory, space, data, strategy=None, seed=None, fit_defaults=None
    ):
        super().__init__(name=getattr(factory, "__name__", "task"))
        self.factory = factory
        self.space = space
        self.data = data
        self.strategy = strategy
        self.seed = seed
        self.fit_defaults = dict(fit_defaults or {})

    def declare_hyperparameters(self, hp):
        self.space(hp)

    def build(self, hp):
        kwargs = self.space(hp)
        return self.factory(
            data=self.data, strategy=self.strategy, seed=self.seed, **kwargs
        )

    def fit(self, hp, model, *args, **kwargs):
        kwargs = {**self.fit_defaults, **kwargs}
        data = args[0] if args else self.data
        tensorboard = kwargs.pop("tensorboard", False)
        if is_task(model):
            kwargs["tensorboard"] = tensorboard
            kwargs.setdefault("seed", self.seed)
            # A diverging trial reports a NaN score, as in plain Keras, rather
            # than failing (KerasTuner aborts after a few failed trials).
            kwargs.setdefault("terminate_on_nan", False)
        elif tensorboard:
            kwargs["callbacks"] = [
                *kwargs.get("callbacks", []),
                keras.callbacks.TensorBoard(log_dir=tensorboard),
            ]
        return model.fit(data, *args[1:], **kwargs)


# ---------------------------------------------------------------- callbacks
class _TrialBackup(EpochCheckpoint):
    """A trial's `EpochCheckpoint`, with the epoch logs so far.

    Written at each epoch end except after the fit's last epoch, when the
    trial completes and its backup is removed. A damaged backup (unreadable,
    not a valid state, or naming missing weights) restarts the trial. Not
    locked: the oracle runs each trial on one worker at a time, which
    removes the temporary files a killed write left before it reads the
    backup.

    Args:
        trial_dir: the trial's folder; the backup goes to its `backup/`.
        directory: the tuner's folder, named in errors.
    """

    def __init__(self, trial_dir, directory):
        super().__init__(
            os.path.join(trial_dir, BACKUP_DIR),
            LAYOUT,
            argument="directory",
            argument_value=directory,
        )
        self.history = []

    def read_state(self):
        try:
            return super().read_state()
        except (OSError, ValueError):
            return None

    def check_state(self, state):
        super().check_state(state)
        history = state.get("history")
        if not isinstance(history, list) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("epoch"), int)
            and all(
                isinstance(value, int | float) and not isinstance(value, bool)
                for value in entry.values()
            )
            for entry in history
        ):
            raise self.damaged_state_error("its `history` field is not a list of logs")

    def extra_state(self, epoch, logs):
        return {"history": self.history}

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if np.ndim(v) == 0}
        self.history.append({"epoch": int(epoch), **logs})
        if int(epoch) + 1 >= self.params.get("epochs", math.inf):
            # The trial's last epoch: it completes now, and a completed
            # trial's backup is removed (a kill before that re-runs only this
            # epoch, from the previous backup).
            return
        self.write(epoch, logs)


class _SaveBestEpoch(keras.callbacks.Callback):
    """Saves the best epoch's weights (atomically) for `tuner.load_model`."""

    def __init__(self, objective, filepath, best_value):
        super().__init__()
        self.objective = objective
        self.filepath = filepath
        self.best_value = best_value

    def on_epoch_end(self, epoch, logs=None):
        if not self.objective.has_value(logs or {}):
            return
        value = self.objective.get_value(logs)
        if self.best_value is None or self.objective.better_than(
            value, self.best_value
        ):
            self.best_value = value
            with utils.atomic_path(self.filepath, suffix=".weights.h5") as tmp:
                self.model.save_weights(tmp)


class _CheckObjective(keras.callbacks.Callback):
    """Fails the whole search at the first epoch when the objective is absent."""

    def __init__(self, objective):
        super().__init__()
        self.objective = objective

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not self.objective.has_value(logs):
            name = self.objective.name
            raise kt.errors.FatalValueError(
                f"`objective` {name!r} is not a metric the model reports."
                f"{validation.did_you_mean(name, list(logs))} Available: "
                f"{sorted(logs)}. Received: objective={name!r}"
            )


class _Budget(keras.callbacks.Callback):
    """Stops training at the end of an epoch once the deadline has passed."""

    def __init__(self, tuner):
        super().__init__()
        self.tuner = tuner

    def on_epoch_end(self, epoch, logs=None):
        if self.tuner._over_budget():
            self.tuner._budget_hit = True
            self.model.stop_training = True


def best_trial(oracle):
    """The oracle's best completed trial with a score, or `None`.

    Of trials with equal scores the first started wins, in the searching
    process and after a reload alike: KerasTuner's `get_best_trials` breaks
    ties by the order of its trials dict, which a reload fills in file-system
    order (a re-run of a finished search could name another best trial).
    A worker of a distributed search holds an `OracleClient` and asks the
    chief's oracle.
    """
    if not hasattr(oracle, "start_order"):  # OracleClient: no trials of its own
        best = [t for t in oracle.get_best_trials(1) if t.score is not None]
        return best[0] if best else None
    best = None
    for trial_id in [*oracle.start_order, *sorted(oracle.trials)]:
        trial = oracle.trials.get(trial_id)
        if trial is None or trial.score is None or str(trial.status) != "COMPLETED":
            continue
        if best is None or oracle.objective.better_than(trial.score, best.score):
            best = trial
    return best


def _best(history, objective):
    """Index of the best epoch in a list of epoch-log dicts, or None."""
    best, best_value = None, None
    for i, logs in enumerate(history):
        if not objective.has_value(logs):
            continue
        value = objective.get_value(logs)
        if best is None or objective.better_than(value, best_value):
            best, best_value = i, value
    return best, best_value


def _format_duration(seconds):
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes:02d}:{secs:02d}"


def _format_value(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# ------------------------------------------------------------------- tuners
class SearchTuner(kt.Tuner):
    """The `kr.tune` tuner: KerasTuner's `Tuner` plus reliability features.

    Args:
        oracle: one of the atomic oracles of this module.
        hypermodel: a `TaskHyperModel`.
        time_budget: seconds, or `None`.
        tensorboard: log root for one run per trial, or `None`.
        verbose: 0 silent, 1 one line per trial, 2 also Keras epoch logs.
        **kwargs: `kt.Tuner` arguments (`directory`, `project_name`,
            `distribution_strategy`, `overwrite`, ...).
    """

    def __init__(
        self,
        oracle,
        hypermodel,
        time_budget=None,
        tensorboard=None,
        verbose=1,
        **kwargs,
    ):
        self.time_budget = time_budget
        self.tensorboard = tensorboard
        self.verbose = verbose
        self._deadline = None
        self._budget_hit = False
        self._durations = []
        self._search_start = None
        self.trials_run = 0
        self.trial_ids_run = []
        self.stopped_by_budget = False
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
        self.oracle.verbose = 0  # kr.tune prints its own compact line

    # The initial space comes from the search space alone: no model build.
    def _populate_initial_space(self):
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def _build_hypermodel(self, hp):
        model = super()._build_hypermodel(hp)
        # Built optimizer variables, so that checkpoints (which hold them)
        # load completely: resumed trials and Hyperband hand-overs keep the
        # optimizer state, and loading prints no "skipping variables" warning.
        with _maybe_scope(self.distribution_strategy):
            if getattr(model, "optimizer", None) is not None and (
                not model.optimizer.built
            ):
                model.optimizer.build(model.trainable_variables)
        return model

    # ------------------------------------------------------------ budget
    def _over_budget(self):
        return self._deadline is not None and _now() >= self._deadline

    # ------------------------------------------------------------ search
    def search(self, *fit_args, **fit_kwargs):
        """KerasTuner's search loop plus the time budget and progress lines."""
        if distributed.role() == "chief":
            # The chief runs no trials: it serves the oracle to the workers
            # until the search is over (KerasTuner's chief mode).
            self.save()
            distributed.serve(self.oracle)
            return
        self._search_start = _now()
        if self.time_budget is not None:
            self._deadline = self._search_start + float(self.time_budget)
        self.on_search_begin()
        while True:
            if self._over_budget():
                self.stopped_by_budget = True
                break
            self.pre_create_trial()
            trial = self.oracle.create_trial(self.tuner_id)
            if trial.status == kt.engine.trial.TrialStatus.STOPPED:
                break
            if trial.status == kt.engine.trial.TrialStatus.IDLE:
                time.sleep(0.1)
                continue
            self.on_trial_begin(trial)
            started = _now()
            try:
                self._try_run_and_update_trial(trial, *fit_args, **fit_kwargs)
            except BudgetExhausted:
                # The trial stays "running" in the saved oracle state: the
                # next call retries it, resuming from its backup.
                self.stopped_by_budget = True
                self.save()
                self._log(
                    f"time budget reached in trial {trial.trial_id}; "
                    "re-run the same call to resume it"
                )
                break
            self._durations.append(_now() - started)
            self.trials_run += 1
            self.trial_ids_run.append(trial.trial_id)
            self.on_trial_end(trial)
        self._free_memory()
        self.on_search_end()
        if distributed.role() == "worker":
            self._detach_from_chief()

    def _detach_from_chief(self):
        """Worker: swaps the chief's client for the oracle saved on disk.

        Once a worker has no trial left, the chief may exit at any moment, and
        a call to it would wait (KerasTuner's client timeout is an hour). The
        chief writes its state (`oracle.json`, `trial.json`) atomically into
        the shared project folder, so the worker reloads it there: the
        trials finished so far, for the `TuneResult` and `load_model`.
        """
        oracle = self.oracle._oracle
        oracle.reload()
        self.oracle = oracle

    def on_trial_end(self, trial):
        super().on_trial_end(trial)  # ends the trial in the oracle and saves
        if trial.status == kt.engine.trial.TrialStatus.COMPLETED:
            shutil.rmtree(
                os.path.join(self.get_trial_dir(trial.trial_id), BACKUP_DIR),
                ignore_errors=True,
            )
        # No memory release here: KerasTuner's `_try_build` runs
        # `clear_session()` + `gc.collect()` before each build, and each
        # full collection costs ~0.3 s with a search's graphs alive
        # (benchmarks/tuning.py); the search frees the last trial at its end.
        self._progress(trial)

    def _free_memory(self):
        keras.backend.clear_session(free_memory=True)  # runs gc.collect()

    # --------------------------------------------------------- one trial
    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        trial_dir = self.get_trial_dir(trial.trial_id)
        backup = _TrialBackup(trial_dir, self.directory)
        backup.remove_temp_files()  # of a killed run of this trial
        state = backup.read_state()
        backup.history = list(state["history"]) if state else []
        objective = self.oracle.objective
        _, best_value = _best(backup.history, objective)

        callbacks = self._deepcopy_callbacks(kwargs.pop("callbacks", None) or [])
        callbacks += [
            _CheckObjective(objective),
            _SaveBestEpoch(
                objective, self._get_checkpoint_fname(trial.trial_id), best_value
            ),
            backup,
            _Budget(self),
        ]
        kwargs["callbacks"] = callbacks
        if self.tensorboard:
            logdir = os.path.join(self.tensorboard, f"trial_{trial.trial_id}")
            hparams.write_trial(logdir, trial)
            kwargs["tensorboard"] = logdir

        model = self._try_build(hp)
        if state is not None:
            # Weights, optimizer, seed states (dropout / augmentation draws)
            # and the base learning rate, under the trial's strategy.
            kwargs["initial_epoch"] = backup.restore(model, state)
            self._log(
                f"trial {trial.trial_id}: resuming at epoch {int(state['epoch']) + 1}"
            )
        epochs = kwargs.get("epochs", 1)
        self._budget_hit = False
        self.hypermodel.fit(hp, model, *args, **kwargs)
        # What `load_model` (and Hyperband's weight hand-over) rebuild from.
        write_json_atomic(
            self._get_build_config_fname(trial.trial_id), model.get_build_config()
        )
        history = backup.history
        done = history[-1]["epoch"] + 1 if history else kwargs.get("initial_epoch", 0)
        if self._budget_hit and done < epochs:
            raise BudgetExhausted(
                f"Time budget reached during trial {trial.trial_id} "
                f"(epoch {done}/{epochs})."
            )
        return _as_history(history)

    # ----------------------------------------------------------- state
    def save(self):
        if not self._is_worker():
            self.oracle.save()
        write_json_atomic(self._get_tuner_fname(), self.get_state())

    # -------------------------------------------------------- progress
    def _log(self, message):
        if self.verbose:
            print(f"[kr.tune] {message}", flush=True)

    def _progress(self, trial):
        if not self.verbose:
            return
        total = self.oracle.max_trials
        worker = self._is_worker()
        # A worker only knows its own trials (the chief holds the others).
        done = self.trials_run if worker else len(self.oracle.end_order)
        values = " ".join(
            f"{k}={_format_value(v)}"
            for k, v in trial.hyperparameters.values.items()
            if not k.startswith("tuner/")
        )
        name = self.oracle.objective.name
        if worker and trial.status == kt.engine.trial.TrialStatus.COMPLETED:
            # The chief scores the trial; the worker's copy has no score.
            trial = self.oracle.get_trial(trial.trial_id)
        if trial.status == kt.engine.trial.TrialStatus.COMPLETED and (
            trial.score is not None
        ):
            score = f"{name}={trial.score:.4f}"
        else:
            last = (trial.message or "").strip().splitlines()
            score = f"{trial.status}: {last[-1] if last else ''}"
        best = best_trial(self.oracle)
        best_text = (
            "best=-" if best is None else f"best={best.score:.4f} (id {best.trial_id})"
        )
        elapsed = _now() - self._search_start
        eta = ""
        if total and self._durations and not worker:
            left = max(0, total - done) * float(np.mean(self._durations))
            if self._deadline is not None:
                left = min(left, max(0.0, self._deadline - _now()))
            eta = f", ETA {_format_duration(left)}"
        count = (
            f"{self.tuner_id}: trial id {trial.trial_id} ({done} run here)"
            if worker
            else f"trial {done}/{total or '?'} (id {trial.trial_id})"
        )
        print(
            f"[kr.tune] {count} | "
            f"{values} | {score} | {best_text} | "
            f"{_format_duration(elapsed)} elapsed{eta}",
            flush=True,
        )


class HyperbandTuner(kt.Hyperband, SearchTuner):
    """Hyperband (epochs and weight hand-over per round) on `SearchTuner`."""

    def __init__(self, oracle, hypermodel, **kwargs):
        SearchTuner.__init__(self, oracle=oracle, hypermodel=hypermodel, **kwargs)


def _as_history(history):
    result = keras.callbacks.History()
    result.epoch = [logs["epoch"] for logs in history]
    keys = sorted({k for logs in history for k in logs if k != "epoch"})
    result.history = {k: [logs.get(k, math.nan) for logs in history] for k in keys}
    return result


class _maybe_scope:
    def __init__(self, strategy):
        self.scope = strategy.scope() if strategy is not None else None

    def __enter__(self):
        if self.scope is not None:
            self.scope.__enter__()

    def __exit__(self, *exc):
        if self.scope is not None:
            return self.scope.__exit__(*exc)
        return False
