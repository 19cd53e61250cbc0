"""Every YAML recipe in templates/ validates, trains, tunes and loads.

Each run is one tiny epoch on a slice of the bundled data (`data.limit`) with
small models where the template's width would dominate the run time; the
point is that every file runs as written through the real CLI code path
(`keras_recipes.cli.main`, what the `keras-recipes` console script calls).
Schema errors are tested in tests/test_recipe.py.
"""

import glob
import json
import os

import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes import recipe as recipe_lib
from keras_recipes import registry
from keras_recipes.cli import main
from keras_recipes.recipe import RecipeError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = sorted(glob.glob(os.path.join(REPO, "templates", "*.yaml")))
TUNED = [p for p in TEMPLATES if p.endswith("_tuned.yaml")]
# The tuned variants run through `tune` (which builds and trains them); `train`
# runs the base templates. Running both on every file doubled this file's time.
BASE = [p for p in TEMPLATES if p not in TUNED]

# Per-task overrides that keep one epoch to a few seconds on a loaded CPU.
SMALL = {
    "image_classifier": ["data.limit=64", "model.width=8", "model.depth=1"],
    "tabular_classifier": ["data.limit=64"],
    "tabular_regressor": ["data.limit=64"],
    "text_classifier": [
        "data.limit=64",
        "model.max_tokens=500",
        "model.embedding_dim=8",
        "model.units=8",
        "model.sequence_length=16",
    ],
    "seq2seq_transformer": [
        "data.limit=64",
        "model.embedding_dim=16",
        "model.intermediate_dim=16",
        "model.num_encoder_layers=1",
        "model.num_decoder_layers=1",
    ],
    "image_regressor": ["data.limit=64", "model.width=8", "model.depth=1"],
    "text_regressor": [
        "data.limit=64",
        "model.max_tokens=500",
        "model.embedding_dim=8",
        "model.units=8",
        "model.sequence_length=16",
    ],
}


def small_overrides(path, out):
    task = recipe_lib.load(path).task
    return [
        *SMALL[task],
        "fit.epochs=1",
        # One batch per epoch: a partial last batch would retrace the train
        # step (seconds per trace for the Transformer on a loaded CPU).
        "fit.batch_size=64",
        "tensorboard=false",
        "export.formats=[keras]",
        f"output_dir={out}",
    ]


def name(path):
    return os.path.basename(path)


def test_there_is_a_template_and_a_tuned_variant_per_task():
    tasks = {}
    for path in TEMPLATES:
        tasks.setdefault(recipe_lib.load(path).task, []).append(name(path))
    assert set(tasks) == set(registry.TASKS)
    assert len(TUNED) == len(registry.TASKS)
    for files in tasks.values():
        assert len(files) == 2 and any(f.endswith("_tuned.yaml") for f in files)


@pytest.mark.parametrize("path", TUNED, ids=name)
def test_tuned_templates_search_what_they_train_with(path):
    config = recipe_lib.load(path).config
    space = config["tune"]["search_space"]
    # Every searched key has a train default in `model:` (the value
    # `keras-recipes train` uses), and it lies inside the searched range.
    for key, spec in space.items():
        assert key in config["model"], key
        value = config["model"][key]
        if isinstance(spec, list):
            assert value in spec, (key, value, spec)
        else:
            assert spec["min"] <= value <= spec["max"], (key, value, spec)


@pytest.mark.parametrize("path", BASE, ids=name)
def test_template_trains_one_tiny_epoch_from_the_cli(path, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", path]
    for assignment in small_overrides(path, out):
        argv += ["--set", assignment]
    assert main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs_run"] == 1
    assert all(np.isfinite(v) for v in summary["test_metrics"].values())
    assert (out / "model.keras").is_file()
    # The plots are written and announced (tests/test_plots.py checks PNGs).
    assert (out / "training_curves.png").is_file()
    assert "plot training_curves" in printed
    task = recipe_lib.load(path).task
    classifier = task != "seq2seq_transformer" and not task.endswith("_regressor")
    assert (out / "confusion_matrix.png").is_file() == classifier
    assert (out / "regression.png").is_file() == task.endswith("_regressor")


@pytest.mark.parametrize("path", TUNED, ids=name)
def test_tuned_template_runs_one_trial_of_tune(path, tmp_path, capsys):
    argv = ["tune", path]
    overrides = [
        *small_overrides(path, tmp_path / "unused"),
        "tune.max_trials=1",
        "tune.epochs=1",
        f"tune.directory={tmp_path}",
        "tune.tensorboard=false",
        "tune.verbose=0",
    ]
    for assignment in overrides:
        argv += ["--set", assignment]
    assert main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "1 trials (1 completed)" in printed
    assert "as recipe keys:" in printed
    project = recipe_lib.load(path).config["name"]
    assert (tmp_path / project / "oracle.json").is_file()


@pytest.mark.parametrize("path", TEMPLATES, ids=name)
def test_template_loads_from_python(path):
    model = kr.from_recipe(path)
    task = recipe_lib.load(path).task
    assert model.task_name == task
    expected = {
        "image_classifier": "ImageClassifier",
        "tabular_classifier": "TabularClassifier",
        "text_classifier": "TextClassifier",
        "seq2seq_transformer": "Seq2SeqTransformer",
        "image_regressor": "ImageRegressor",
        "text_regressor": "TextRegressor",
    }[task]
    assert type(model).__name__ == expected
    # The recipe's model section reaches the model unchanged.
    config = model.get_config()
    for key, value in (recipe_lib.load(path).config.get("model") or {}).items():
        # `target_transform: auto` becomes the statistics it chose.
        if key in config and key not in ("learning_rate", "target_transform"):
            got = config[key]
            assert got == value or list(np.atleast_1d(got)) == list(
                np.atleast_1d(value)
            ), (key, got, value)


def test_data_limit_subsamples_every_split_and_keeps_every_class():
    recipe = recipe_lib.load(
        os.path.join(REPO, "templates", "image_classification.yaml"),
        ["data.limit=30"],
    )
    (x, y), (x_test, y_test) = recipe.load_data()
    assert len(x) == len(y) == 30 and len(x_test) == len(y_test) == 30
    assert set(y.tolist()) == set(range(10))  # round-robin over the classes
    again, _ = recipe.load_data()
    np.testing.assert_array_equal(again[1], y)  # seeded
    frame, _ = recipe_lib.load(
        os.path.join(REPO, "templates", "tabular_classification.yaml"),
        ["data.limit=9"],
    ).load_data()
    assert len(frame) == 9 and frame["species"].value_counts().tolist() == [3, 3, 3]
    with pytest.raises(RecipeError, match=r"`data.limit` must be a positive.*=0"):
        recipe_lib.load(recipe.config, ["data.limit=0"])
    with pytest.raises(RecipeError, match=r"`data.limit` must be int"):
        recipe_lib.load(recipe.config, ["data.limit=1.5"])


def test_tune_section_keys_are_checked_with_a_hint():
    config = {
        "task": "image_classifier",
        "data": {"dataset": "digits"},
        "tune": {"max_trails": 2},
    }
    with pytest.raises(RecipeError, match=r"`tune.max_trails`.*'max_trials'"):
        recipe_lib.load(config)
    with pytest.raises(RecipeError, match=r"`tune` must be a mapping"):
        recipe_lib.load({**config, "tune": [1]})
