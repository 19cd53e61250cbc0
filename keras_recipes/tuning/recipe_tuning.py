"""`kr.tuning.tune_from_recipe`: `kr.tune` driven by a YAML recipe's sections.

It resolves the recipe's task and dataset names through
`keras_recipes.registry` (whose top imports nothing of the package), then
calls `kr.tune`.
"""

from keras_recipes import registry
from keras_recipes import validation
from keras_recipes.tuning.tune import RECIPE_KEYS
from keras_recipes.tuning.tune import tune


def tune_from_recipe(recipe, data=None, **overrides):
    """Runs `kr.tune` from a parsed YAML recipe.

    Recipe keys: `task` (a name registered in `keras_recipes.registry.TASKS`),
    `data` or `dataset` (a demo dataset name or `{name: ..., **loader
    kwargs}`; ignored when `data=` is passed), `model` (fixed constructor
    kwargs), `fit`/`train` (`epochs`, `batch_size`, other fit kwargs) and a
    `tune:` section with the keys listed in `kr.tune` (`tuner`,
    `max_trials`, `time_budget`, `search_space`, ...).

    Args:
        recipe: the parsed recipe (a dict).
        data: optional training data replacing the recipe's dataset.
        **overrides: `kr.tune` arguments that win over the recipe.

    Returns:
        A `TuneResult`.
    """
    if not isinstance(recipe, dict):
        raise TypeError(
            f"`recipe` must be a dict. Received: recipe of type {type(recipe).__name__}"
        )
    if "task" not in recipe:
        raise ValueError(
            f"`recipe` needs a 'task' key. Received: keys {sorted(recipe)}"
        )
    factory = registry.get_factory(recipe["task"])
    section = dict(recipe.get("tune") or {})
    for key in section:
        validation.check_choice("tune key", key, RECIPE_KEYS)
    if data is None:
        spec = recipe.get("data", recipe.get("dataset"))
        if spec is None:
            spec = registry.DEMO_DATASETS.get(recipe["task"])
        if isinstance(spec, dict):
            spec = dict(spec)
            name = spec.pop("name", None)
            data, _ = registry.load_dataset(name, **spec)
        elif isinstance(spec, str):
            data, _ = registry.load_dataset(spec)
        else:
            raise ValueError(
                "`recipe` needs a dataset ('data: digits') or pass `data=`. "
                f"Received: data={spec!r}"
            )
    fit = dict(recipe.get("fit") or recipe.get("train") or {})
    kwargs = {"model_kwargs": dict(recipe.get("model") or {})}
    if "epochs" in fit:
        kwargs["epochs"] = fit.pop("epochs")
    if "batch_size" in fit:
        kwargs["batch_size"] = fit.pop("batch_size")
    if fit:
        kwargs["fit_kwargs"] = fit
    if "seed" in recipe:
        kwargs["seed"] = recipe["seed"]
    kwargs.update(section)
    search = kwargs.get("search_space")
    if isinstance(search, dict):
        # YAML has no tuples: lists are choices, {min, max} dicts are ranges.
        kwargs["search_space"] = dict(search)
    kwargs.update(overrides)
    return tune(factory, data, **kwargs)


__all__ = ["tune_from_recipe"]
