"""`TabularPreprocessor`: raw tables in, the tabular model's inputs out.

As in KerasHub, the task (`kr.tasks.TabularClassifier`) owns the graph and
the training defaults, and a preprocessor owns turning raw inputs into
tensors. For tables that is:

- column inference: `TabularPreprocessor.from_frame` gives each column of
  the training data a kind (numeric, boolean, integer- or
  string-categorical) and computes its statistics or vocabulary: the
  `features` specs, plain JSON kept in the task's config;
- reading and validation: `to_arrays` and `convert` read DataFrames, dicts
  of columns and CSV files, check the columns against the specs and turn
  each raw column into its model input's dtype;
- what the statistics build in the graph: one `keras.Input` per column
  (`inputs`) and its normalization or category lookup (`feature_layers`).
"""

import os
import warnings

import keras
import numpy as np

from keras_recipes import validation
from keras_recipes.data.frames import frame_columns
from keras_recipes.data.frames import to_frame
from keras_recipes.data.pipeline import Data
from keras_recipes.layers.tabular_features import ImputedNormalization
from keras_recipes.layers.tabular_features import IntegerCategoryLookup
from keras_recipes.tasks.multi_label import labels_array
from keras_recipes.tasks.tabular_columns import BOOLEAN
from keras_recipes.tasks.tabular_columns import INTEGER
from keras_recipes.tasks.tabular_columns import KINDS
from keras_recipes.tasks.tabular_columns import NUMERIC
from keras_recipes.tasks.tabular_columns import STRING
from keras_recipes.tasks.tabular_columns import check_names
from keras_recipes.tasks.tabular_columns import convert_column
from keras_recipes.tasks.tabular_columns import infer_features

_INPUT_DTYPES = {
    NUMERIC: "float32",
    BOOLEAN: "float32",
    INTEGER: "int64",
    STRING: "string",
}


class TabularPreprocessor:
    """Turns raw tables into the inputs of a `TabularClassifier`.

    Holds the column specs (`features`), the label column (`target`) and the
    columns left out (`ignore`). `to_arrays`/`convert` turn a DataFrame, a
    dict of columns (lists, arrays or scalars) or a CSV path into one array
    per feature column, in the dtype of the model's input: float32 for
    numeric and boolean columns (NaN = missing), int64 for
    integer-categorical columns (unseen or missing -> a value outside the
    vocabulary) and strings for string-categorical columns (`""` = missing).
    Missing feature columns raise; extra columns are ignored with a warning
    (columns in `ignore` and the `target` column silently).

    Args:
        features: list of column specs, one dict per input column (see
            `TabularClassifier`).
        target: optional name of the label column.
        ignore: column names that are never used.

    Example:

    >>> pre = TabularPreprocessor(
    ...     [{"name": "color", "kind": "string_categorical",
    ...       "vocabulary": ["red", "blue"]}], target="label")
    >>> pre.convert({"color": ["red", None], "label": ["a", "b"]})
    {'color': array(['red', ''], dtype=object)}
    """

    def __init__(self, features, target=None, ignore=None):
        specs = check_features(features)
        for column in target_columns(target):
            if column in specs:
                raise ValueError(
                    f"`target` must not also be a feature column. Received: "
                    f"target={target!r}"
                )
        self.ignored = set(check_names("ignore", ignore))
        self.features = features
        self.target = target
        self.ignore = ignore
        self.specs = specs
        self.layer_names = _layer_names(specs)

    @classmethod
    def from_frame(
        cls,
        frame,
        target=None,
        numeric=None,
        categorical=None,
        ignore=None,
        max_categories=1000,
    ):
        """Infers the column specs from a frame of training features.

        See `infer_features`: kinds can be forced with `numeric` and
        `categorical`; all-missing and identifier-like columns join `ignore`.

        Args:
            frame: a DataFrame of feature columns (target already removed).
            target: name of the label column, kept for later frames.
            numeric: column names forced to be numeric.
            categorical: column names forced to be categorical.
            ignore: column names to leave out.
            max_categories: largest vocabulary kept per categorical column.

        Returns:
            A `TabularPreprocessor`.
        """
        features, ignored = infer_features(
            frame,
            numeric=numeric,
            categorical=categorical,
            ignore=ignore,
            max_categories=max_categories,
        )
        return cls(features, target=target, ignore=ignored or None)

    @staticmethod
    def read_training_data(data, target=None):
        """Training data -> `(feature_frame, labels, target)`.

        Rows whose label is missing are dropped with a warning.

        Args:
            data: a DataFrame holding the `target` column (frames from
                `kr.datasets` name it in `frame.attrs["target"]`), a CSV
                path, a dict of columns, an `(inputs_frame, labels)` pair or
                a `kr.data.Data` of columns.
            target: name of the label column.

        Returns:
            The feature columns as a DataFrame, the raw labels and the name
            of the label column (`None` when the labels came separately).
        """
        frame, y, target = _frame_and_labels(data, target)
        frame, y = drop_missing_labels(frame, y, f"data[{target!r}]" if target else "y")
        return frame, y, target

    @property
    def feature_names(self):
        """The input columns, in model order."""
        return list(self.specs)

    # ------------------------------------------------------- raw -> arrays
    def to_arrays(self, x, y=None, name="x", with_labels=True):
        """Raw table (and labels) -> `(inputs, labels)`.

        `x` may also be an `(inputs, labels)` pair. A frame that still holds
        the `target` column gives the labels when `y` is `None` (the column
        is never an input). With labels, rows whose label is missing are
        dropped with a warning. `labels` are raw (not encoded); `None` with
        `with_labels=False`.
        """
        if isinstance(x, tuple) and len(x) == 2 and y is None and with_labels:
            x, y = x
        elif (
            isinstance(x, tuple)
            and len(x) == 2
            and not with_labels
            and _looks_like_table(x[0])
        ):
            x = x[0]
        frame = to_frame(x, name)
        targets = [c for c in target_columns(self.target) if c in frame.columns]
        if targets:
            if with_labels and y is None:
                if len(targets) < len(target_columns(self.target)):
                    missing = sorted(set(target_columns(self.target)) - set(targets))
                    raise ValueError(
                        f"`{name}` holds some target columns but not {missing}. "
                        f"Received: {name} with columns {list(frame.columns)}"
                    )
                y = _target_values(frame, self.target)
            frame = frame.drop(columns=targets)
        if not with_labels:
            return self.convert(frame_columns(frame), name), None
        if y is None:
            hint = (
                f" or include the target column {self.target!r}" if self.target else ""
            )
            raise ValueError(
                f"Labels are missing: pass `(x, y)`{hint}. "
                f"Received: {name} with columns {list(frame.columns)}"
            )
        y = labels_array("y", y)
        validation.check_same_length(name, frame, "y", y)
        frame, y = drop_missing_labels(frame, y, "y")
        return self.convert(frame_columns(frame), name), y

    def convert(self, x, name="x"):
        """Checks the columns and converts each raw column to its input dtype.

        Args:
            x: a dict of columns, a DataFrame or a CSV path.
            name: argument name used in messages.

        Returns:
            A dict `{feature column: numpy array}`, in model order.
        """
        if not isinstance(x, dict):
            x = frame_columns(to_frame(x, name))
        lengths = {k: len(np.atleast_1d(v)) for k, v in x.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"`{name}` columns must all have the same length. "
                f"Received lengths {lengths}"
            )
        if not x or next(iter(lengths.values())) == 0:
            raise ValueError(
                f"`{name}` is empty: expected at least one row. "
                f"Received: {name} with columns {list(x)} and 0 rows"
            )
        missing = [c for c in self.specs if c not in x]
        if missing:
            raise ValueError(
                f"`{name}` is missing column(s) the model needs: {missing}. "
                f"Expected columns: {self.feature_names}. "
                f"Received columns: {list(x)}"
            )
        known = set(self.specs) | self.ignored | set(target_columns(self.target))
        extra = [c for c in x if c not in known]
        if extra:
            warnings.warn(
                f"`{name}` has column(s) the model does not use; ignoring them: "
                f"{extra}",
                stacklevel=4,
            )
        return {
            col: convert_column(name, col, spec["kind"], x[col], spec)
            for col, spec in self.specs.items()
        }

    # ------------------------------------------------------- graph pieces
    def inputs(self):
        """One `keras.Input` per feature column, named by the column."""
        return {
            name: keras.Input(shape=(), dtype=_INPUT_DTYPES[spec["kind"]], name=name)
            for name, spec in self.specs.items()
        }

    def is_categorical(self, column):
        """Whether `column` goes through a category lookup."""
        return self.specs[column]["kind"] in (INTEGER, STRING)

    def num_indices(self, column):
        """Lookup size of a categorical column: its vocabulary plus 1 OOV."""
        return len(self.specs[column]["vocabulary"]) + 1

    def feature_layers(self):
        """The layer each column's input goes through first, by column.

        Numeric and boolean columns: an `ImputedNormalization` with the
        column's statistics (`normalize_<column>`). Categorical columns: a
        lookup to indices `1..n` with 0 for anything unseen
        (`lookup_<column>`): `keras.layers.StringLookup` for strings,
        `IntegerCategoryLookup` for integers.
        """
        layers = {}
        for name, spec in self.specs.items():
            layer_name = self.layer_names[name]
            if spec["kind"] in (NUMERIC, BOOLEAN):
                layers[name] = ImputedNormalization(
                    mean=float(spec["mean"]),
                    variance=float(spec["variance"]),
                    fill_value=float(spec["fill_value"]),
                    missing_indicator=bool(spec["missing_indicator"]),
                    name=f"normalize_{layer_name}",
                )
            elif spec["kind"] == STRING:
                layers[name] = keras.layers.StringLookup(
                    vocabulary=[str(v) for v in spec["vocabulary"]],
                    num_oov_indices=1,
                    mask_token=None,
                    name=f"lookup_{layer_name}",
                )
            else:
                layers[name] = IntegerCategoryLookup(
                    vocabulary=[int(v) for v in spec["vocabulary"]],
                    name=f"lookup_{layer_name}",
                )
        return layers


def _looks_like_table(x):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    return isinstance(x, pd.DataFrame | dict | str | os.PathLike)


# --------------------------------------------------------------- validation
def check_features(features):
    """Validates the column specs; returns them as `{name: spec}`."""
    if not isinstance(features, list | tuple) or not features:
        raise ValueError(
            "`features` must be a non-empty list of column specs (dicts). "
            f"Received: features={features!r}"
        )
    specs = {}
    for i, spec in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ValueError(
                f"`{where}` must be a dict with a string 'name'. Received: {spec!r}"
            )
        name = spec["name"]
        if name in specs:
            raise ValueError(
                f"`features` names must be unique. Received: {name!r} twice"
            )
        validation.check_choice(f"{where}['kind']", spec.get("kind"), KINDS)
        if spec["kind"] in (NUMERIC, BOOLEAN):
            needed = ("mean", "variance", "fill_value", "missing_indicator")
        else:
            needed = ("vocabulary",)
        absent = [k for k in needed if k not in spec]
        if absent:
            raise ValueError(
                f"`{where}` ({name!r}, {spec['kind']}) needs keys {list(needed)}. "
                f"Received: missing {absent}"
            )
        if spec["kind"] in (NUMERIC, BOOLEAN):
            try:
                validation.check_float(f"{where}['mean']", spec["mean"])
                validation.check_float(f"{where}['variance']", spec["variance"], 0.0)
                validation.check_float(f"{where}['fill_value']", spec["fill_value"])
            except (ValueError, TypeError) as error:
                # Name the column: inferred specs are not the user's list (#35).
                raise type(error)(f"Column {name!r}: {error}") from None
        else:
            vocab = spec["vocabulary"]
            ok_type = str if spec["kind"] == STRING else int
            if (
                not isinstance(vocab, list | tuple)
                or not vocab
                or not all(
                    isinstance(v, ok_type) and not isinstance(v, bool) for v in vocab
                )
            ):
                raise ValueError(
                    f"`{where}['vocabulary']` must be a non-empty list of "
                    f"{ok_type.__name__}s. Received: {validation._short(vocab)}"
                )
            if len(set(vocab)) != len(vocab):
                raise ValueError(
                    f"`{where}['vocabulary']` must not repeat values. "
                    f"Received: {validation._short(vocab)}"
                )
        specs[name] = spec
    return specs


def _layer_names(specs):
    """Unique, layer-name-safe versions of the column names."""
    names, used = {}, set()
    for i, column in enumerate(specs):
        safe = "".join(c if c.isalnum() or c in "_-." else "_" for c in column)
        safe = safe or "column"
        if safe in used:
            safe = f"{safe}_{i}"
        used.add(safe)
        names[column] = safe
    return names


def drop_missing_labels(frame, y, name):
    """Drops (with a warning) the rows whose label is missing."""
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if np.ndim(y) == 2:  # several target columns: a row with a gap is missing
        missing = pd.isna(pd.DataFrame(np.asarray(y, dtype=object))).any(axis=1)
        missing = missing.to_numpy()
    else:
        missing = pd.isna(pd.Series(list(y), dtype=object)).to_numpy()
    if not missing.any():
        return frame, y
    if missing.all():
        raise ValueError(
            f"`{name}` holds no labels: all {len(y)} are missing. "
            f"Received: {name}[:3]={list(y[:3])}"
        )
    warnings.warn(
        f"Dropping {int(missing.sum())} row(s) whose label (`{name}`) is missing.",
        stacklevel=4,
    )
    keep = ~missing
    return frame[keep].reset_index(drop=True), y[keep]


def _frame_and_labels(data, target):
    """Returns `(feature_frame, raw_labels, target_name)` from any `data`."""
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if isinstance(data, Data):
        if data.x is None or not isinstance(data.x, dict):
            raise TypeError(
                "`data` as kr.data.Data must hold a dict of columns (from "
                "kr.data.from_pandas or kr.data.csv). Received: "
                f"{data!r}"
            )
        frame = pd.DataFrame(data.x)
        if data.y is not None:
            y = np.asarray(data.y)
            if data.class_names is not None and y.dtype.kind in "iu":
                y = np.asarray(data.class_names, dtype=object)[y]
            _check_rows(frame)
            return frame, y, target
        data = frame
    if isinstance(data, tuple) and len(data) == 2:
        frame = to_frame(data[0], "data[0]")
        _check_rows(frame, "data[0]")
        y = labels_array("data[1]", data[1])
        validation.check_same_length("data[0]", frame, "data[1]", y)
        return frame, y, target
    frame = to_frame(data, "data")
    if target is None:
        target = frame.attrs.get("target") if hasattr(frame, "attrs") else None
    if target is None:
        raise ValueError(
            "`target` is required: name the label column of `data`. Received: "
            f"target=None; columns are {[str(c) for c in frame.columns]}"
        )
    columns = [str(c) for c in frame.columns]
    what = "be a column" if isinstance(target, str) else "name columns"
    for column in target_columns(target):
        if column not in columns:
            raise ValueError(
                f"`target` must {what} of `data`."
                f"{validation.did_you_mean(column, columns)} Received: "
                f"target={target!r}; columns are {columns}"
            )
    _check_rows(frame)
    y = _target_values(frame, target)
    return frame.drop(columns=target_columns(target)), y, target


def target_columns(target):
    """The label column names: `[]`, `[target]` or the list (multi-label).

    Several 0/1 target columns (`target=["a", "b"]`) are the tags of a
    multi-label classifier.

    Example:

    >>> target_columns("label"), target_columns(["a", "b"]), target_columns(None)
    (['label'], ['a', 'b'], [])
    """
    if target is None:
        return []
    if isinstance(target, str):
        return [target]
    if (
        not isinstance(target, list | tuple)
        or not target
        or not all(isinstance(c, str) for c in target)
    ):
        raise TypeError(
            "`target` must be a column name (str) or, for a multi-label "
            f"classifier, a list of 0/1 column names. Received: target={target!r}"
        )
    if len(set(target)) != len(target):
        raise ValueError(
            f"`target` must not repeat a column. Received: target={list(target)}"
        )
    return list(target)


def _target_values(frame, target):
    """The labels of `frame`: one column's values, or a 2-D array of several."""
    if isinstance(target, str):
        return frame[target].to_numpy()
    return frame[list(target)].to_numpy()


def _check_rows(frame, name="data"):
    if len(frame) == 0:
        raise ValueError(
            f"`{name}` is empty: expected at least one row. Received: a "
            f"DataFrame with shape {frame.shape}"
        )
