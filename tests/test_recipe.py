import pytest

from keras_recipes import recipe as recipe_lib
from keras_recipes.recipe import RecipeError

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
