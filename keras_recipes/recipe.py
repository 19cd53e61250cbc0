"""YAML recipes: one file describes data, model, training and export.

A whole recipe is validated before anything runs (`recipe_schema`): every
section, unknown keys with a "did you mean" hint, wrong types and values
naming the key path; nothing is loaded, trained or written for an invalid
recipe. Files are read bounded in size, without YAML anchors or aliases.

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

import copy
import json
import os
import re
import time

import numpy as np

from keras_recipes import data as kr_data
from keras_recipes import plots
from keras_recipes import registry
from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.callbacks import TimeBudget
from keras_recipes.data import pipeline
from keras_recipes.data.frames import read_csv
from keras_recipes.recipe_schema import RecipeError
from keras_recipes.recipe_schema import RecipeTypeError
from keras_recipes.recipe_schema import apply_override
from keras_recipes.recipe_schema import as_recipe_error
from keras_recipes.recipe_schema import check_data_path
from keras_recipes.recipe_schema import key_label
from keras_recipes.recipe_schema import plain_copy
from keras_recipes.recipe_schema import read_file
from keras_recipes.recipe_schema import validate
from keras_recipes.tuning import tune_from_recipe

EXPORT_FILES = {
    "keras": "model.keras",
    "saved_model": "saved_model",
    "onnx": "model.onnx",
}


def load(source, overrides=()):
    """Reads a recipe from a YAML path or a dict and validates all of it.

    Every section is checked before anything runs (see
    `keras_recipes.recipe_schema`): a bad key or value raises a
    `RecipeError` (a `ValueError`) naming its key path. YAML files are read
    bounded in size, without anchors or aliases.

    Args:
        source: path to a `.yaml` file, or an already-parsed dict.
        overrides: `"key.sub=value"` strings (the CLI's `--set`), each value
            parsed as YAML, applied before validation.

    Returns:
        A `Recipe`.
    """
    if isinstance(source, dict):
        config, origin = plain_copy(source), "<dict>"
    elif isinstance(source, str | os.PathLike):
        origin = os.fspath(source)
        config = read_file(origin)
    else:
        raise RecipeTypeError(
            "`recipe` must be a YAML file path or a dict. "
            f"Received: recipe of type {type(source).__name__}"
        )
    if isinstance(overrides, str):
        overrides = [overrides]
    for assignment in overrides:
        apply_override(config, assignment)
    return Recipe(validate(config), origin)


def _check_output_dir(path):
    """Checks `output_dir` could be created, without creating anything."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK):
        reason = "not a folder" if not os.path.isdir(probe) else "permission denied"
        raise RecipeError(
            f"`output_dir` must be a writable folder. Received: output_dir={path!r} "
            f"({probe!r}: {reason})"
        )


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
            try:
                parts = registry.load_dataset(data["dataset"], **options)
            except (ValueError, TypeError) as error:
                if not options:
                    raise
                raise as_recipe_error(error, "Recipe key `data.options`: ") from None
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
                stratify=_has_classes(self.task),
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
        """Builds the compiled model through the public factory.

        An error about one of the `model:` keys is prefixed with its recipe
        key path (`Recipe key `model.width`: ...`).
        """
        if train is None:
            train, _ = self.load_data()
        kwargs = self.factory_kwargs()
        try:
            return registry.get_factory(self.task)(data=train, **kwargs)
        except (ValueError, TypeError) as error:
            named = re.match(r"`(\w+)", str(error))
            model = self.config.get("model") or {}
            if named is None or named.group(1) not in model:
                raise
            prefix = f"Recipe key `model.{named.group(1)}`: "
            raise as_recipe_error(error, prefix) from None

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

        config = copy.deepcopy(self.config)  # keeps integer keys (class_weight)
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
        classifiers, `confusion_matrix.png` (test split; multi-label:
        `tag_report.txt`, the per-tag report), for regressors
        `regression.png` (predicted vs true, residuals) into `output_dir`.
        """

        start = time.time()
        # The recipe is valid (checked whole by `load`); the data and the
        # model are made before the output folder, so a data or model error
        # leaves nothing behind.
        _check_output_dir(self.output_dir)
        if "seed" in self.config:
            utils.set_seed(self.config["seed"])
        train, test = self.load_data()
        model = self.build(train)
        out = utils.check_writable_dir("output_dir", self.output_dir)
        # No `fit.epochs`: `fit` trains until the validation loss stops
        # improving and restores the best epoch (`Task.fit(epochs=None)`).
        fit = dict(self.config.get("fit") or {})
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
        for fmt in formats:  # checked by `validate` before training
            path = os.path.join(out, EXPORT_FILES[fmt])
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
        """Writes `training_curves.png` (+ `confusion_matrix.png` for
        classifiers, `regression.png` for regressors) into `out`."""

        paths = {}
        if history.history.get("loss"):
            paths["training_curves"] = plots.plot_history(
                history,
                os.path.join(out, "training_curves.png"),
                title=f"{self.config.get('name', self.task)}: training curves",
            )
        if self.task.endswith("_regressor"):
            data = model.to_data(test)
            figure = plots.regression_figure(
                data.y,
                model.predict(data.x, verbose=0),
                target_names=model.target_names,
                title="Predicted vs true (test split)",
            )
            paths["regression"] = plots.save_png(
                figure, os.path.join(out, "regression.png")
            )
        elif getattr(model, "multi_label", False):  # tags: a per-tag report
            path = os.path.join(out, "tag_report.txt")
            found = model.interpret(test, output_dir=None)
            with utils.atomic_path(path) as tmp:
                with open(tmp, "w", encoding="utf-8") as file:
                    file.write(found.report_text)
            paths["tag_report"] = path
        elif _has_classes(self.task):
            paths["confusion_matrix"] = plots.plot_confusion_matrix(
                model,
                test,
                os.path.join(out, "confusion_matrix.png"),
                title="Confusion matrix (test split)",
            )
        return paths


def _has_classes(task):
    """Whether a task predicts classes (a confusion matrix, stratified limits)."""
    return task != "seq2seq_transformer" and not task.endswith("_regressor")


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
        columns = [target] if isinstance(target, str) else list(target or [])
        present = columns and all(c in data.columns for c in columns)
        labels = data[target] if present else None
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


def _load_path(task, data, names=None):
    """`(train, test)` from `data.path`; errors name the recipe key.

    `names` renames the keys in messages (the CLI's `{"path": "--data",
    "target": "--target"}`).
    """
    names = {"path": "data.path", "target": "data.target", **(names or {})}
    path = check_data_path(task, data["path"], names["path"])
    test_size = data.get("test_size", 0.2)
    if os.path.isdir(path) and task in ("image_classifier", "text_classifier"):
        if task == "image_classifier":
            size = data.get("image_size")
            folder = kr_data.image_folder(
                path, image_size=tuple(size) if size else None
            )
        else:
            folder = kr_data.text_folder(path)
        try:
            return kr_data.split(folder, test_size, seed=0)
        except ValueError as error:
            # `split` names its own argument; here it is the recipe's key.
            message = str(error).replace("validation_split", "data.test_size")
            raise RecipeError(f"Recipe key `data.test_size`: {message}") from None
    if os.path.isdir(path) and task == "image_regressor":
        size = data.get("image_size")
        folder = kr_data.image_targets(
            path,
            targets=data.get("target", "targets.csv"),
            image_size=tuple(size) if size else None,
        )
        try:
            return kr_data.split(folder, test_size, seed=0)
        except ValueError as error:
            message = str(error).replace("validation_split", "data.test_size")
            raise RecipeError(f"Recipe key `data.test_size`: {message}") from None
    if path.lower().endswith(".csv") and os.path.isfile(path):
        if task == "text_regressor":
            return _text_csv(path, data, names, test_size)
        # sklearn: heavy, imported only when a CSV recipe is split.
        from sklearn.model_selection import train_test_split

        try:
            frame = read_csv(path, name=names["path"])
        except ValueError as error:  # pandas' parser and decoding errors
            raise RecipeError(
                f"{key_label(names['path'])} must be a readable CSV file "
                f"({str(error).splitlines()[0][:200]}). "
                f"Received: {names['path']}={path!r}"
            ) from None
        target = data.get("target")
        # Several target columns: the 0/1 tags of a multi-label classifier.
        wanted = [target] if isinstance(target, str) else list(target or [])
        for column in wanted:
            if column not in frame.columns:
                columns = [str(c) for c in frame.columns]
                raise RecipeError(
                    f"{key_label(names['target'])} must name a column of "
                    f"{names['path']} {columns[:20]}."
                    f"{validation.did_you_mean(column, columns)} "
                    f"Received: {names['target']}={target!r}"
                )
        stratify = frame[target] if isinstance(target, str) else None
        try:
            train, test = train_test_split(
                frame, test_size=test_size, random_state=0, stratify=stratify
            )
        except ValueError as error:
            raise RecipeError(
                f"Recipe key `data.test_size` cannot split the {len(frame)} rows "
                f"of {names['path']} ({str(error).splitlines()[0]}). "
                f"Received: data.test_size={test_size}"
            ) from None
        return train.reset_index(drop=True), test.reset_index(drop=True)
    raise RecipeError(
        f"{key_label(names['path'])} must be a folder (image/text classes) or a CSV "
        f"file for task={task!r}. Received: {names['path']}={path!r}"
    )


def _text_csv(path, data, names, test_size):
    """`((texts, targets), (texts, targets))` from a CSV of texts and numbers.

    The texts are the `text` column (or the one column besides the
    target); `data.target` names the numeric target column.
    """
    from sklearn.model_selection import train_test_split

    try:
        frame = read_csv(path, name=names["path"])
    except ValueError as error:
        raise RecipeError(
            f"{key_label(names['path'])} must be a readable CSV file "
            f"({str(error).splitlines()[0][:200]}). "
            f"Received: {names['path']}={path!r}"
        ) from None
    columns = [str(c) for c in frame.columns]
    target = data.get("target")
    if target not in columns:
        raise RecipeError(
            f"{key_label(names['target'])} must name the numeric target column "
            f"of {names['path']} {columns[:20]}."
            f"{validation.did_you_mean(str(target), columns)} "
            f"Received: {names['target']}={target!r}"
        )
    others = [c for c in columns if c != target]
    text = "text" if "text" in others else (others[0] if len(others) == 1 else None)
    if text is None:
        raise RecipeError(
            f"{key_label(names['path'])} must have a `text` column (or one column "
            f"besides the target). Received: columns {columns[:20]}"
        )
    try:
        train, test = train_test_split(frame, test_size=test_size, random_state=0)
    except ValueError as error:
        raise RecipeError(
            f"Recipe key `data.test_size` cannot split the {len(frame)} rows "
            f"of {names['path']} ({str(error).splitlines()[0]}). "
            f"Received: data.test_size={test_size}"
        ) from None
    return tuple(
        (part[text].astype(str).to_numpy(object), part[target].to_numpy())
        for part in (train, test)
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
