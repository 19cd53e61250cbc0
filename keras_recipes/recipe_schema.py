"""Recipe checks: bounded YAML reading, `--set` overrides, the whole schema.

A recipe is checked completely before any work: every section (`data`,
`model`, `fit`, `export`, `tune`) and the cross-section rules, so a bad key
or value is refused before data is loaded, a model is built or a file is
written. Each problem is a `RecipeError` (a `ValueError`; a
`RecipeTypeError`, also a `TypeError`, for a value of the wrong type) that
names the recipe key path (`fit.class_weight`, `export.formats[1]`, ...).

Reading is bounded, because a recipe is a few hundred bytes of settings and
a tiny file must not be able to exhaust memory:

- a recipe file over `MAX_RECIPE_BYTES` (1 MiB) is refused before parsing;
- YAML is read with a `yaml.SafeLoader` (no Python objects) that refuses
  anchors (`&name`) and aliases (`*name`, `<<: *name`) outright: recipes
  never need them, and nested aliases are the "billion laughs" bomb (a
  600-byte file that expands to gigabytes);
- nesting deeper than `MAX_DEPTH` and more than `MAX_NODES` values are
  refused, for YAML files, `--set` values and Python dicts alike (a dict may
  share sub-objects or refer to itself);
- messages show values through a bounded `repr` (`short`).
"""

import math
import os
import reprlib

import yaml

from keras_recipes import registry
from keras_recipes import validation
from keras_recipes.callbacks.time_budget import parse_duration
from keras_recipes.distribute.strategy import STRATEGIES
from keras_recipes.export.formats import FORMATS
from keras_recipes.tuning.recipe_tuning import check_tune_section
from keras_recipes.utils import open_regular

MAX_RECIPE_BYTES = 1 << 20
MAX_DEPTH = 20
MAX_NODES = 10_000
MAX_IMAGE_SIDE = 4096


class RecipeError(ValueError):
    """A recipe file or dict that does not match the schema."""


class RecipeTypeError(RecipeError, TypeError):
    """A recipe value of the wrong type (both a `ValueError` and a `TypeError`)."""


def as_recipe_error(error, prefix=""):
    """`error` (a `ValueError` or `TypeError`) as a `RecipeError` of its kind.

    A `TypeError` becomes a `RecipeTypeError`, anything else a `RecipeError`;
    the message is `prefix` followed by `error`'s.

    Example:

    >>> as_recipe_error(TypeError("bad"), "Recipe key `x`: ")
    RecipeTypeError('Recipe key `x`: bad')
    """
    cls = RecipeTypeError if isinstance(error, TypeError) else RecipeError
    return cls(f"{prefix}{error}")


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 2, 4, 4
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 60, 60, 40


def short(value, limit=80):
    """A `repr` bounded in time and length, for error messages.

    Example:

    >>> short(list(range(10**6)))
    '[0, 1, 2, 3, ...]'
    """
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------- reading
class _BoundedLoader(yaml.SafeLoader):
    """`SafeLoader` without anchors or aliases, with a nesting bound."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise RecipeError(
                "Recipes may not use YAML anchors or aliases (`&name`, `*name`, "
                "`<<: *name`): they are refused so that a small file cannot expand "
                f"into a huge one. Received: {sign}"
                f"{short(event.anchor)} at line {mark.line + 1}, column "
                f"{mark.column + 1}"
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RecipeError(
                f"Recipes may nest at most {MAX_DEPTH} levels deep. Received: "
                f"deeper nesting at line {event.start_mark.line + 1}"
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _parse(text, what):
    """Parses YAML text with `_BoundedLoader`; one-line `RecipeError`s."""
    try:
        loader = _BoundedLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        # One line: PyYAML's own message spans several.
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RecipeError(f"{what} is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise RecipeError(f"{what} nests too deeply. Received: {what}") from None
    except RecipeError as error:  # an anchor, an alias or deep nesting
        raise RecipeError(f"{what}: {error}") from None


def read_file(path):
    """Reads and parses a recipe file, bounded in size; returns a plain dict."""
    origin = os.fspath(path)
    if not os.path.isfile(origin):
        raise RecipeError(
            f"`recipe` must be an existing YAML file. Received: recipe={origin!r}"
        )
    try:
        # Never blocks: a path swapped for a FIFO after the check is refused.
        with open_regular(origin) as file:
            raw = file.read(MAX_RECIPE_BYTES + 1)
    except OSError as error:
        raise RecipeError(
            f"`recipe` could not be read ({error.strerror or error}). Received: "
            f"recipe={origin!r}"
        ) from None
    if len(raw) > MAX_RECIPE_BYTES:
        raise RecipeError(
            f"`recipe` must be at most {MAX_RECIPE_BYTES} bytes (a recipe holds "
            f"settings, not data). Received: recipe={origin!r} of more"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecipeError(
            f"`recipe` must be UTF-8 text. Received: recipe={origin!r} (byte "
            f"{error.start} is not UTF-8)"
        ) from None
    config = _parse(text, f"`recipe` ({origin})")
    if not isinstance(config, dict):
        raise RecipeError(
            "`recipe` must hold a YAML mapping at the top level. "
            f"Received: {type(config).__name__} in {origin}"
        )
    return plain_copy(config)


def apply_override(config, assignment):
    """Applies one `--set key.sub=value` (value parsed as bounded YAML).

    A `(key, value)` pair sets `value` as it is (not parsed), as the CLI's
    `--output-dir` does.
    """
    if isinstance(assignment, tuple) and len(assignment) == 2:
        key, value = assignment
        _set(config, str(key), plain_copy(value, str(key)), f"{key}=...")
        return
    if not isinstance(assignment, str) or "=" not in assignment:
        raise RecipeError(
            "An override (--set) must look like `key.sub=value`. "
            f"Received: {short(assignment)}"
        )
    key, raw = assignment.split("=", 1)
    parts = key.strip().split(".")
    if not all(part.strip() for part in parts):
        raise RecipeError(
            "An override (--set) must name a key such as `fit.epochs` before "
            f"`=`. Received: --set {short(assignment)}"
        )
    if len(raw) > MAX_RECIPE_BYTES:
        raise RecipeError(
            f"An override (--set) value must be at most {MAX_RECIPE_BYTES} bytes. "
            f"Received: --set {key}=<{len(raw)} characters>"
        )
    value = plain_copy(_parse(raw, f"The override --set {short(assignment)}"), key)
    _set(config, key.strip(), value, assignment)


def _set(config, key, value, assignment):
    parts = key.split(".")
    node = config
    for depth, part in enumerate(parts[:-1]):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            where = ".".join(parts[: depth + 1])
            raise RecipeError(
                f"The override --set {short(assignment)} sets a key inside "
                f"`{where}`, which is not a mapping. Received: {where}={short(node)}"
            )
    node[parts[-1]] = value


def plain_copy(node, where="", _state=None, _depth=0):
    """Copies a recipe into plain dicts, lists and scalars, within the bounds.

    Tuples become lists and numpy scalars Python numbers; anything else that
    YAML or JSON could not hold raises `RecipeTypeError` naming the key path.
    """
    state = _state if _state is not None else [0]
    state[0] += 1
    label = where or "recipe"
    if state[0] > MAX_NODES or _depth > MAX_DEPTH:
        what = f"{MAX_NODES} values" if state[0] > MAX_NODES else "deep nesting"
        raise RecipeError(
            f"A recipe may hold at most {MAX_NODES} values nested at most "
            f"{MAX_DEPTH} levels. Received: more ({what}) at `{label}`"
        )
    if node is None or isinstance(node, bool | str):
        return node
    if isinstance(node, int | float):
        return node
    if hasattr(node, "item") and type(node).__module__ == "numpy":
        value = node.item()
        if isinstance(value, bool | int | float | str):
            return value
    if isinstance(node, dict):
        copy = {}
        for key, value in node.items():
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise RecipeTypeError(
                    f"Recipe keys must be strings. Received: key {short(key)} in "
                    f"`{label}`"
                )
            path = f"{where}.{key}" if where else str(key)
            copy[key] = plain_copy(value, path, state, _depth + 1)
        return copy
    if isinstance(node, list | tuple):
        return [
            plain_copy(v, f"{label}[{i}]", state, _depth + 1)
            for i, v in enumerate(node)
        ]
    raise RecipeTypeError(
        f"Recipe key `{label}` must hold YAML values (mappings, lists, strings, "
        f"numbers, booleans, null). Received: {label} of type {type(node).__name__}"
    )


# -------------------------------------------------------------------- checks
def _type(where, value, *types):
    """Checks `value`'s type (bool is not an int; an int is a float)."""
    if isinstance(value, bool):
        ok = bool in types
    elif float in types and isinstance(value, int):
        ok = True
    else:
        ok = isinstance(value, types)
    if not ok:
        names = " or ".join(
            "null" if t is type(None) else "mapping" if t is dict else t.__name__
            for t in types
        )
        raise RecipeTypeError(
            f"Recipe key `{where}` must be {names}. "
            f"Received: {where}={short(value)} ({type(value).__name__})"
        )
    return value


def _number(where, value, kind, low=None, high=None, open_low=False, open_high=False):
    _type(where, value, kind)
    if kind is float and not math.isfinite(value):
        raise RecipeError(f"Recipe key `{where}` must be finite. Received: {value}")
    below = low is not None and (value <= low if open_low else value < low)
    above = high is not None and (value >= high if open_high else value > high)
    if below or above:
        parts = []
        if low is not None:
            parts.append(f"{'>' if open_low else '>='} {low}")
        if high is not None:
            parts.append(f"{'<' if open_high else '<='} {high}")
        raise RecipeError(
            f"Recipe key `{where}` must be {' and '.join(parts)}. "
            f"Received: {where}={short(value)}"
        )
    return value


def _choice(where, value, choices):
    _type(where, value, str)
    if value not in choices:
        raise RecipeError(
            f"Recipe key `{where}` must be one of {sorted(choices)}."
            f"{validation.did_you_mean(value, choices)} "
            f"Received: {where}={short(value)}"
        )
    return value


def _keys(node, where, allowed, error=RecipeError):
    _type(where, node, dict)
    for key, value in node.items():
        if key not in allowed:
            path = f"{where}.{key}" if where else str(key)
            scope = f" under {where}" if where else ""
            raise error(
                f"Unknown recipe key `{path}`.{validation.did_you_mean(key, allowed)} "
                f"Valid keys{scope}: {sorted(allowed)}. Received: {path}={short(value)}"
            )


def _folder_name(where, value):
    _type(where, value, str)
    if not value.strip() or value in (".", "..") or any(c in value for c in "/\\\0"):
        raise RecipeError(
            f"Recipe key `{where}` must be a plain folder name (no `/`, not `.` "
            f"or `..`). Received: {where}={short(value)}"
        )


TOP_KEYS = (
    "task",
    "name",
    "description",
    "seed",
    "strategy",
    "output_dir",
    "tensorboard",
    "data",
    "model",
    "fit",
    "tune",
    "export",
)
DATA_KEYS = ("dataset", "path", "target", "image_size", "test_size", "options", "limit")
FIT_KEYS = (
    "epochs",
    "batch_size",
    "validation_split",
    "class_weight",
    "time_budget",
    "threshold",
)
REQUIRED = ("task", "data")


def _check_top(config):
    _keys(config, "", TOP_KEYS)
    for key in REQUIRED:
        if key not in config:
            raise RecipeError(f"Recipe key `{key}` is required. Received: no `{key}`")
    task = _choice("task", config["task"], tuple(registry.TASKS))
    if "name" in config:
        _folder_name("name", config["name"])
    if "description" in config:
        _type("description", config["description"], str)
    if "seed" in config:
        _number("seed", config["seed"], int, 0, 2**32 - 1)
    if config.get("strategy") is not None:
        _choice("strategy", config["strategy"], STRATEGIES[1:])
    if "output_dir" in config:
        _type("output_dir", config["output_dir"], str)
        if not config["output_dir"].strip():
            raise RecipeError(
                "Recipe key `output_dir` must be a folder path. Received: "
                f"output_dir={config['output_dir']!r}"
            )
    if "tensorboard" in config:
        _type("tensorboard", config["tensorboard"], bool)
    return task


def _check_data(data, task):
    _keys(data, "data", DATA_KEYS)
    if ("dataset" in data) == ("path" in data):
        raise RecipeError(
            "Recipe key `data` needs exactly one of `dataset` or `path`. "
            f"Received: data={short(data)}"
        )
    if "dataset" in data:
        name = _choice("data.dataset", data["dataset"], tuple(registry.DATASETS))
        for key in ("test_size", "image_size"):
            if key in data:
                raise RecipeError(
                    f"Recipe key `data.{key}` applies to `data.path`; a bundled "
                    "dataset has its own split (set it in `data.options`). "
                    f"Received: data.{key} with data.dataset={name!r}"
                )
        options = data.get("options") or {}
        _keys(options, "data.options", registry.dataset_arguments(name))
    else:
        _check_path(data, task)
    if "target" in data:
        _check_target(data["target"], task)
    if "limit" in data and _type("data.limit", data["limit"], int) < 1:
        raise RecipeError(
            "Recipe key `data.limit` must be a positive number of examples. "
            f"Received: data.limit={data['limit']!r}"
        )
    if "test_size" in data:
        _number("data.test_size", data["test_size"], float, 0, 1, True, True)
    if "image_size" in data:
        size = _type("data.image_size", data["image_size"], list)
        if len(size) != 2:
            raise RecipeError(
                "Recipe key `data.image_size` must be [height, width]. "
                f"Received: data.image_size={short(size)}"
            )
        for i, side in enumerate(size):
            _number(f"data.image_size[{i}]", side, int, 1, MAX_IMAGE_SIDE)


def _check_target(target, task):
    """`data.target`: a column name, or (tabular) a list of 0/1 tag columns."""
    if task == "tabular_classifier" and isinstance(target, list):
        if not target or not all(isinstance(c, str) for c in target):
            raise RecipeTypeError(
                "Recipe key `data.target` must be a column name or a non-empty "
                "list of column names (0/1 tag columns, with `model.multi_label: "
                f"true`). Received: data.target={short(target)}"
            )
        return target
    return _type("data.target", target, str)


def key_label(name):
    """How messages call `name`: "Recipe key `data.path`", or "`--data`" (a flag).

    Example:

    >>> key_label("data.path"), key_label("--data")
    ('Recipe key `data.path`', '`--data`')
    """
    return f"Recipe key `{name}`" if "." in name else f"`{name}`"


def check_data_path(task, path, name="data.path"):
    """Checks that `path` exists and is the kind of data `task` reads.

    Args:
        task: a registered task name.
        path: the data path (a folder of class subfolders, or a CSV file).
        name: what messages call it (`data.path` in a recipe, `--data` in
            the CLI).
    """
    label = key_label(name)
    path = _type(name, path, str)
    if not os.path.exists(path):
        raise RecipeError(f"{label} must exist. Received: {name}={path!r}")
    is_csv = path.lower().endswith(".csv") and os.path.isfile(path)
    kinds = {
        "image_classifier": (os.path.isdir(path), "a folder of class subfolders"),
        "text_classifier": (
            os.path.isdir(path) or is_csv,
            "a folder of class subfolders or a CSV file",
        ),
        "tabular_classifier": (is_csv, "a CSV file"),
        "image_regressor": (
            os.path.isdir(path),
            "a folder of images with a targets.csv (filename,<target> rows)",
        ),
        "text_regressor": (is_csv, "a CSV file (a text and a target column)"),
        "seq2seq_transformer": (is_csv, "a CSV file"),
    }
    ok, expected = kinds.get(task, (os.path.isdir(path) or is_csv, "data"))
    if not ok:
        raise RecipeError(
            f"{label} must be {expected} for task={task!r}. Received: {name}={path!r}"
        )
    return path


def _check_path(data, task):
    path = check_data_path(task, data["path"])
    if task in ("tabular_classifier", "text_regressor") and "target" not in data:
        raise RecipeError(
            "Recipe key `data.target` (the label column) is required with a CSV "
            f"`data.path`. Received: data={short(data)}"
        )
    if "options" in data:
        raise RecipeError(
            "Recipe key `data.options` applies to a bundled `data.dataset`. "
            f"Received: data.options with data.path={path!r}"
        )


def _check_model(model, task):
    if model is None:
        return
    allowed = registry.model_arguments(task)
    _keys(model, "model", allowed, RecipeTypeError)


def _check_fit(fit, task):
    if fit is None:
        return
    _keys(fit, "fit", FIT_KEYS)
    if "epochs" in fit:
        _number("fit.epochs", fit["epochs"], int, 1)
    if "batch_size" in fit:
        _number("fit.batch_size", fit["batch_size"], int, 1)
    if "validation_split" in fit:
        _number(
            "fit.validation_split", fit["validation_split"], float, 0, 1, False, True
        )
    if fit.get("time_budget") is not None:
        try:
            parse_duration(fit["time_budget"], "fit.time_budget")
        except (ValueError, TypeError) as error:
            raise as_recipe_error(error) from None
    if fit.get("class_weight") is not None:
        _check_class_weight(fit["class_weight"], task)
    if fit.get("threshold") is not None and fit["threshold"] != "auto":
        _number("fit.threshold", fit["threshold"], float, 0, 1, True, True)


def _check_class_weight(weights, task):
    where = "fit.class_weight"
    if task == "seq2seq_transformer":
        raise RecipeError(
            f"Recipe key `{where}` does not apply to task={task!r} (its targets "
            f"are token sequences). Received: {where}={short(weights)}"
        )
    _type(where, weights, str, dict)
    if isinstance(weights, str):
        if task != "tabular_classifier" or weights != "balanced":
            expected = (
                "'balanced' or a mapping {class index: weight}"
                if task == "tabular_classifier"
                else "a mapping {class index: weight}"
            )
            raise RecipeError(
                f"Recipe key `{where}` must be {expected} for task={task!r}."
                f"{validation.did_you_mean(weights, ['balanced'])} "
                f"Received: {where}={short(weights)}"
            )
        return
    if not weights:
        raise RecipeError(f"Recipe key `{where}` must not be empty. Received: {{}}")
    for key, weight in weights.items():
        if isinstance(key, bool) or not isinstance(key, int) or key < 0:
            raise RecipeTypeError(
                f"Recipe key `{where}` must map class indices (integers >= 0) to "
                f"weights. Received: key {short(key)} in {where}"
            )
        _number(f"{where}.{key}", weight, float, 0)


def _check_export(export):
    if export is None:
        return
    _keys(export, "export", ("formats",))
    formats = _type("export.formats", export.get("formats", []), list)
    for i, fmt in enumerate(formats):
        _choice(f"export.formats[{i}]", fmt, FORMATS)
    if len(set(formats)) != len(formats):
        raise RecipeError(
            f"Recipe key `export.formats` must not repeat a format. "
            f"Received: export.formats={short(formats)}"
        )


def validate(config):
    """Checks a whole parsed recipe, every section, before any work; returns it.

    Example:

    >>> validate({"task": "image_classifier", "data": {"dataset": "digits"}})
    {'task': 'image_classifier', 'data': {'dataset': 'digits'}}
    >>> try:
    ...     validate({"task": "image_classifier", "data": {"dataset": "digits"},
    ...               "export": {"formats": ["keras", "pdf"]}})
    ... except RecipeError as error:
    ...     print(str(error).split(". ")[-1])
    Received: export.formats[1]='pdf'
    """
    task = _check_top(config)
    _check_data(config["data"], task)
    _check_model(config.get("model"), task)
    _check_fit(config.get("fit"), task)
    _check_export(config.get("export"))
    try:
        check_tune_section(config.get("tune"), task)
    except (ValueError, TypeError) as error:
        raise as_recipe_error(error, "Recipe section `tune`: ") from None
    return config
