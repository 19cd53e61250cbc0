"""Tests of `kr.tune` (keras_recipes.tuning)."""

import glob
import json
import os
import re
import subprocess
import sys

import keras
import keras_tuner as kt
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.callbacks.base import seed_states
from keras_recipes.tasks.image_classifier import ImageClassifier
from keras_recipes.tuning import space as space_lib
from keras_recipes.tuning import tuners as tuners_lib

TINY = {"width": 8, "depth": 2, "augmentation": None}


@pytest.fixture(scope="module")
def small(digits):
    (x, y), _ = digits
    return x[:300], y[:300]


# ------------------------------------------------------------ fail at once
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tuner": "hyperbnd"}, "Did you mean 'hyperband'?"),
        ({"search_space": {"widht": [8, 16]}}, "Did you mean 'width'?"),
        # An unknown constructor argument is a TypeError (as in Python/Keras).
        ({"model_kwargs": {"dropuot": 0.1}}, (TypeError, "Did you mean 'dropout'?")),
        ({"objective": "val_acuracy"}, "Did you mean 'val_accuracy'?"),
        ({"time_budget": "soon"}, "`time_budget` must be seconds or a duration"),
        (
            {"tuner_options": {"factr": 3}, "tuner": "hyperband"},
            "`tuner_options` has an argument the 'hyperband' tuner does not take",
        ),
        ({"validation_split": 0.0}, "pass `validation_split` > 0"),
        ({"search_space": {"blocks": (3, 1)}}, "needs low < high"),
        (
            {"search_space": {"se_ratio": [[0.25], [0.5]]}},
            "choices must be int, float, str or bool",
        ),
    ],
)
def test_misconfigured_search_fails_at_once(tmp_path, small, kwargs, message):
    kwargs = {"model_kwargs": TINY, **kwargs}
    error, message = message if isinstance(message, tuple) else (ValueError, message)
    with pytest.raises(error, match=re.escape(message)):
        kr.tune(
            kr.image_classifier,
            small,
            directory=str(tmp_path),
            verbose=0,
            tensorboard=False,
            **kwargs,
        )
    # Nothing was trained: no trial folder exists.
    assert not glob.glob(str(tmp_path / "*" / "trial_*"))


def test_time_budget_parsing():
    parse = kr.tuning.parse_time_budget
    assert parse("20m") == 1200.0
    assert parse("1h30m") == 5400.0
    assert parse("1.5h") == 5400.0
    assert parse("90s") == 90.0
    assert parse(12) == 12.0
    assert parse(None) is None
    with pytest.raises(ValueError, match="must be positive"):
        parse(0)
    with pytest.raises(TypeError, match="must be seconds"):
        parse(True)


# ------------------------------------------------------------ search spaces
def test_search_space_overrides_extend_and_pins():
    space = space_lib.SearchSpace(
        ImageClassifier,
        kr.image_classifier,
        search_space={
            "width": [8, 16],
            "blocks": (1, 3),
            "learning_rate": (1e-4, 1e-2),
            "label_smoothing": {"min": 0.0, "max": 0.2, "step": 0.1},
            "se_ratio": kt.engine.hyperparameters.Choice("se_ratio", [0.0, 0.25]),
            "backbone": "resnet_se",
        },
        model_kwargs={"depth": 2},
    )
    hp = kt.HyperParameters()
    kwargs = space(hp)
    params = {p.name: p for p in hp.space}
    # Default dropout stays, pinned depth is not tuned, overrides replace.
    assert set(params) == {
        "width",
        "blocks",
        "learning_rate",
        "label_smoothing",
        "se_ratio",
        "backbone",
        "dropout",
    }
    assert isinstance(params["width"], kt.engine.hyperparameters.Choice)
    assert params["width"].values == [8, 16]
    assert isinstance(params["blocks"], kt.engine.hyperparameters.Int)
    assert params["learning_rate"].sampling == "log"
    assert isinstance(params["label_smoothing"], kt.engine.hyperparameters.Float)
    assert params["label_smoothing"].step == 0.1
    assert isinstance(params["backbone"], kt.engine.hyperparameters.Fixed)
    assert kwargs["depth"] == 2
    assert kwargs["width"] == 8  # first choice is the default value
    assert type(kwargs["width"]) is int


def test_search_space_function_replaces_default():
    def build(hp):
        return {"width": hp.Int("width", 4, 8, step=4)}

    space = space_lib.SearchSpace(ImageClassifier, kr.image_classifier, build)
    hp = kt.HyperParameters()
    assert space(hp) == {"width": 4}
    assert [p.name for p in hp.space] == ["width"]

    bad = space_lib.SearchSpace(
        ImageClassifier, kr.image_classifier, lambda hp: {"wdth": 4}
    )
    with pytest.raises(ValueError, match="Did you mean 'width'"):
        bad(kt.HyperParameters())


def test_atomic_json_keeps_old_file_on_failure(tmp_path):
    path = str(tmp_path / "oracle.json")
    tuners_lib.write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        tuners_lib.write_json_atomic(path, {"a": object()})
    with open(path) as file:
        assert json.load(file) == {"a": 1}
    assert os.listdir(tmp_path) == ["oracle.json"]


# ----------------------------------------------------------- end to end
def _hparams_plugin_data(path):
    import tensorflow as tf
    from tensorboard.plugins.hparams import plugin_data_pb2

    found = []
    for event_file in glob.glob(os.path.join(path, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(event_file):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "hparams":
                    data = plugin_data_pb2.HParamsPluginData.FromString(
                        value.metadata.plugin_data.content
                    )
                    found.append(data)
    return found


def test_hyperband_search_result_hparams_and_resume(tmp_path, small, capsys):
    x, y = small
    train, val = (x[:240], y[:240]), (x[240:], y[240:])
    tb = str(tmp_path / "tb")
    kwargs = dict(
        tuner="hyperband",
        max_trials=3,
        epochs=2,
        model_kwargs=TINY,
        tuner_options={"factor": 2},
        search_space={"learning_rate": [1e-3, 1e-2], "dropout": [0.0, 0.2]},
        validation_data=val,
        directory=str(tmp_path / "runs"),
        project_name="digits",
        seed=3,
        tensorboard=tb,
    )
    result = kr.tune(kr.image_classifier, train, **kwargs)
    out = capsys.readouterr().out

    # factor=2, max_epochs=2: two 1-epoch trials, then the best one goes on
    # to epoch 2 starting from its weights (Hyperband's hand-over).
    assert result.trials_run == 3 and result.completed_trials == 3
    handover = result.trials[2]["values"]
    assert handover["tuner/initial_epoch"] == 1 and handover["tuner/epochs"] == 2
    assert result.objective == "val_accuracy"
    scores = [t["score"] for t in result.trials]
    assert result.best_score == max(scores)
    # The best model carries the weights of its best epoch.
    model = result.best_model
    assert isinstance(model, ImageClassifier)
    accuracy = model.evaluate(val, verbose=0)["accuracy"]
    assert accuracy == pytest.approx(result.best_score, abs=1e-6)
    assert result.best_model_kwargs["width"] == 8
    assert set(result.best_hyperparameters.values) >= {"learning_rate", "dropout"}
    # One compact line per trial with n/N, values, score, best and ETA.
    lines = [line for line in out.splitlines() if "[kr.tune] trial" in line]
    assert len(lines) == 3
    assert "trial 1/3" in lines[0] and "learning_rate=" in lines[0]
    assert "val_accuracy=" in lines[0] and "best=" in lines[0]
    assert "ETA" in lines[0]
    summary = []
    result.summary(print_fn=summary.append)
    assert "3 trials (3 completed)" in summary[0]

    # HParams: the domain at the root, one run per trial with its values.
    [config] = _hparams_plugin_data(tb)
    domain = {h.name for h in config.experiment.hparam_infos}
    assert domain == {"learning_rate", "dropout"}
    assert {m.name.group for m in config.experiment.metric_infos} == {
        "validation",
        "train",
    }
    trial_runs = sorted(glob.glob(os.path.join(tb, "trial_*")))
    assert len(trial_runs) == 3
    [start] = _hparams_plugin_data(trial_runs[0])
    assert set(start.session_start_info.hparams) == {"learning_rate", "dropout"}
    assert glob.glob(os.path.join(trial_runs[0], "validation", "events.*"))

    # State files are valid JSON and no temporary file is left behind.
    project = tmp_path / "runs" / "digits"
    json.loads((project / "oracle.json").read_text())
    assert not glob.glob(str(project / "**" / "*.tmp*"), recursive=True)

    # Re-running the same call finishes at once: no trial runs again.
    again = kr.tune(kr.image_classifier, train, **kwargs)
    assert again.trials_run == 0
    assert again.best_score == result.best_score
    assert again.best_hyperparameters.values == result.best_hyperparameters.values


class _FakeClock(keras.callbacks.Callback):
    """Advances the fake clock by 10 s per epoch; records epochs and seeds."""

    now = 0.0
    epochs = []
    seeds = []  # the model's seed-generator states as each fit begins
    losses = []  # per fit, its epochs' training losses

    def on_train_begin(self, logs=None):
        _FakeClock.epochs.append([])
        _FakeClock.seeds.append(seed_states(self.model))
        _FakeClock.losses.append([])

    def on_epoch_end(self, epoch, logs=None):
        _FakeClock.now += 10.0
        _FakeClock.epochs[-1].append(int(epoch))
        _FakeClock.losses[-1].append(float(logs["loss"]))


class _BackupAtTrainEnd(keras.callbacks.Callback):
    """Reads the trial's backup state when `fit` ends (before the trial ends)."""

    states = []
    folder = None

    def on_train_end(self, logs=None):
        [state] = glob.glob(
            os.path.join(self.folder, "trial_*", "backup", "state.json")
        )
        with open(state) as file:
            _BackupAtTrainEnd.states.append(json.load(file)["epoch"])


def test_last_epoch_is_not_backed_up(tmp_path, small):
    # A backup serves a resume; after the fit's last epoch the trial is
    # complete and its backup removed, so writing one would be wasted time.
    _BackupAtTrainEnd.states = []
    _BackupAtTrainEnd.folder = str(tmp_path / "last")
    kr.tune(
        kr.image_classifier,
        small,
        max_trials=1,
        epochs=3,
        model_kwargs=TINY,
        search_space={"learning_rate": [1e-3]},
        directory=str(tmp_path),
        project_name="last",
        tensorboard=False,
        verbose=0,
        callbacks=[_BackupAtTrainEnd()],
    )
    assert _BackupAtTrainEnd.states == [2]  # written after epochs 1 and 2 only
    assert not glob.glob(str(tmp_path / "last" / "trial_*" / "backup"))


def test_time_budget_stops_cleanly_and_trial_resumes_from_its_epoch(
    tmp_path, small, monkeypatch
):
    monkeypatch.setattr(tuners_lib, "_now", lambda: _FakeClock.now)
    _FakeClock.now, _FakeClock.epochs, _FakeClock.losses = 0.0, [], []
    kwargs = dict(
        max_trials=2,
        epochs=2,
        model_kwargs=TINY,
        search_space={"learning_rate": [1e-3, 1e-2]},
        directory=str(tmp_path),
        project_name="budget",
        seed=0,
        tensorboard=False,
        verbose=0,
        callbacks=[_FakeClock()],
    )
    # Trial 0 ends at t=20 s < 25 s; trial 1 passes the deadline after its
    # first epoch and is stopped there.
    result = kr.tune(kr.image_classifier, small, time_budget=25, **kwargs)
    assert result.stopped_by_budget
    assert result.completed_trials == 1
    assert result.best_model is not None
    assert _FakeClock.epochs == [[0, 1], [0]]
    backup = tmp_path / "budget" / "trial_1" / "backup"
    assert (backup / "latest.weights.h5").is_file()
    state = json.loads((backup / "state.json").read_text())
    assert state["epoch"] == 1
    # The dropout layer's seed state after epoch 1 (its counter moved) ...
    assert len(state["seed_states"]) == 1 and state["seed_states"][0][1] > 0

    # The same call without a budget resumes trial 1 at its second epoch
    # (not epoch 0) and never re-runs trial 0.
    _FakeClock.epochs = []
    _FakeClock.seeds = []
    resumed = kr.tune(kr.image_classifier, small, **kwargs)
    assert _FakeClock.epochs == [[1]]
    # ... is where the resumed trial's dropout draws continue from.
    assert _FakeClock.seeds == [state["seed_states"]]
    assert resumed.trials_run == 1 and resumed.completed_trials == 2
    assert not resumed.stopped_by_budget
    assert not backup.exists()  # backups are removed once a trial completes
    # The resumed trial's score covers both of its epochs.
    [trial_1] = [t for t in resumed.trials if t["trial_id"] == "1"]
    assert trial_1["score"] is not None
    assert resumed.best_score == max(t["score"] for t in resumed.trials)
    resumed_loss = _FakeClock.losses[-1][-1]

    # Its second epoch is the one an uninterrupted search runs: same weights,
    # dropout draws and batch order, so the same training loss.
    _FakeClock.epochs, _FakeClock.losses = [], []
    kr.tune(kr.image_classifier, small, **{**kwargs, "project_name": "clean"})
    assert _FakeClock.epochs == [[0, 1], [0, 1]]
    assert resumed_loss == pytest.approx(_FakeClock.losses[1][1], rel=1e-6)


def test_tied_best_score_goes_to_the_first_started_trial_after_reload_too():
    # A reloaded oracle holds its trials in file-system order; the best trial
    # must not depend on it (a re-run of a finished search reported another
    # "best" trial than the search itself when two scores tied).
    from types import SimpleNamespace

    from keras_recipes.tuning.tune import TuneResult

    def trial(trial_id, score, status="COMPLETED"):
        hp = kt.HyperParameters()
        hp.Fixed("learning_rate", float(trial_id))
        made = kt.engine.trial.Trial(hp, trial_id=trial_id, status=status)
        made.score = score
        return made

    made = {
        t.trial_id: t
        for t in [
            trial("0", 0.5),
            trial("1", 0.9),
            trial("2", 0.9),
            trial("3", 0.95, "RUNNING"),
        ]
    }
    for order in (["0", "1", "2", "3"], ["3", "2", "1", "0"]):
        oracle = kt.oracles.GridSearchOracle(
            objective=kt.Objective("val_accuracy", "max"), max_trials=4
        )
        oracle.start_order = ["0", "1", "2", "3"]
        oracle.trials = {k: made[k] for k in order}
        tuner = SimpleNamespace(
            oracle=oracle, stopped_by_budget=False, trials_run=4, trial_ids_run=[]
        )
        result = TuneResult(tuner, lambda hp: dict(hp.values), elapsed=0.0)
        assert result.best_hyperparameters.values == {"learning_rate": 1.0}
        assert result.best_score == 0.9


def test_tune_from_recipe_runs_tune_section(tmp_path, small):
    recipe = {
        "task": "image_classifier",
        "model": {**TINY, "dropout": 0.0},
        "fit": {"epochs": 1, "batch_size": 64},
        "tune": {
            "tuner": "grid",
            "max_trials": 1,
            "seed": 0,
            "search_space": {"learning_rate": [0.003]},
            "directory": str(tmp_path),
            "project_name": "recipe",
            "tensorboard": False,
            "verbose": 0,
            "time_budget": "10m",
        },
    }
    result = kr.tuning.tune_from_recipe(recipe, data=small)
    assert result.best_hyperparameters.values == {"learning_rate": 0.003}
    assert (tmp_path / "recipe" / "oracle.json").is_file()
    with pytest.raises(ValueError, match="Did you mean 'max_trials'"):
        kr.tuning.tune_from_recipe(
            {"task": "image_classifier", "tune": {"max_trails": 2}}, data=small
        )


# -------------------------------------------------------------- SIGKILL
@pytest.mark.slow
def test_sigkill_mid_trial_then_rerun_matches_uninterrupted(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "search_child.py")
    env = dict(os.environ, PYTHONUNBUFFERED="1")

    def run(directory, out, *extra):
        return subprocess.run(
            [sys.executable, script, str(directory), str(out), *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    clean = run(tmp_path / "clean", tmp_path / "clean.json")
    assert clean.returncode == 0, clean.stderr[-3000:]
    killed = run(tmp_path / "killed", tmp_path / "unused.json", "kill")
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert not (tmp_path / "unused.json").exists()
    # The kill hit trial 1 during its second epoch, after its first backup.
    state = json.loads(
        (
            tmp_path / "killed" / "killed" / "trial_1" / "backup" / "state.json"
        ).read_text()
    )
    assert state["epoch"] == 1
    resumed = run(tmp_path / "killed", tmp_path / "resumed.json")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "trial 1: resuming at epoch 2" in resumed.stdout

    a = json.loads((tmp_path / "clean.json").read_text())
    b = json.loads((tmp_path / "resumed.json").read_text())
    assert b["epochs"] == [[1]]  # only the interrupted epoch was redone
    assert b["trials_run"] == 1
    assert a["completed"] == b["completed"] == 2
    np.testing.assert_allclose(b["best_score"], a["best_score"], rtol=1e-5)
    for ta, tb in zip(a["trials"], b["trials"]):
        assert ta["values"] == tb["values"]
        np.testing.assert_allclose(tb["score"], ta["score"], rtol=1e-5)


def test_damaged_trial_backup_restarts_the_trial_and_reads_nothing_outside(tmp_path):
    trial_dir = tmp_path / "trial_1"
    backup_dir = trial_dir / tuners_lib.BACKUP_DIR
    backup_dir.mkdir(parents=True)
    outside = tmp_path / "outside.weights.h5"
    outside.write_bytes(b"")
    (backup_dir / "latest.weights.h5").write_bytes(b"")
    state = {"epoch": 1, "weights": "latest.weights.h5", "history": [{"epoch": 0}]}
    backup = tuners_lib._TrialBackup(str(trial_dir), str(tmp_path))
    (backup_dir / "state.json").write_text(json.dumps(state))
    assert backup.read_state() == state
    for damaged in (
        {**state, "weights": str(outside)},
        {**state, "weights": "../../outside.weights.h5"},
        {**state, "history": "x"},
        {**state, "history": [{"loss": 1.0}]},
        {**state, "history": [{"epoch": 0, "val_accuracy": "high"}]},
        {**state, "history": [{"epoch": True}]},
        {**state, "epoch": 0},
        "{",
    ):
        text = damaged if isinstance(damaged, str) else json.dumps(damaged)
        (backup_dir / "state.json").write_text(text)
        assert backup.read_state() is None  # restarts the trial
    with pytest.raises(ValueError, match=r"`directory` holds a damaged state\.json"):
        tuners_lib.EpochCheckpoint.read_state(backup)
    assert outside.exists()
    # The temporary files of a killed backup write go, nothing else.
    orphan = backup_dir / ".latest.weights.h5.ab12cd34.tmp.weights.h5"
    orphan.write_bytes(b"")
    assert backup.remove_temp_files() == [orphan.name]
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "state.json"]
