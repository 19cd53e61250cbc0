"""`kr.tuning.tune_from_recipe`: `kr.tune` driven by a YAML recipe's sections.

It resolves the recipe's task and dataset names through
`keras_recipes.registry` (whose top imports nothing of the package), then
calls `kr.tune`.
"""

from keras_recipes import registry
from keras_recipes import validation
from keras_recipes.callbacks.time_budget import parse_duration
from keras_recipes.distribute.strategy import STRATEGIES
from keras_recipes.tuning import distributed as distributed_lib
from keras_recipes.tuning import space as space_lib
from keras_recipes.tuning.tune import RECIPE_KEYS
from keras_recipes.tuning.tune import TUNERS
from keras_recipes.tuning.tune import tune


def _type_error(where, expected, value):
    return TypeError(
        f"`{where}` must be {expected}. Received: {where}="
        f"{validation._short(value)} ({type(value).__name__})"
    )


def _mapping(where, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _type_error(where, "a mapping", value)
    return value


def _string(where, value):
    if not isinstance(value, str) or not value.strip():
        raise _type_error(where, "a non-empty string", value)
    return value


def _check_search_space(where, search_space, task):
    """Checks each entry as `kr.tune` will register it, before any trial."""
    # keras_tuner: heavy and optional, imported only when a space is checked.
    import keras_tuner

    search_space = _mapping(where, search_space)
    allowed = registry.model_arguments(task) if task in registry.TASKS else None
    hp = keras_tuner.HyperParameters()
    for name, spec in search_space.items():
        if allowed is not None and name not in allowed:
            raise ValueError(
                f"`{where}` names an argument that task {task!r} does not take: "
                f"{name!r}.{validation.did_you_mean(name, allowed)} Received: "
                f"{where}.{name}"
            )
        try:
            space_lib.register(hp, str(name), spec)
        except (ValueError, TypeError) as error:
            raise type(error)(f"`{where}.{name}`: {error}") from None


def check_tune_section(section, task=None, where="tune"):
    """Checks a recipe's `tune:` section before anything runs.

    Each problem is a `ValueError` (or a `TypeError` for a value of the wrong
    type) naming the recipe key (`tune.max_trials`, ...). `kr.tune` checks
    the same arguments again, but only after the data is loaded; this check
    runs first, so a recipe is refused before any work.

    Args:
        section: the parsed `tune:` mapping (or `None`).
        task: the recipe's task name, to check `search_space` names.
        where: key path used in messages.

    Returns:
        The section (a dict).

    Example:

    >>> check_tune_section({"max_trials": 2, "time_budget": "5m"})
    {'max_trials': 2, 'time_budget': '5m'}
    >>> check_tune_section({"max_trials": 0})
    Traceback (most recent call last):
    ...
    ValueError: `tune.max_trials` must be >= 1. Received: tune.max_trials=0
    """
    section = _mapping(where, section)
    for key, value in section.items():
        name = f"{where}.{key}"
        if key not in RECIPE_KEYS:
            raise ValueError(
                f"Unknown recipe key `{name}`."
                f"{validation.did_you_mean(key, RECIPE_KEYS)} "
                f"Valid keys under {where}: {sorted(RECIPE_KEYS)}. Received: {name}"
            )
        if key == "tuner":
            validation.check_choice(name, value, TUNERS)
        elif key in ("max_trials", "epochs", "batch_size"):
            validation.check_int(name, value, minimum=1)
        elif key == "seed":
            validation.check_int(name, value, minimum=0, maximum=2**32 - 1)
        elif key == "verbose":
            validation.check_int(name, value, minimum=0, maximum=2)
        elif key == "validation_split":
            validation.check_float(name, value, 0.0, 1.0, include_max=False)
            if not value:
                raise ValueError(
                    f"`{name}` must be > 0: trials are scored on held-out data. "
                    f"Received: {name}={value}"
                )
        elif key == "objective":
            if isinstance(value, list) and len(value) == 2:
                _string(f"{name}[0]", value[0])
                validation.check_choice(f"{name}[1]", value[1], ("min", "max"))
            else:
                _string(name, value)
        elif key in ("directory", "project_name"):
            _string(name, value)
        elif key == "time_budget":
            if value is not None:
                parse_duration(value, name)
        elif key == "strategy" and value is not None:
            validation.check_choice(name, value, STRATEGIES[1:])
        elif key == "overwrite":
            if not isinstance(value, bool):
                raise _type_error(name, "true or false", value)
        elif key == "tensorboard":
            if not isinstance(value, bool):
                _string(name, value)
        elif key in ("tuner_options", "fit_kwargs"):
            _mapping(name, value)
        elif key == "distributed":
            try:
                distributed_lib.check_distributed(value)
            except (ValueError, TypeError) as error:
                raise type(error)(f"`{name}`: {error}") from None
        elif key == "search_space":
            _check_search_space(name, value, task)
    return section


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
    section = dict(check_tune_section(recipe.get("tune"), recipe["task"]))
    for key in ("model", "fit", "train"):
        _mapping(f"recipe['{key}']", recipe.get(key))
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


__all__ = ["check_tune_section", "tune_from_recipe"]
