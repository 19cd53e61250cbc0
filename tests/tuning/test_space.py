"""A search never searches or reports a hyperparameter that a fixed value overrides.

Every template's default space (`TaskClass.search_space(hp, fixed)`) is checked
against every constructor argument it could be given as a fixed value
(`kr.tune(model_kwargs=...)`, a recipe's `model:` key) and against the fixed
values and `tune.search_space` of every recipe in templates/: each declared
hyperparameter must change the constructor arguments of a trial
(`SearchSpace.check`). No model is built.
"""

import glob
import os

import keras_tuner as kt
import pytest

from keras_recipes import recipe as recipe_lib
from keras_recipes import registry
from keras_recipes.tasks.image_classifier import BACKBONES
from keras_recipes.tasks.image_classifier import ImageClassifier
from keras_recipes.tasks.image_regressor import ImageRegressor
from keras_recipes.tasks.seq2seq_transformer import Seq2SeqTransformer
from keras_recipes.tasks.tabular_classifier import TabularClassifier
from keras_recipes.tasks.tabular_regressor import TabularRegressor
from keras_recipes.tasks.text_classifier import TextClassifier
from keras_recipes.tasks.text_regressor import TextRegressor
from keras_recipes.tuning import recipe_tuning
from keras_recipes.tuning import space as space_lib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = sorted(glob.glob(os.path.join(REPO, "templates", "*.yaml")))
CLASSES = {
    "image_classifier": ImageClassifier,
    "tabular_classifier": TabularClassifier,
    "tabular_regressor": TabularRegressor,
    "image_regressor": ImageRegressor,
    "text_regressor": TextRegressor,
    "text_classifier": TextClassifier,
    "seq2seq_transformer": Seq2SeqTransformer,
}
# A fixed value no template compares with anything it knows.
PINNED = object()


def declared(space):
    hp = kt.HyperParameters()
    kwargs = space(hp)
    return [p.name for p in hp.space], kwargs


def task_arguments():
    for task in sorted(registry.TASKS):
        factory = registry.get_factory(task)
        names = space_lib.allowed_names(CLASSES[task], factory)
        for name in sorted(names):
            yield task, name


def test_every_registered_task_is_checked():
    assert set(CLASSES) == set(registry.TASKS)
    for task, cls in CLASSES.items():
        assert cls.task_name == task


@pytest.mark.parametrize(
    "task, name", list(task_arguments()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_fixed_argument_is_neither_searched_nor_fed(task, name):
    factory = registry.get_factory(task)
    space = space_lib.SearchSpace(CLASSES[task], factory, model_kwargs={name: PINNED})
    names, kwargs = declared(space)
    assert name not in names
    assert kwargs[name] is PINNED
    # Every hyperparameter left changes what a trial builds.
    space.check()


@pytest.mark.parametrize("task", sorted(CLASSES))
def test_the_default_space_searches_only_what_it_uses(task):
    space = space_lib.SearchSpace(CLASSES[task], registry.get_factory(task))
    names, kwargs = declared(space)
    assert names
    space.check()
    allowed = space_lib.allowed_names(CLASSES[task], registry.get_factory(task))
    assert set(kwargs) <= allowed


def test_tabular_width_and_depth_only_without_fixed_hidden_units():
    factory = registry.get_factory("tabular_classifier")
    default = space_lib.SearchSpace(TabularClassifier, factory)
    names, kwargs = declared(default)
    assert {"width", "depth"} <= set(names)
    assert kwargs["hidden_units"] == [32]  # width 32, depth 1: the first values
    pinned = space_lib.SearchSpace(
        TabularClassifier, factory, model_kwargs={"hidden_units": [128, 64]}
    )
    names, kwargs = declared(pinned)
    assert "width" not in names and "depth" not in names
    assert kwargs["hidden_units"] == [128, 64]


@pytest.mark.parametrize("backbone", BACKBONES)
def test_image_width_and_depth_only_for_the_resnet_backbone(backbone):
    space = space_lib.SearchSpace(
        ImageClassifier,
        registry.get_factory("image_classifier"),
        model_kwargs={"backbone": backbone},
    )
    names, _ = declared(space)
    shapes_resnet = {"width", "depth"} <= set(names)
    assert shapes_resnet == (backbone == "resnet_se")
    space.check()


def recipe_search(path, monkeypatch):
    """What `keras-recipes tune PATH` hands to `kr.tune` (no data, no training)."""
    calls = []
    monkeypatch.setattr(
        recipe_tuning, "tune", lambda factory, data, **kw: calls.append((factory, kw))
    )
    recipe = recipe_lib.load(path)
    monkeypatch.setattr(type(recipe), "load_data", lambda self: (object(), None))
    recipe.tune()
    ((factory, kwargs),) = calls
    space = space_lib.SearchSpace(
        CLASSES[recipe.task],
        factory,
        kwargs.get("search_space"),
        kwargs.get("model_kwargs"),
    )
    return recipe, space


@pytest.mark.parametrize("path", TEMPLATES, ids=os.path.basename)
def test_every_recipe_searches_only_what_its_trials_use(path, monkeypatch):
    recipe, space = recipe_search(path, monkeypatch)
    names, kwargs = declared(space)
    model = recipe.config.get("model") or {}
    searched = (recipe.config.get("tune") or {}).get("search_space") or {}
    for name in names:
        # Searched: named in `tune.search_space`, or a default hyperparameter
        # of an argument the recipe leaves open.
        assert name in searched or name not in model, (name, sorted(model))
    for key, value in model.items():
        if key not in searched:
            assert kwargs[key] == value, key
    space.check()


def test_tabular_tuned_recipe_reports_only_what_it_searches(monkeypatch):
    path = os.path.join(REPO, "templates", "tabular_classification_tuned.yaml")
    recipe, space = recipe_search(path, monkeypatch)
    names, kwargs = declared(space)
    assert sorted(names) == [
        "dropout",
        "embedding_dim",
        "ensemble_size",
        "learning_rate",
    ]
    assert kwargs["hidden_units"] == [128, 128]


class _FeedsAFixedArgument:
    """A task whose space draws `hidden_units` from `width`, blind to `fixed`."""

    def __init__(self, hidden_units=(8,), dropout=0.0):
        pass

    @classmethod
    def search_space(cls, hp):
        width = hp.Choice("width", [8, 16])
        return {
            "hidden_units": [width],
            "dropout": hp.Float("dropout", 0.0, 0.5),
        }


def test_a_hyperparameter_that_feeds_a_fixed_argument_fails_the_check():
    space = space_lib.SearchSpace(
        _FeedsAFixedArgument, None, model_kwargs={"hidden_units": [4]}
    )
    with pytest.raises(ValueError, match=r"hyperparameter 'width'.*same model"):
        space.check()
    # Unpinned, `width` is used: the same space passes.
    space_lib.SearchSpace(_FeedsAFixedArgument, None).check()


def test_a_one_value_choice_is_not_flagged():
    space = space_lib.SearchSpace(
        ImageClassifier,
        registry.get_factory("image_classifier"),
        {"se_ratio": kt.engine.hyperparameters.Choice("se_ratio", [0.25])},
    )
    space.check()


def test_a_search_space_function_may_not_return_a_fixed_argument():
    space = space_lib.SearchSpace(
        ImageClassifier,
        registry.get_factory("image_classifier"),
        lambda hp: {"width": hp.Choice("width", [8, 16])},
        model_kwargs={"width": 4},
    )
    with pytest.raises(ValueError, match=r"returns \['width'\], which `model_kwargs`"):
        space(kt.HyperParameters())
