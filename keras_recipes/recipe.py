"""YAML recipes: one file describes data, model, training and export.

A recipe is validated against a small schema before anything runs: unknown
keys are rejected with a "did you mean" hint, wrong types name the key.

```yaml
task: image_classifier
data:
  dataset: digits        # a bundled demo dataset, or `path:` (+ `target:`)
model:
  width: 32
fit:
  epochs: 20
  batch_size: 32
  validation_split: 0.1
export:
  formats: [keras, saved_model]
seed: 0
```
"""

import json
import os
import time

import yaml

from keras_recipes import recipes
from keras_recipes.data import validation

_ANY = object()
SCHEMA = {
    "task": str,
    "name": str,
    "description": str,
    "seed": int,
    "strategy": (str, type(None)),
    "output_dir": str,
    "tensorboard": bool,
    "data": {
        "dataset": str,
        "path": str,
        "target": str,
        "image_size": list,
        "test_size": float,
        "options": dict,
    },
    "model": _ANY,
    "fit": {
        "epochs": int,
        "batch_size": int,
        "validation_split": float,
        "class_weight": (str, dict),
        "time_budget": (str, int, float),
    },
    "tune": _ANY,
    "export": {"formats": list},
}
REQUIRED = ("task", "data")


class RecipeError(ValueError):
    """A recipe file or dict that does not match the schema."""


def _check(node, schema, where):
    if schema is _ANY:
        return
    if isinstance(schema, dict):
        if not isinstance(node, dict):
            raise RecipeError(
                f"Recipe key `{where or 'root'}` must be a mapping. "
                f"Received: {where or 'root'}={node!r}"
            )
        for key, value in node.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in schema:
                raise RecipeError(
                    f"Unknown recipe key `{path}`."
                    f"{validation.did_you_mean(key, schema)} "
                    f"Valid keys{' under ' + where if where else ''}: "
                    f"{sorted(schema)}. Received: {path}={value!r}"
                )
            _check(value, schema[key], path)
        return
    types = schema if isinstance(schema, tuple) else (schema,)
    if float in types and isinstance(node, int) and not isinstance(node, bool):
        return
    if isinstance(node, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(node, types)
    if not ok:
        names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
        raise RecipeError(
            f"Recipe key `{where}` must be {names}. "
            f"Received: {where}={node!r} ({type(node).__name__})"
        )


def validate(config):
    """Validates a parsed recipe dict; returns it."""
    _check(config, SCHEMA, "")
    for key in REQUIRED:
        if key not in config:
            raise RecipeError(f"Recipe key `{key}` is required. Received: no `{key}`")
    try:
        validation.check_choice("task", config["task"], tuple(recipes.TASKS))
        if "dataset" in config["data"]:
            validation.check_choice(
                "data.dataset", config["data"]["dataset"], tuple(recipes.DATASETS)
            )
    except ValueError as error:
        raise RecipeError(str(error)) from None
    data = config["data"]
    if ("dataset" in data) == ("path" in data):
        raise RecipeError(
            "Recipe key `data` needs exactly one of `dataset` or `path`. "
            f"Received: data={data!r}"
        )
    if "path" in data and not os.path.exists(data["path"]):
        raise RecipeError(
            f"Recipe key `data.path` must exist. Received: data.path={data['path']!r}"
        )
    return config


def _set_override(config, assignment):
    if "=" not in assignment:
        raise RecipeError(
            f"An override must look like `key.sub=value`. Received: {assignment!r}"
        )
    key, raw = assignment.split("=", 1)
    value = yaml.safe_load(raw)
    node = config
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def load(source, overrides=()):
    """Reads a recipe from a YAML path or a dict and validates it.

    Args:
        source: path to a `.yaml` file, or an already-parsed dict.
        overrides: `"key.sub=value"` strings applied before validation.

    Returns:
        A `Recipe`.
    """
    if isinstance(source, dict):
        config, origin = json.loads(json.dumps(source)), "<dict>"
    else:
        origin = os.fspath(source)
        if not os.path.isfile(origin):
            raise RecipeError(
                f"`recipe` must be an existing YAML file. Received: recipe={origin!r}"
            )
        try:
            with open(origin, encoding="utf-8") as file:
                config = yaml.safe_load(file)
        except yaml.YAMLError as error:
            raise RecipeError(
                f"`recipe` is not valid YAML ({origin}): {error}"
            ) from None
        if not isinstance(config, dict):
            raise RecipeError(
                "`recipe` must hold a YAML mapping at the top level. "
                f"Received: {type(config).__name__} in {origin}"
            )
    for assignment in overrides:
        _set_override(config, assignment)
    return Recipe(validate(config), origin)


class Recipe:
    """A validated recipe: builds data and model, trains, evaluates, exports."""

    def __init__(self, config, origin="<dict>"):
        self.config = config
        self.origin = origin

    @property
    def task(self):
        return self.config["task"]

    @property
    def output_dir(self):
        default = os.path.join("runs", self.config.get("name", self.task))
        return self.config.get("output_dir", default)

    def load_data(self):
        """Returns `(train, test)` from the bundled dataset or `data.path`."""
        data = self.config["data"]
        options = dict(data.get("options", {}))
        if "dataset" in data:
            return recipes.load_dataset(data["dataset"], **options)
        return _load_path(self.task, data)

    def factory_kwargs(self):
        kwargs = dict(self.config.get("model") or {})
        if "target" in self.config["data"]:
            kwargs.setdefault("target", self.config["data"]["target"])
        for key in ("seed", "strategy"):
            if key in self.config:
                kwargs.setdefault(key, self.config[key])
        return kwargs

    def build(self, train=None):
        """Builds the compiled model through the public factory."""
        if train is None:
            train, _ = self.load_data()
        return recipes.get_factory(self.task)(data=train, **self.factory_kwargs())

    def train(self, verbose=1, log=print):
        """Trains, evaluates and exports; returns a summary dict."""
        from keras_recipes import utils

        start = time.time()
        out = utils.check_writable_dir("output_dir", self.output_dir)
        if "seed" in self.config:
            utils.set_seed(self.config["seed"])
        train, test = self.load_data()
        model = self.build(train)
        fit = dict(self.config.get("fit") or {})
        fit.setdefault("epochs", 10)
        time_budget = fit.pop("time_budget", None)
        callbacks = []
        if time_budget is not None:
            from keras_recipes.callbacks import TimeBudget

            callbacks.append(TimeBudget(time_budget))
        history = model.fit(
            train,
            seed=self.config.get("seed"),
            verbose=verbose,
            callbacks=callbacks,
            tensorboard=self.config.get("tensorboard", True),
            **fit,
        )
        metrics = model.evaluate(test, verbose=0)
        summary = {
            "task": self.task,
            "test_metrics": {k: float(v) for k, v in metrics.items()},
            "epochs_run": len(history.history.get("loss", [])),
            "tensorboard_dir": model.last_log_dir,
            "exports": {},
        }
        formats = (self.config.get("export") or {}).get("formats", ["keras"])
        for fmt in formats:
            validation.check_choice(
                "export.formats", fmt, ("keras", "saved_model", "onnx")
            )
            path = os.path.join(
                out,
                {
                    "keras": "model.keras",
                    "saved_model": "saved_model",
                    "onnx": "model.onnx",
                }[fmt],
            )
            result = model.export(path, format=fmt)
            summary["exports"][fmt] = path
            if isinstance(result, dict):
                report = {k: v for k, v in result.items() if _jsonable(v)}
                summary.setdefault("export_reports", {})[fmt] = report
        summary["seconds"] = round(time.time() - start, 1)
        with utils.atomic_path(os.path.join(out, "summary.json")) as tmp:
            with open(tmp, "w", encoding="utf-8") as file:
                json.dump(summary, file, indent=2, default=str)
        summary["summary_file"] = os.path.join(out, "summary.json")
        self.model = model
        return summary


def _jsonable(value):
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def _load_path(task, data):
    from keras_recipes import data as kr_data

    path = data["path"]
    test_size = data.get("test_size", 0.2)
    if task == "image_classifier":
        size = data.get("image_size")
        folder = kr_data.image_folder(path, image_size=tuple(size) if size else None)
        return kr_data.split(folder, test_size, seed=0)
    if task == "text_classifier" and os.path.isdir(path):
        return kr_data.split(kr_data.text_folder(path), test_size, seed=0)
    if path.endswith(".csv"):
        import pandas as pd
        from sklearn.model_selection import train_test_split

        frame = pd.read_csv(path)
        target = data.get("target")
        stratify = frame[target] if target in frame.columns else None
        train, test = train_test_split(
            frame, test_size=test_size, random_state=0, stratify=stratify
        )
        return train.reset_index(drop=True), test.reset_index(drop=True)
    raise RecipeError(
        f"Recipe key `data.path` must be a folder (image/text classes) or a CSV "
        f"file for task={task!r}. Received: data.path={path!r}"
    )


def from_recipe(source, overrides=()):
    """Loads a recipe (YAML path or dict) and builds its compiled model.

    Example:

    >>> import keras_recipes as kr
    >>> model = kr.from_recipe("templates/image_classification.yaml")
    >>> type(model).__name__
    'ImageClassifier'
    """
    return load(source, overrides).build()
