import io
import os
import subprocess
import sys
import textwrap

import corpus_files as cf
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from keras_recipes import recipe as recipe_lib
from keras_recipes import recipe_schema
from keras_recipes.recipe import RecipeError
from keras_recipes.recipe import RecipeTypeError

BASE = {"task": "image_classifier", "data": {"dataset": "digits"}}


@pytest.mark.parametrize(
    "patch, match",
    [
        ({"fti": {}}, r"Unknown recipe key `fti`. Did you mean 'fit'\?"),
        ({"fit": {"epoch": 3}}, r"`fit.epoch`. Did you mean 'epochs'\?"),
        ({"fit": {"epochs": "ten"}}, r"`fit.epochs` must be int. Received"),
        ({"fit": {"epochs": True}}, r"`fit.epochs` must be int"),
        ({"task": "image_clasifier"}, r"Did you mean 'image_classifier'"),
        ({"data": {"dataset": "digitz"}}, r"Did you mean 'digits'"),
        ({"data": {"path": "/no/such/folder"}}, r"data.path` must exist"),
        ({"data": {}}, r"exactly one of `dataset` or `path`"),
    ],
)
def test_schema_errors_name_the_key(patch, match):
    config = {**BASE, **patch}
    with pytest.raises(RecipeError, match=match):
        recipe_lib.load(config)


def test_missing_required_and_malformed_yaml(tmp_path):
    with pytest.raises(RecipeError, match="`task` is required"):
        recipe_lib.load({"data": {"dataset": "digits"}})
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        recipe_lib.load(str(bad))
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(RecipeError, match="mapping at the top level"):
        recipe_lib.load(str(listy))
    with pytest.raises(RecipeError, match="existing YAML file"):
        recipe_lib.load(str(tmp_path / "missing.yaml"))


def test_overrides_are_parsed_as_yaml():
    recipe = recipe_lib.load(BASE, ["fit.epochs=3", "model.width=8"])
    assert recipe.config["fit"]["epochs"] == 3
    assert recipe.config["model"]["width"] == 8
    with pytest.raises(RecipeError, match="key.sub=value"):
        recipe_lib.load(BASE, ["fit.epochs"])


# ------------------------------------------------------- hardening (#35)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The child imports the package, then caps its address space at what it uses
# plus 512 MiB: an alias expansion beyond that fails with MemoryError.
CHILD = textwrap.dedent(
    """
    import resource, sys
    from keras_recipes import recipe as recipe_lib

    def vm_bytes():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    limit = vm_bytes() + 512 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        recipe_lib.load(sys.argv[1])
    except ValueError as error:
        print("ERROR", error)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print("GROWN_KIB", grown)
    """
)


def test_alias_bomb_is_refused_fast_and_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(cf.ALIAS_BOMB)
    assert len(cf.ALIAS_BOMB) < 1000  # ~600 bytes, 9**9 strings once expanded
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    error = next(line for line in lines if line.startswith("ERROR"))
    assert "anchors or aliases" in error and "line 4" in error, error
    assert len(error) < 400  # the value is never repr'd whole
    grown = int(next(line for line in lines if line.startswith("GROWN_KIB")).split()[1])
    assert grown < 64 * 1024, f"peak RSS grew by {grown} KiB"
    assert os.listdir(tmp_path) == ["bomb.yaml"]


def test_yaml_bounds_size_depth_and_anchors(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("task: image_classifier\n# " + "x" * (2 << 20) + "\n")
    with pytest.raises(RecipeError, match=r"at most 1048576 bytes"):
        recipe_lib.load(str(big))
    deep = tmp_path / "deep.yaml"
    deep.write_text("task: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(RecipeError, match=r"nest at most 20 levels"):
        recipe_lib.load(str(deep))
    anchor = tmp_path / "anchor.yaml"
    anchor.write_text("task: &t image_classifier\ndata: {dataset: digits}\n")
    with pytest.raises(RecipeError, match=r"anchors or aliases.*&'t'"):
        recipe_lib.load(str(anchor))
    merge = tmp_path / "merge.yaml"
    merge.write_text("base: &b {epochs: 1}\nfit:\n  <<: *b\n")
    with pytest.raises(RecipeError, match=r"anchors or aliases"):
        recipe_lib.load(str(merge))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"task: \xff\xfe\n")
    with pytest.raises(RecipeError, match=r"must be UTF-8 text"):
        recipe_lib.load(str(binary))
    with pytest.raises(RecipeError, match=r"existing YAML file"):
        recipe_lib.load(str(tmp_path))  # a folder
    with pytest.raises(TypeError, match=r"YAML file path or a dict"):
        recipe_lib.load(42)


def test_python_dicts_are_bounded_too():
    shared = ["lol"] * 10
    for _ in range(8):  # 10**9 leaves by reference, a few KB in memory
        shared = [shared] * 10
    with pytest.raises(RecipeError, match=r"at most 10000 values"):
        recipe_lib.load({**BASE, "model": {"width": shared}})
    cycle = {"epochs": 1}
    cycle["self"] = cycle
    with pytest.raises(RecipeError, match=r"nested at most 20 levels"):
        recipe_lib.load({**BASE, "fit": cycle})
    with pytest.raises(RecipeTypeError, match=r"`fit.epochs` must hold YAML values"):
        recipe_lib.load({**BASE, "fit": {"epochs": object()}})
    # numpy scalars and tuples are plain values.
    recipe = recipe_lib.load({**BASE, "fit": {"epochs": np.int64(2)}})
    assert recipe.config["fit"]["epochs"] == 2
    assert type(recipe.config["fit"]["epochs"]) is int
    assert recipe_schema.short(list(range(10**6))) == "[0, 1, 2, 3, ...]"


@pytest.mark.parametrize(
    "override, match",
    [
        ("fit.epochs=[1", r"--set 'fit.epochs=\[1' is not valid YAML, line 1"),
        ("fit.epochs={a: [}", r"--set .* is not valid YAML"),
        ("fit.epochs=*x", r"anchors or aliases"),
        ("=3", r"must name a key such as `fit.epochs`"),
        ("fit..epochs=3", r"must name a key"),
        ("task.x=1", r"inside `task`, which is not a mapping"),
        ("fit.epochs", r"must look like `key.sub=value`"),
    ],
)
def test_broken_overrides_name_set(override, match):
    with pytest.raises(RecipeError, match=match) as info:
        recipe_lib.load(BASE, [override])
    assert "\n" not in str(info.value)


def test_whole_recipe_is_checked_before_any_work(tmp_path):
    out = tmp_path / "out"
    config = {**BASE, "output_dir": str(out), "export": {"formats": ["keras", "pdf"]}}
    with pytest.raises(RecipeError, match=r"`export.formats\[1\]`.*'pdf'"):
        recipe_lib.load(config).train(verbose=0)
    # The tune section is checked for `train` too, and the other way round.
    with pytest.raises(RecipeError, match=r"`tune.max_trials` must be >= 1"):
        recipe_lib.load({**BASE, "tune": {"max_trials": 0}})
    with pytest.raises(RecipeError, match=r"`fit.class_weight`"):
        recipe_lib.load({**BASE, "fit": {"class_weight": "heavy"}})
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_output_dir_under_a_file_is_refused_before_loading_data(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    recipe = recipe_lib.load({**BASE, "output_dir": str(blocker / "run")})
    with pytest.raises(ValueError, match=r"`output_dir` must be a writable folder"):
        recipe.train(verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_class_weight_heavy_names_the_key():
    with pytest.raises(RecipeError, match=r"`fit.class_weight` must be a mapping"):
        recipe_lib.load({**BASE, "fit": {"class_weight": "heavy"}})
    tabular = {"task": "tabular_classifier", "data": {"dataset": "penguins"}}
    with pytest.raises(RecipeError, match=r"'balanced' or a mapping.*='heavy'"):
        recipe_lib.load({**tabular, "fit": {"class_weight": "heavy"}})
    recipe_lib.load({**tabular, "fit": {"class_weight": "balanced"}})
    recipe_lib.load({**BASE, "fit": {"class_weight": {0: 1.0, 1: 2}}})
    with pytest.raises(RecipeError, match=r"class indices"):
        recipe_lib.load({**BASE, "fit": {"class_weight": {"a": 1.0}}})
    with pytest.raises(RecipeError, match=r"`fit.class_weight.0` must be >= 0"):
        recipe_lib.load({**BASE, "fit": {"class_weight": {0: -1.0}}})


def test_test_size_names_the_recipe_key(tmp_path):
    csv = tmp_path / "t.csv"
    pd.DataFrame({"a": range(6), "label": ["x", "y"] * 3}).to_csv(csv, index=False)
    config = {
        "task": "tabular_classifier",
        "data": {"path": str(csv), "target": "label"},
    }
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(RecipeError, match=r"`data.test_size` must be > 0") as info:
            recipe_lib.load({**config, "data": {**config["data"], "test_size": bad}})
        assert "validation_split" not in str(info.value)
    # Too small to split stratified: still named as the recipe key.
    small = recipe_lib.load({**config, "data": {**config["data"], "test_size": 0.01}})
    with pytest.raises(RecipeError, match=r"`data.test_size` cannot split the 6 rows"):
        small.load_data()
    with pytest.raises(RecipeError, match=r"`data.target`.*Did you mean 'label'"):
        recipe_lib.load(
            {**config, "data": {**config["data"], "target": "lable"}}
        ).build()
    folder = tmp_path / "images"
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True)
        for i in range(2):
            (folder / label / f"{i}.png").write_bytes(_png())
    images = {"task": "image_classifier", "data": {"path": str(folder)}}
    recipe = recipe_lib.load({**images, "data": {**images["data"], "test_size": 0.01}})
    with pytest.raises(RecipeError, match=r"`data.test_size`") as info:
        recipe.load_data()
    assert "validation_split" not in str(info.value)


def _png():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), "uint8")).save(buffer, format="PNG")
    return buffer.getvalue()


def test_inferred_feature_errors_name_the_column(tmp_path):
    csv = tmp_path / "huge.csv"
    pd.DataFrame(
        {"size": [1e308, -1e308, 1e308, -1e308, 1.0, 2.0] * 3, "label": ["a", "b"] * 9}
    ).to_csv(csv, index=False)
    recipe = recipe_lib.load(
        {"task": "tabular_classifier", "data": {"path": str(csv), "target": "label"}}
    )
    with pytest.raises(ValueError, match=r"Column 'size': `features\[0\]"):
        recipe.build()


def test_model_errors_name_the_recipe_key():
    small = {**BASE, "model": {"width": -2}, "data": {"dataset": "digits", "limit": 20}}
    with pytest.raises(RecipeError, match=r"Recipe key `model.width`: `width` must"):
        recipe_lib.load(small).build()
    with pytest.raises(TypeError, match=r"Unknown recipe key `model.widht`.*'width'"):
        recipe_lib.load({**BASE, "model": {"widht": 8}})


WRONG = [
    # (patch, key path named, regex)
    ({"seed": "0"}, "seed", r"must be int"),
    ({"seed": -1}, "seed", r">= 0"),
    ({"seed": [1]}, "seed", r"must be int"),
    ({"name": "../escape"}, "name", r"plain folder name"),
    ({"name": {"a": 1}}, "name", r"must be str"),
    ({"tensorboard": "yes"}, "tensorboard", r"must be bool"),
    ({"strategy": "mirorred"}, "strategy", r"Did you mean 'mirrored'"),
    ({"output_dir": ["a"]}, "output_dir", r"must be str"),
    ({"data": ["digits"]}, "data", r"must be mapping"),
    ({"data": {"dataset": ["digits"]}}, "data.dataset", r"must be str"),
    ({"data": {"dataset": "digits", "limit": "20"}}, "data.limit", r"must be int"),
    ({"data": {"dataset": "digits", "limit": [20]}}, "data.limit", r"must be int"),
    (
        {"data": {"dataset": "digits", "options": {"test_sise": 0.1}}},
        "data.options.test_sise",
        r"Did you mean 'test_size'",
    ),
    ({"data": {"dataset": "digits", "options": [1]}}, "data.options", r"mapping"),
    (
        {"data": {"dataset": "digits", "test_size": 0.1}},
        "data.test_size",
        r"applies to `data.path`",
    ),
    ({"data": {"dataset": "digits", "extra": 1}}, "data.extra", r"Unknown"),
    ({"model": [1, 2]}, "model", r"must be mapping"),
    ({"model": {"data": 1}}, "model.data", r"Unknown recipe key"),
    ({"fit": {"epochs": [1]}}, "fit.epochs", r"must be int"),
    ({"fit": {"epochs": 0}}, "fit.epochs", r">= 1"),
    ({"fit": {"epochs": {"n": 1}}}, "fit.epochs", r"must be int"),
    ({"fit": {"batch_size": "32"}}, "fit.batch_size", r"must be int"),
    ({"fit": {"validation_split": "0.1"}}, "fit.validation_split", r"must be float"),
    ({"fit": {"validation_split": 1.0}}, "fit.validation_split", r"< 1"),
    ({"fit": {"validation_split": float("nan")}}, "fit.validation_split", r"finite"),
    ({"fit": {"time_budget": "soon"}}, "fit.time_budget", r"soon"),
    ({"fit": {"time_budget": [1]}}, "fit.time_budget", r"Received"),
    ({"fit": "fast"}, "fit", r"must be mapping"),
    ({"export": {"formats": "keras"}}, "export.formats", r"must be list"),
    ({"export": {"formats": ["keras", "keras"]}}, "export.formats", r"repeat"),
    ({"export": {"format": ["keras"]}}, "export.format", r"Did you mean 'formats'"),
    ({"tune": {"max_trials": "5"}}, "tune.max_trials", r"must be an integer"),
    ({"tune": {"tuner": "randon"}}, "tune.tuner", r"Did you mean 'random'"),
    ({"tune": {"time_budget": "5 parsecs"}}, "tune.time_budget", r"parsecs"),
    (
        {"tune": {"search_space": {"widht": [8]}}},
        "tune.search_space",
        r"Did you mean 'width'",
    ),
    (
        {"tune": {"search_space": {"width": {"min": 1}}}},
        "tune.search_space.width",
        r"'min' and 'max'",
    ),
    ({"tune": {"validation_split": 0}}, "tune.validation_split", r"> 0"),
    ({"tune": {"overwrite": "yes"}}, "tune.overwrite", r"true or false"),
]


@pytest.mark.parametrize("patch, key, match", WRONG, ids=[w[1] for w in WRONG])
def test_wrong_values_name_the_key_path(patch, key, match):
    with pytest.raises(ValueError, match=match) as info:
        recipe_lib.load({**BASE, **patch})
    assert f"`{key}" in str(info.value), str(info.value)


def test_data_path_kind_and_target_are_checked(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("a,label\n1,x\n")
    with pytest.raises(RecipeError, match=r"folder of class subfolders"):
        recipe_lib.load({"task": "image_classifier", "data": {"path": str(csv)}})
    with pytest.raises(RecipeError, match=r"`data.target`.*required"):
        recipe_lib.load({"task": "tabular_classifier", "data": {"path": str(csv)}})
    with pytest.raises(RecipeError, match=r"must be a CSV file"):
        recipe_lib.load(
            {
                "task": "tabular_classifier",
                "data": {"path": str(tmp_path), "target": "a"},
            }
        )
    with pytest.raises(RecipeError, match=r"`data.image_size\[1\]` must be >= 1"):
        recipe_lib.load(
            {
                "task": "image_classifier",
                "data": {"path": str(tmp_path), "image_size": [8, 0]},
            }
        )
    with pytest.raises(RecipeError, match=r"`data.image_size\[0\]` must be >= 1 and"):
        recipe_lib.load(
            {
                "task": "image_classifier",
                "data": {"path": str(tmp_path), "image_size": [10**6, 8]},
            }
        )


def test_pair_overrides_are_not_parsed_as_yaml():
    recipe = recipe_lib.load(BASE, [("output_dir", "*not-an-alias: [")])
    assert recipe.config["output_dir"] == "*not-an-alias: ["


def test_tune_keeps_integer_class_weight_keys(monkeypatch):
    # Recipe.tune copied the config through JSON, which turned the class
    # indices of fit.class_weight into strings ("0"), then read as class names.
    seen = {}

    def fake_tune_from_recipe(flat, data=None, **overrides):
        seen.update(flat)

    monkeypatch.setattr(recipe_lib, "tune_from_recipe", fake_tune_from_recipe)
    weights = {0: 1.0, 1: 2.0, 2: 1.0}
    recipe = recipe_lib.load(
        {
            "task": "tabular_classifier",
            "data": {"dataset": "penguins"},
            "fit": {"class_weight": weights},
            "tune": {"max_trials": 1},
        }
    )
    recipe.tune()
    assert seen["fit"]["class_weight"] == weights
    assert recipe.config["fit"]["class_weight"] == weights
