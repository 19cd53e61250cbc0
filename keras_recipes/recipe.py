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

import numpy as np
import yaml

from keras_recipes import data as kr_data
from keras_recipes import plots
from keras_recipes import registry
from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.callbacks import TimeBudget
from keras_recipes.data import pipeline
from keras_recipes.export.formats import FORMATS
from keras_recipes.tuning import tune_from_recipe
from keras_recipes.tuning.tune import RECIPE_KEYS

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
        "limit": int,
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
        validation.check_choice("task", config["task"], tuple(registry.TASKS))
        if "dataset" in config["data"]:
            validation.check_choice(
                "data.dataset", config["data"]["dataset"], tuple(registry.DATASETS)
            )
    except ValueError as error:
        raise RecipeError(str(error)) from None
    data = config["data"]
    if ("dataset" in data) == ("path" in data):
        raise RecipeError(
            "Recipe key `data` needs exactly one of `dataset` or `path`. "
            f"Received: data={data!r}"
        )
    if "limit" in data and data["limit"] < 1:
        raise RecipeError(
            "Recipe key `data.limit` must be a positive number of examples. "
            f"Received: data.limit={data['limit']!r}"
        )
    tune = config.get("tune")
    if tune is not None:
        _check(tune, dict.fromkeys(RECIPE_KEYS, _ANY), "tune")
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
            # One line: PyYAML's own message spans several.
            mark = getattr(error, "problem_mark", None)
            where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise RecipeError(
                f"`recipe` is not valid YAML ({origin}{where}): {problem}"
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
            parts = registry.load_dataset(data["dataset"], **options)
        else:
            parts = _load_path(self.task, data)
        if "limit" not in data:
            return parts
        return tuple(
            subsample(
                part,
                data["limit"],
                seed=self.config.get("seed", 0),
                target=data.get("target"),
                stratify=self.task != "seq2seq_transformer",
            )
            for part in parts
        )

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
        return registry.get_factory(self.task)(data=train, **self.factory_kwargs())

    def tune(self, **overrides):
        """Runs the recipe's `tune:` section with `kr.tune`; returns a `TuneResult`.

        The data is the recipe's training split (after `data.limit`). Keys
        of `model:` that `tune.search_space` also names are searched; the
        other `model:` keys stay fixed for every trial. `fit.epochs` and
        `fit.batch_size` are the per-trial defaults (`tune.epochs` and
        `tune.batch_size` win), `fit.validation_split` is the default
        `tune.validation_split`.

        Args:
            **overrides: `kr.tune` arguments that win over the recipe.
        """

        config = json.loads(json.dumps(self.config))
        section = dict(config.get("tune") or {})
        fit = dict(config.get("fit") or {})
        fit.pop("time_budget", None)  # per-run budget; tune.time_budget is separate
        if "validation_split" in fit:
            section.setdefault("validation_split", fit.pop("validation_split"))
        searched = section.get("search_space")
        model = dict(config.get("model") or {})
        if isinstance(searched, dict):
            model = {k: v for k, v in model.items() if k not in searched}
        if "target" in config["data"]:
            model.setdefault("target", config["data"]["target"])
        if "strategy" in config:
            section.setdefault("strategy", config["strategy"])
        section.setdefault("project_name", config.get("name", self.task))
        flat = {
            "task": self.task,
            "model": model,
            "fit": fit,
            "tune": section,
        }
        if "seed" in config:
            flat["seed"] = config["seed"]
        train, _ = self.load_data()
        return tune_from_recipe(flat, data=train, **overrides)

    def train(self, verbose=1, log=print):
        """Trains, evaluates and exports; returns a summary dict.

        Also writes `summary.json`, `training_curves.png` and, for
        classifiers, `confusion_matrix.png` (test split) into `output_dir`.
        """

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
            validation.check_choice("export.formats", fmt, FORMATS)
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
        summary["plots"] = self._plots(model, history, test, out)
        summary["seconds"] = round(time.time() - start, 1)
        with utils.atomic_path(os.path.join(out, "summary.json")) as tmp:
            with open(tmp, "w", encoding="utf-8") as file:
                json.dump(summary, file, indent=2, default=str)
        summary["summary_file"] = os.path.join(out, "summary.json")
        self.model = model
        return summary

    def _plots(self, model, history, test, out):
        """Writes `training_curves.png` (+ `confusion_matrix.png`) into `out`."""

        paths = {}
        if history.history.get("loss"):
            paths["training_curves"] = plots.plot_history(
                history,
                os.path.join(out, "training_curves.png"),
                title=f"{self.config.get('name', self.task)}: training curves",
            )
        if self.task != "seq2seq_transformer":
            paths["confusion_matrix"] = plots.plot_confusion_matrix(
                model,
                test,
                os.path.join(out, "confusion_matrix.png"),
                title="Confusion matrix (test split)",
            )
        return paths


def _jsonable(value):
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def subsample(data, limit, seed=0, target=None, stratify=True):
    """At most `limit` examples of one split, seeded, covering every class.

    Used by the recipe key `data.limit` (quick runs on a slice of the data).
    Classification labels are sampled round-robin over the classes (in a
    seeded random order), so a small limit still holds every class it can;
    the kept examples stay in their original order.

    Args:
        data: `(x, y)` arrays or lists, a pandas DataFrame (with `target` the
            label column), or an in-memory `kr.data.Data`.
        limit: maximum number of examples (a positive int).
        seed: seed of the random choice.
        target: label column of a DataFrame.
        stratify: sample round-robin over the labels when there are some.

    Returns:
        The same kind of object, with at most `limit` examples.

    Example:

    >>> import numpy as np
    >>> x, y = np.arange(10), np.array([0] * 8 + [1] * 2)
    >>> small_x, small_y = subsample((x, y), 4, seed=0)
    >>> len(small_x), sorted(set(small_y.tolist()))
    (4, [0, 1])
    """

    limit = validation.check_int("limit", limit, minimum=1)
    if isinstance(data, pipeline.Data):
        if data.x is None:
            raise ValueError(
                "`data.limit` needs in-memory data (arrays, DataFrames, folders). "
                "Received: a tf.data-backed kr.data.Data"
            )
        n, labels = len(data), data.y
    elif isinstance(data, tuple | list) and len(data) == 2:
        n, labels = len(data[0]), data[1]
    elif hasattr(data, "iloc"):
        n = len(data)
        labels = data[target] if target is not None and target in data else None
    else:
        raise TypeError(
            "`data.limit` works on (x, y) pairs, DataFrames and kr.data.Data. "
            f"Received: data of type {type(data).__name__}"
        )
    if n <= limit:
        return data
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    if stratify and labels is not None and np.ndim(labels) == 1:
        labels = np.asarray(labels)[order]
        rank = np.zeros(n, dtype="int64")
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            rank[members] = np.arange(len(members))
        order = order[np.argsort(rank, kind="stable")]
    keep = np.sort(order[:limit])
    if isinstance(data, pipeline.Data):
        return data.take(keep)
    if hasattr(data, "iloc"):
        return data.iloc[keep].reset_index(drop=True)
    return tuple(_take(part, keep) for part in data)


def _take(values, indices):
    if isinstance(values, list):
        return [values[i] for i in indices]
    if hasattr(values, "iloc"):
        return values.iloc[indices].reset_index(drop=True)
    return np.asarray(values)[indices]


def _load_path(task, data):
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
