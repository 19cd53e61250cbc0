"""`kr.tabular_classifier` / `kr.tasks.TabularClassifier`.

Raw DataFrames, dicts of columns and CSV files in; raw rows served. Column
types are inferred by the factory (numeric, integer-categorical,
string-categorical, boolean), their statistics and vocabularies are computed
from the training data and passed to the model as plain JSON constructor
arguments, so they live in `get_config()` and survive `.keras` save/load
without `custom_objects`.
"""

import math
import os
import warnings

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.tasks.task import Task

NUMERIC = "numeric"
BOOLEAN = "boolean"
INTEGER = "integer_categorical"
STRING = "string_categorical"
KINDS = (NUMERIC, BOOLEAN, INTEGER, STRING)
# Integer columns with at most this many distinct values are categorical.
MAX_INTEGER_CATEGORIES = 10
# The token that stands for a missing value in string-categorical columns
# (what an empty CSV field reads as when served raw).
MISSING_TOKEN = ""
MAX_CROSS_BINS = 100_000
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


# ---------------------------------------------------------------------- layers
@keras.saving.register_keras_serializable(package="keras_recipes")
class ImputedNormalization(keras.layers.Layer):
    """Imputes missing (NaN) values, standardises, and flags what was missing.

    `(x - mean) / sqrt(variance)` after replacing NaN by `fill_value`; with
    `missing_indicator=True` a second feature holds 1.0 where the raw value
    was missing. Takes `(batch,)` or `(batch, 1)` and returns
    `(batch, 1)` or `(batch, 2)`.

    Args:
        mean: mean of the training values.
        variance: variance of the training values (0 is treated as 1).
        fill_value: value that replaces NaN; defaults to `mean`.
        missing_indicator: append a missing-value indicator feature.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> layer = ImputedNormalization(mean=2.0, variance=4.0,
    ...                              missing_indicator=True)
    >>> keras.ops.convert_to_numpy(layer(np.array([4.0, np.nan]))).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(
        self,
        mean=0.0,
        variance=1.0,
        fill_value=None,
        missing_indicator=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.check_float("mean", mean)
        validation.check_float("variance", variance, minimum=0.0)
        if fill_value is not None:
            validation.check_float("fill_value", fill_value)
        self.mean = mean
        self.variance = variance
        self.fill_value = fill_value
        self.missing_indicator = bool(missing_indicator)

    def call(self, inputs):
        x = keras.ops.reshape(keras.ops.cast(inputs, self.compute_dtype), (-1, 1))
        missing = keras.ops.isnan(x)
        fill = float(self.mean if self.fill_value is None else self.fill_value)
        x = keras.ops.where(missing, keras.ops.full_like(x, fill), x)
        scale = math.sqrt(float(self.variance)) or 1.0
        x = (x - float(self.mean)) / scale
        if self.missing_indicator:
            flag = keras.ops.cast(missing, self.compute_dtype)
            x = keras.ops.concatenate([x, flag], axis=-1)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 if self.missing_indicator else 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mean": self.mean,
                "variance": self.variance,
                "fill_value": self.fill_value,
                "missing_indicator": self.missing_indicator,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class CategoryCross(keras.layers.Layer):
    """Exact cross of two categorical index columns: `a * num_b + b`.

    Both inputs are lookup indices (OOV = 0); the output is one index in
    `[0, num_a * num_b)` for the pair, to feed an `Embedding`.

    Args:
        num_b: number of indices (vocabulary + OOV) of the second input.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> cross = CategoryCross(num_b=3)
    >>> keras.ops.convert_to_numpy(cross([np.array([0, 2]), np.array([1, 2])]))
    array([1, 8])
    """

    def __init__(self, num_b, **kwargs):
        super().__init__(**kwargs)
        self.num_b = validation.check_int("num_b", num_b, minimum=1)

    def call(self, inputs):
        a, b = inputs
        a = keras.ops.cast(a, "int64")
        b = keras.ops.cast(b, "int64")
        return a * self.num_b + b

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs[0].shape, dtype="int64")

    def get_config(self):
        config = super().get_config()
        config["num_b"] = self.num_b
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class IntegerCategoryLookup(keras.layers.Layer):
    """Maps integer categories to indices `1..n`; anything else maps to 0 (OOV).

    Same result as `keras.layers.IntegerLookup(vocabulary, num_oov_indices=1,
    mask_token=None)`, but written with `keras.ops` comparisons instead of a
    hash table: tf2onnx converts only string<->int64 tables, so the table
    version made every tabular model with an integer-categorical column
    (the penguins' `year`) fail ONNX export. Cost: one `(batch, n)` boolean
    comparison per column, negligible for categorical vocabularies.

    Args:
        vocabulary: the distinct integer categories, in index order.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> lookup = IntegerCategoryLookup(vocabulary=[2007, 2008, 2009])
    >>> keras.ops.convert_to_numpy(lookup(np.array([2009, 2007, 1999])))
    array([3, 1, 0])
    """

    def __init__(self, vocabulary, **kwargs):
        super().__init__(**kwargs)
        values = [int(v) for v in vocabulary]
        if not values or len(set(values)) != len(values):
            raise ValueError(
                "`vocabulary` must be a non-empty list of distinct integers. "
                f"Received: vocabulary={list(vocabulary)!r}"
            )
        self.vocabulary = values
        self._values = np.asarray(values, "int64")
        self._positions = np.arange(1, len(values) + 1, dtype="int64")

    def call(self, inputs):
        x = keras.ops.expand_dims(keras.ops.cast(inputs, "int64"), -1)
        hits = keras.ops.equal(x, self._values)
        return keras.ops.sum(keras.ops.where(hits, self._positions, 0), axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="int64")

    def get_config(self):
        config = super().get_config()
        config["vocabulary"] = self.vocabulary
        return config


# ------------------------------------------------------------------------ task
@keras.saving.register_keras_serializable(package="keras_recipes")
class TabularClassifier(Task):
    """Tabular classifier: a dict of raw column values in, class probabilities out.

    The model has one `keras.Input` per feature column, named by the column,
    so it serves raw rows: numeric columns as floats (NaN = missing), boolean
    columns as 0/1 floats, integer-categorical columns as integers and
    string-categorical columns as strings (`""` = missing). Numeric columns
    are imputed, standardised and, when training data had gaps, given a
    missing-value indicator; categorical columns go through a
    `StringLookup`/`IntegerLookup` with one OOV index (unseen categories
    never raise) and an `Embedding`. Optional exact feature crosses of two
    categorical columns get their own embedding. An MLP with batch
    normalisation and dropout and a softmax head follows (binary targets use
    a 2-way softmax, so `predict` always returns one probability per class).

    Column statistics and vocabularies are constructor arguments, computed by
    `kr.tabular_classifier` from the training data, so they are part of the
    config and of the saved model.

    `fit`, `evaluate`, `predict` and `predict_labels` accept a DataFrame, a
    dict of columns (lists, arrays or scalars), a CSV path or an
    `(inputs, labels)` pair. A frame that still holds the `target` column
    provides its own labels (and the column is ignored by `predict`). Missing
    feature columns raise; extra columns are ignored with a warning (columns
    in `ignore` silently).

    Args:
        features: list of column specs, one dict per input column with keys
            `"name"`, `"kind"` (one of `KINDS`) and, for `"numeric"` and
            `"boolean"`: `"mean"`, `"variance"`, `"fill_value"`,
            `"missing_indicator"`; for the categorical kinds:
            `"vocabulary"` (list of strings or of integers).
        num_classes: number of classes (>= 2).
        target: optional name of the label column, dropped from inputs.
        ignore: column names that are never used (no warning at predict).
        hidden_units: sizes of the MLP's hidden layers.
        dropout: dropout rate after each hidden layer.
        batch_norm: batch normalisation after each hidden `Dense`.
        embedding_dim: embedding size of categorical columns; `None` picks
            `min(16, round(1.6 * n ** 0.56))` from the vocabulary size `n`.
        crosses: optional list of `[column_a, column_b]` pairs of categorical
            columns to cross exactly.
        class_weight: `None`, `"balanced"` (weights inversely proportional to
            class frequencies in the training labels, computed at `fit`) or a
            list with one weight per class. `fit(class_weight=...)` overrides.
        learning_rate: AdamW learning rate used by `compile("auto")`.
        class_names: optional class names.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> features = [
    ...     {"name": "size", "kind": "numeric", "mean": 1.0, "variance": 1.0,
    ...      "fill_value": 1.0, "missing_indicator": False},
    ...     {"name": "color", "kind": "string_categorical",
    ...      "vocabulary": ["red", "blue"]},
    ... ]
    >>> model = TabularClassifier(features, num_classes=2, hidden_units=[8],
    ...                           class_names=["no", "yes"])
    >>> model.predict({"size": [0.5, 2.0], "color": ["red", "green"]},
    ...               verbose=0).shape
    (2, 2)
    """

    task_name = "tabular_classifier"
    # 16 steps per call from fits of 500 steps. Later fits take 0.65x the time
    # (break-even ~140 steps without validation), but a first fit with
    # validation also traces a multi-step test function: the 30-epoch
    # penguins recipe (210 steps) took 1.07-1.17x the time with 16 per call
    # (benchmarks/overhead.py --section steps, also --section recipes).
    auto_min_steps = 500

    def __init__(
        self,
        features,
        num_classes,
        target=None,
        ignore=None,
        hidden_units=(128, 64),
        dropout=0.1,
        batch_norm=True,
        embedding_dim=None,
        crosses=None,
        class_weight=None,
        learning_rate=3e-3,
        class_names=None,
        **kwargs,
    ):
        specs = _check_features(features)
        num_classes = validation.check_int("num_classes", num_classes, minimum=2)
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(
                f"`class_names` must hold num_classes={num_classes} names. "
                f"Received: class_names={list(class_names)}"
            )
        if target is not None and not isinstance(target, str):
            raise TypeError(
                f"`target` must be a column name (str). Received: target={target!r}"
            )
        if target is not None and target in specs:
            raise ValueError(
                f"`target` must not also be a feature column. Received: "
                f"target={target!r}"
            )
        ignore_list = _check_names("ignore", ignore)
        units = _check_units(hidden_units)
        validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
        )
        if embedding_dim is not None:
            validation.check_int("embedding_dim", embedding_dim, minimum=1)
        cross_pairs = _check_crosses(crosses, specs)
        _check_class_weight(class_weight, num_classes)
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Layers ===
        encoders = {}
        layer_names = _layer_names(specs)
        for name, spec in specs.items():
            layer_name = layer_names[name]
            if spec["kind"] in (NUMERIC, BOOLEAN):
                encoders[name] = ImputedNormalization(
                    mean=float(spec["mean"]),
                    variance=float(spec["variance"]),
                    fill_value=float(spec["fill_value"]),
                    missing_indicator=bool(spec["missing_indicator"]),
                    name=f"normalize_{layer_name}",
                )
                continue
            vocab = list(spec["vocabulary"])
            if spec["kind"] == STRING:
                lookup = keras.layers.StringLookup(
                    vocabulary=[str(v) for v in vocab],
                    num_oov_indices=1,
                    mask_token=None,
                    name=f"lookup_{layer_name}",
                )
            else:
                lookup = IntegerCategoryLookup(
                    vocabulary=[int(v) for v in vocab],
                    name=f"lookup_{layer_name}",
                )
            size = len(vocab) + 1
            embedding = keras.layers.Embedding(
                size,
                _embedding_size(size, embedding_dim),
                name=f"embed_{layer_name}",
            )
            encoders[name] = (lookup, embedding, size)
        concat = keras.layers.Concatenate(axis=-1, name="features")
        blocks = []
        for i, width in enumerate(units):
            block = [
                keras.layers.Dense(width, use_bias=not batch_norm, name=f"dense_{i}")
            ]
            if batch_norm:
                block.append(
                    keras.layers.BatchNormalization(
                        momentum=utils.BN_MOMENTUM, name=f"bn_{i}"
                    )
                )
            block.append(keras.layers.Activation("relu", name=f"relu_{i}"))
            if dropout:
                block.append(keras.layers.Dropout(float(dropout), name=f"drop_{i}"))
            blocks.append(block)
        head = keras.layers.Dense(
            num_classes, activation="softmax", dtype="float32", name="predictions"
        )

        # === Functional Model ===
        inputs = {}
        for name, spec in specs.items():
            dtype = {
                NUMERIC: "float32",
                BOOLEAN: "float32",
                INTEGER: "int64",
                STRING: "string",
            }[spec["kind"]]
            inputs[name] = keras.Input(shape=(), dtype=dtype, name=name)
        encoded, indices = [], {}
        for name, spec in specs.items():
            if spec["kind"] in (NUMERIC, BOOLEAN):
                encoded.append(encoders[name](inputs[name]))
            else:
                lookup, embedding, _ = encoders[name]
                indices[name] = lookup(inputs[name])
                encoded.append(embedding(indices[name]))
        for a, b in cross_pairs:
            size_a, size_b = encoders[a][2], encoders[b][2]
            cross_name = f"{layer_names[a]}_x_{layer_names[b]}"
            crossed = CategoryCross(size_b, name=f"cross_{cross_name}")(
                [indices[a], indices[b]]
            )
            size = size_a * size_b
            encoded.append(
                keras.layers.Embedding(
                    size,
                    _embedding_size(size, embedding_dim),
                    name=f"embed_cross_{cross_name}",
                )(crossed)
            )
        x = concat(encoded) if len(encoded) > 1 else encoded[0]
        for block in blocks:
            for layer in block:
                x = layer(x)
        outputs = head(x)
        super().__init__(
            inputs=inputs, outputs=outputs, class_names=class_names, **kwargs
        )

        # === Config ===
        self.features = features
        self.num_classes = num_classes
        self.target = target
        self.ignore = ignore
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.embedding_dim = embedding_dim
        self.crosses = crosses
        self.class_weight = class_weight
        self.learning_rate = learning_rate
        self._specs = specs
        self._ignored = set(ignore_list)
        self.compile()

    @property
    def feature_names(self):
        """The input columns, in model order."""
        return list(self._specs)

    # ------------------------------------------------------------- data path
    def _looks_like_pair(self, x):
        import pandas as pd

        return isinstance(x[0], pd.DataFrame | dict | str | os.PathLike)

    def _frame_to_inputs(self, x, name):
        """DataFrame, dict of columns or CSV path -> dict of raw column arrays."""
        frame = _to_frame(x, name)
        return {str(c): frame[c].to_numpy() for c in frame.columns}

    def check_x(self, x, name="x"):
        """Checks columns and converts each raw column to the model's dtype."""
        if not isinstance(x, dict):
            x = self._frame_to_inputs(x, name)
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
        missing = [c for c in self._specs if c not in x]
        if missing:
            raise ValueError(
                f"`{name}` is missing column(s) the model needs: {missing}. "
                f"Expected columns: {self.feature_names}. "
                f"Received columns: {list(x)}"
            )
        known = set(self._specs) | self._ignored | {self.target}
        extra = [c for c in x if c not in known]
        if extra:
            warnings.warn(
                f"`{name}` has column(s) the model does not use; ignoring them: "
                f"{extra}",
                stacklevel=3,
            )
        return {
            col: _convert_column(name, col, spec["kind"], x[col], spec)
            for col, spec in self._specs.items()
        }

    def to_data(self, x, y=None, name="x", with_labels=True):
        """Like `Task.to_data`, plus frames that still hold the target column."""
        import tensorflow as tf

        if isinstance(x, Data | tf.data.Dataset):
            return super().to_data(x, y, name, with_labels)
        if isinstance(x, tuple) and len(x) == 2 and y is None and with_labels:
            x, y = x
        elif (
            isinstance(x, tuple)
            and len(x) == 2
            and not with_labels
            and (self._looks_like_pair(x))
        ):
            x = x[0]
        frame = _to_frame(x, name)
        if self.target is not None and self.target in frame.columns:
            if with_labels and y is None:
                y = frame[self.target].to_numpy()
            frame = frame.drop(columns=[self.target])
        if not with_labels:
            return Data(x=self.check_x(self._frame_to_inputs(frame, name), name))
        if y is None:
            hint = (
                f" or include the target column {self.target!r}" if self.target else ""
            )
            raise ValueError(
                f"Labels are missing: pass `(x, y)`{hint}. "
                f"Received: {name} with columns {list(frame.columns)}"
            )
        y = validation.as_array("y", y)
        validation.check_same_length(name, frame, "y", y)
        frame, y = _drop_missing_labels(frame, y, "y")
        x = self.check_x(self._frame_to_inputs(frame, name), name)
        return Data(x=x, y=self.encode_y(y, "y"))

    def fit(self, x=None, y=None, *args, class_weight=None, **kwargs):
        """Trains like `Task.fit`; `class_weight` may also be `"balanced"`.

        With `class_weight=None` the model's own `class_weight` is used.
        """
        if class_weight is None:
            class_weight = self.class_weight
        if isinstance(class_weight, str):
            validation.check_choice("class_weight", class_weight, ("balanced",))
            data = self.to_data(x, y, "x")
            if data.x is None:
                raise ValueError(
                    "`class_weight='balanced'` needs in-memory labels to count "
                    "classes; pass a list of weights with a tf.data.Dataset. "
                    "Received: x=tf.data.Dataset"
                )
            class_weight = balanced_class_weight(data.y, self.num_classes)
            x, y = data, None
        elif isinstance(class_weight, list | tuple):
            _check_class_weight(class_weight, self.num_classes)
            class_weight = {i: float(w) for i, w in enumerate(class_weight)}
        if class_weight is not None:
            kwargs["class_weight"] = class_weight
        return super().fit(x, y, *args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "features": self.features,
                "num_classes": self.num_classes,
                "target": self.target,
                "ignore": self.ignore,
                "hidden_units": self.hidden_units,
                "dropout": self.dropout,
                "batch_norm": self.batch_norm,
                "embedding_dim": self.embedding_dim,
                "crosses": self.crosses,
                "class_weight": self.class_weight,
                "learning_rate": self.learning_rate,
            }
        )
        return config

    @classmethod
    def search_space(cls, hp):
        """Default KerasTuner search space for `kr.tune`."""
        width = hp.Choice("width", [32, 64, 128, 256])
        depth = hp.Int("depth", 1, 3)
        return {
            "hidden_units": [int(width) // (2**i) or 1 for i in range(int(depth))],
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
            "embedding_dim": hp.Choice("embedding_dim", [4, 8, 16]),
            "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"),
        }


def balanced_class_weight(y, num_classes):
    """`{class: n / (k * count)}` over the `k` classes present in `y`.

    Example:

    >>> balanced_class_weight(np.array([0, 0, 0, 1]), 2)
    {0: 0.6666666666666666, 1: 2.0}
    """
    y = np.asarray(y).astype("int64")
    counts = np.bincount(y, minlength=num_classes)
    present = int((counts > 0).sum())
    return {
        int(c): (float(len(y) / (present * counts[c])) if counts[c] else 1.0)
        for c in range(num_classes)
    }


# --------------------------------------------------------------- validation
def _check_names(arg, names):
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list | tuple) or not all(
        isinstance(n, str) for n in names
    ):
        raise TypeError(
            f"`{arg}` must be a list of column names. Received: {arg}={names!r}"
        )
    return list(names)


def _check_units(hidden_units):
    if not isinstance(hidden_units, list | tuple) or not hidden_units:
        raise ValueError(
            "`hidden_units` must be a non-empty list of layer sizes. "
            f"Received: hidden_units={hidden_units!r}"
        )
    return [validation.check_int("hidden_units", u, minimum=1) for u in hidden_units]


def _check_features(features):
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
            validation.check_float(f"{where}['mean']", spec["mean"])
            validation.check_float(f"{where}['variance']", spec["variance"], 0.0)
            validation.check_float(f"{where}['fill_value']", spec["fill_value"])
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


def _check_crosses(crosses, specs):
    if crosses is None:
        return []
    if not isinstance(crosses, list | tuple):
        raise TypeError(
            "`crosses` must be a list of [column_a, column_b] pairs. "
            f"Received: crosses={crosses!r}"
        )
    pairs = []
    for pair in crosses:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(c, str) for c in pair)
            or pair[0] == pair[1]
        ):
            raise ValueError(
                "`crosses` must hold pairs of two different column names. "
                f"Received: {pair!r}"
            )
        for column in pair:
            if column not in specs:
                raise ValueError(
                    f"`crosses` names an unknown column."
                    f"{validation.did_you_mean(column, specs)} Received: "
                    f"{column!r}; feature columns are {list(specs)}"
                )
            if specs[column]["kind"] not in (INTEGER, STRING):
                raise ValueError(
                    "`crosses` columns must be categorical. Received: "
                    f"{column!r} ({specs[column]['kind']})"
                )
        size = (len(specs[pair[0]]["vocabulary"]) + 1) * (
            len(specs[pair[1]]["vocabulary"]) + 1
        )
        if size > MAX_CROSS_BINS:
            raise ValueError(
                f"`crosses` pair {list(pair)} has {size} combinations, more than "
                f"{MAX_CROSS_BINS}. Cross columns with smaller vocabularies."
            )
        pairs.append(tuple(pair))
    return pairs


def _check_class_weight(class_weight, num_classes):
    if class_weight is None:
        return
    if isinstance(class_weight, str):
        validation.check_choice("class_weight", class_weight, ("balanced",))
        return
    if isinstance(class_weight, dict):
        raise TypeError(
            "`class_weight` of the model must be None, 'balanced' or a list with "
            "one weight per class (dict keys do not survive JSON). "
            f"Received: class_weight={class_weight!r}"
        )
    if not isinstance(class_weight, list | tuple) or len(class_weight) != num_classes:
        raise ValueError(
            f"`class_weight` must be None, 'balanced' or a list of {num_classes} "
            f"weights. Received: class_weight={class_weight!r}"
        )
    for w in class_weight:
        validation.check_float("class_weight", w, minimum=0.0)


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


def _embedding_size(size, embedding_dim):
    if embedding_dim is not None:
        return int(embedding_dim)
    return int(min(16, max(2, round(1.6 * size**0.56))))


def _integer_sentinel(vocabulary):
    """An integer outside the vocabulary: OOV token, and missing at predict."""
    return int(min(min(vocabulary), 0) - 1)


# ------------------------------------------------------------ raw conversion
def _to_frame(x, name):
    """DataFrame, dict of columns (lists/arrays/scalars) or CSV path -> DataFrame."""
    import pandas as pd

    if x is None:
        raise ValueError(f"`{name}` is required. Received: {name}=None")
    if isinstance(x, str | os.PathLike):
        path = os.fspath(x)
        if not os.path.isfile(path):
            raise ValueError(
                f"`{name}` must be a DataFrame, a dict of columns or an existing "
                f"CSV file. Received: {name}={path!r} (file not found)"
            )
        return pd.read_csv(path)
    if isinstance(x, pd.Series):  # one row, indexed by column name
        return x.to_frame().T.infer_objects()
    if isinstance(x, pd.DataFrame):
        frame = x
    elif isinstance(x, dict):
        if x and all(np.ndim(v) == 0 for v in x.values()):
            x = {k: [v] for k, v in x.items()}  # one row of scalars
        try:
            frame = pd.DataFrame({str(k): list(np.ravel(v)) for k, v in x.items()})
        except ValueError as error:
            lengths = {str(k): len(np.ravel(v)) for k, v in x.items()}
            raise ValueError(
                f"`{name}` columns must all have the same length. "
                f"Received lengths {lengths} ({error})"
            ) from None
    else:
        raise TypeError(
            f"`{name}` must be a pandas DataFrame, a dict of columns or a CSV "
            f"path. Received: {name} of type {type(x).__name__}"
        )
    if frame.columns.duplicated().any():
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(f"`{name}` has duplicated column names: {dupes}")
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    return frame


def _is_missing(value):
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _category_text(value):
    if _is_missing(value):
        return MISSING_TOKEN
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _first_bad(values, bad_mask):
    return values[np.flatnonzero(bad_mask)[0]]


def _to_float(name, column, values, kind_text="numeric"):
    import pandas as pd

    values = np.asarray(values)
    if values.dtype.kind in "fiub":
        out = values.astype("float64")
    else:
        series = pd.Series(values, dtype=object)
        missing = series.map(_is_missing).to_numpy(dtype=bool)
        parsed = pd.to_numeric(series.where(~missing, np.nan), errors="coerce")
        bools = series.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(bool)
        bad = (parsed.isna().to_numpy() & ~missing) | bools
        if bad.any():
            bad_value = _first_bad(values, bad)
            raise ValueError(
                f"`{name}` column {column!r} is {kind_text} but holds non-numeric "
                f"values ({int(bad.sum())}, e.g. {bad_value!r}). Clean the column, "
                f"mark missing values as NaN (e.g. `pd.read_csv(..., "
                f"na_values=[{str(bad_value)!r}])`), or treat it as categorical."
            )
        out = parsed.to_numpy(dtype="float64")
    if np.isinf(out).any():
        raise ValueError(
            f"`{name}` column {column!r} must not contain infinite values. "
            f"Received: {int(np.isinf(out).sum())} infinite value(s)"
        )
    return out


def _to_boolean(name, column, values):
    values = np.asarray(values)
    if values.dtype.kind in "fiub":
        out = values.astype("float64")
        good = np.isnan(out) | np.isin(out, (0.0, 1.0))
    else:
        out = np.full(len(values), np.nan)
        good = np.ones(len(values), dtype=bool)
        for i, v in enumerate(values):
            if _is_missing(v):
                continue
            text = str(v).strip().lower()
            if isinstance(v, bool | np.bool_):
                out[i] = float(v)
            elif text in _TRUE:
                out[i] = 1.0
            elif text in _FALSE:
                out[i] = 0.0
            else:
                good[i] = False
    if not good.all():
        raise ValueError(
            f"`{name}` column {column!r} is boolean but holds other values, e.g. "
            f"{_first_bad(values, ~good)!r}. Expected True/False, 1/0, "
            f"'true'/'false', 'yes'/'no' or missing."
        )
    return out


def _convert_column(name, column, kind, values, spec=None):
    """Raw values of one column -> the array the model's input takes."""
    values = np.asarray(values)
    if values.ndim != 1:
        values = values.reshape(len(values), -1)
        if values.shape[1] != 1:
            raise ValueError(
                f"`{name}` column {column!r} must hold one value per row. "
                f"Received shape {values.shape}"
            )
        values = values[:, 0]
    if kind == NUMERIC:
        return _to_float(name, column, values).astype("float32")
    if kind == BOOLEAN:
        return _to_boolean(name, column, values).astype("float32")
    if kind == STRING:
        if values.dtype.kind == "U":
            return values.astype(object)
        return np.array([_category_text(v) for v in values], dtype=object)
    # Integer-categorical: unseen, missing or non-integral -> OOV sentinel.
    floats = _to_float(name, column, values, kind_text="integer-categorical")
    sentinel = _integer_sentinel(spec["vocabulary"])
    whole = ~np.isnan(floats) & (np.mod(np.nan_to_num(floats), 1) == 0)
    return np.where(whole, np.nan_to_num(floats), sentinel).astype("int64")


def _drop_missing_labels(frame, y, name):
    import pandas as pd

    missing = pd.isna(pd.Series(y, dtype=object)).to_numpy()
    if not missing.any():
        return frame, y
    if missing.all():
        raise ValueError(
            f"`{name}` holds no labels: all {len(y)} are missing. "
            f"Received: {name}[:3]={list(y[:3])}"
        )
    warnings.warn(
        f"Dropping {int(missing.sum())} row(s) whose label (`{name}`) is missing.",
        stacklevel=3,
    )
    keep = ~missing
    return frame[keep].reset_index(drop=True), y[keep]


# ------------------------------------------------------------------ inference
def infer_features(
    frame,
    numeric=None,
    categorical=None,
    ignore=None,
    max_categories=1000,
    name="data",
):
    """Infers column kinds and computes their statistics from a DataFrame.

    Integer columns with at most `MAX_INTEGER_CATEGORIES` distinct values are
    integer-categorical, other numeric columns numeric; boolean columns
    (`bool` dtype or only True/False values) boolean; strings
    string-categorical. All-missing columns are dropped with a warning, as
    are string columns whose every value is distinct (identifiers). Numeric
    statistics (mean, variance, median fill value) and vocabularies (most
    frequent first, at most `max_categories`) come from `frame` only.

    Args:
        frame: a DataFrame of feature columns (target already removed).
        numeric: column names forced to be numeric.
        categorical: column names forced to be categorical.
        ignore: column names to leave out.
        max_categories: largest vocabulary kept per categorical column; rarer
            categories map to the OOV index.
        name: argument name used in messages.

    Returns:
        `(features, ignored)`: the list of feature specs for
        `TabularClassifier(features=...)` and the list of ignored columns.

    Example:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1.5, 2.5, None], "b": ["x", "y", "x"]})
    >>> features, ignored = infer_features(frame)
    >>> [(f["name"], f["kind"]) for f in features]
    [('a', 'numeric'), ('b', 'string_categorical')]
    """
    validation.check_int("max_categories", max_categories, minimum=1)
    columns = [str(c) for c in frame.columns]
    lists = {}
    for arg, value in (
        ("numeric", numeric),
        ("categorical", categorical),
        ("ignore", ignore),
    ):
        lists[arg] = _check_names(arg, value)
        for column in lists[arg]:
            if column not in columns:
                raise ValueError(
                    f"`{arg}` names a column that is not in `{name}`."
                    f"{validation.did_you_mean(column, columns)} Received: "
                    f"{column!r}; columns are {columns}"
                )
    both = sorted(set(lists["numeric"]) & set(lists["categorical"]))
    if both:
        raise ValueError(
            f"A column cannot be both `numeric` and `categorical`. Received: {both}"
        )
    ignored = list(lists["ignore"])
    features = []
    for column in columns:
        if column in ignored:
            continue
        series = frame[column]
        present = series[~series.isna()]
        if len(present) == 0:
            warnings.warn(
                f"`{name}` column {column!r} holds only missing values; dropping it.",
                stacklevel=3,
            )
            ignored.append(column)
            continue
        if column in lists["numeric"]:
            kind = NUMERIC
        elif column in lists["categorical"]:
            kind = _categorical_kind(series)
        else:
            kind = _infer_kind(name, column, series, present)
            if kind is None:
                ignored.append(column)
                continue
        features.append(_column_spec(name, column, kind, series, max_categories))
    if not features:
        raise ValueError(
            f"`{name}` has no usable feature columns. Received: columns "
            f"{columns}, ignored {ignored}"
        )
    return features, ignored


def _categorical_kind(series):
    import pandas as pd

    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return INTEGER
    return STRING


def _is_boolean(series, present):
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return True
    return series.dtype == object and all(
        isinstance(v, bool | np.bool_) for v in present.tolist()
    )


def _infer_kind(name, column, series, present):
    import pandas as pd

    if _is_boolean(series, present):
        return BOOLEAN
    dtype = series.dtype
    if (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        warnings.warn(
            f"`{name}` column {column!r} holds dates/times, which are not "
            f"supported as features; dropping it. Derive numeric columns "
            f"(e.g. day of week) to use it.",
            stacklevel=4,
        )
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        return STRING
    if pd.api.types.is_numeric_dtype(dtype):
        if (
            pd.api.types.is_integer_dtype(dtype)
            and not series.isna().any()
            and present.nunique() <= MAX_INTEGER_CATEGORIES
        ):
            return INTEGER
        return NUMERIC
    values = present.tolist()
    if all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool)
        for v in values
    ):
        return NUMERIC
    parsed = pd.to_numeric(present.astype(str), errors="coerce")
    numeric_share = float(parsed.notna().mean())
    if 0.9 <= numeric_share < 1.0:
        bad = present[parsed.isna().to_numpy()].iloc[0]
        raise ValueError(
            f"`{name}` column {column!r} looks numeric but holds non-numeric "
            f"strings such as {bad!r}. Mark them missing (e.g. "
            f"`pd.read_csv(..., na_values=[{bad!r}])`), or pass "
            f"`categorical=[{column!r}]` or `ignore=[{column!r}]`."
        )
    if numeric_share == 1.0:
        return NUMERIC
    if len(present) >= 20 and present.nunique() == len(present):
        warnings.warn(
            f"`{name}` column {column!r} has a distinct value in every row (an "
            f"identifier?); dropping it. Pass `categorical=[{column!r}]` to keep "
            f"it.",
            stacklevel=4,
        )
        return None
    return STRING


def _column_spec(name, column, kind, series, max_categories):
    import pandas as pd

    values = series.to_numpy()
    if kind in (NUMERIC, BOOLEAN):
        converted = (
            _to_float(name, column, values)
            if kind == NUMERIC
            else _to_boolean(name, column, values)
        )
        present = converted[~np.isnan(converted)]
        variance = float(np.var(present))
        return {
            "name": column,
            "kind": kind,
            "mean": float(np.mean(present)),
            "variance": variance if variance > 0 else 1.0,
            "fill_value": float(np.median(present)),
            "missing_indicator": bool(np.isnan(converted).any()),
        }
    if kind == INTEGER:
        counts = pd.Series(values.astype("int64")).value_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        vocab = [int(v) for v, _ in ordered[:max_categories]]
    else:
        texts = pd.Series([_category_text(v) for v in values])
        counts = texts.value_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        vocab = [str(v) for v, _ in ordered[:max_categories]]
    return {"name": column, "kind": kind, "vocabulary": vocab}


# -------------------------------------------------------------------- factory
def tabular_classifier(
    data=None,
    target=None,
    numeric=None,
    categorical=None,
    ignore=None,
    class_names=None,
    max_categories=1000,
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `TabularClassifier` from a DataFrame or CSV file.

    Column kinds are inferred (see `infer_features`) and can be overridden;
    normalisation statistics and vocabularies are computed from `data` only,
    so pass the training split (never the test split). They become part of
    the model's config and of the saved model.

    Args:
        data: a DataFrame (with the `target` column), a CSV path, a dict of
            columns, an `(inputs_frame, labels)` pair, or a `kr.data.Data`
            from `kr.data.from_pandas`/`kr.data.csv`.
        target: name of the label column. Frames from `kr.datasets` carry it
            in `frame.attrs["target"]`.
        numeric: columns to treat as numeric.
        categorical: columns to treat as categorical.
        ignore: columns to leave out.
        class_names: class names; inferred (sorted) from string labels.
        max_categories: largest vocabulary per categorical column.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`; the model is built in its scope.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any `TabularClassifier` argument (`hidden_units`,
            `dropout`, `crosses`, `class_weight="balanced"`, ...).

    Returns:
        A compiled `kr.tasks.TabularClassifier`.

    Example:

    >>> import pandas as pd
    >>> import keras_recipes as kr
    >>> df = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0],
    ...                    "color": ["red", "red", "blue", "blue"],
    ...                    "label": ["a", "a", "b", "b"]})
    >>> model = kr.tabular_classifier(data=df, target="label", hidden_units=[8])
    >>> model.feature_names, model.class_names
    (['size', 'color'], ['a', 'b'])
    """
    from keras_recipes.distribute import get_strategy
    from keras_recipes.utils import set_seed

    if data is None:
        if "features" not in kwargs:
            raise ValueError(
                "`data` is required to infer the columns (or pass `features=` and "
                "`num_classes=`). Received: data=None"
            )
        with get_strategy(strategy).scope():
            return TabularClassifier(
                target=target, ignore=ignore, class_names=class_names, **kwargs
            )
    frame, y, target = _factory_frame_and_labels(data, target)
    frame, y = _drop_missing_labels(frame, y, f"data[{target!r}]" if target else "y")
    num_classes, names = validation.infer_classes("target", y)
    class_names = class_names or names
    if class_names is not None:
        num_classes = len(class_names)
    features, ignored = infer_features(
        frame,
        numeric=numeric,
        categorical=categorical,
        ignore=ignore,
        max_categories=max_categories,
    )
    if seed is not None:
        set_seed(seed)
    with get_strategy(strategy).scope():
        return TabularClassifier(
            features=features,
            num_classes=num_classes,
            target=target,
            ignore=ignored or None,
            class_names=class_names,
            **kwargs,
        )


def _factory_frame_and_labels(data, target):
    """Returns `(feature_frame, raw_labels, target_name)` from any `data`."""
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
        frame = _to_frame(data[0], "data[0]")
        _check_rows(frame, "data[0]")
        y = validation.as_array("data[1]", data[1])
        validation.check_same_length("data[0]", frame, "data[1]", y)
        return frame, y, target
    frame = _to_frame(data, "data")
    if target is None:
        target = frame.attrs.get("target") if hasattr(frame, "attrs") else None
    if target is None:
        raise ValueError(
            "`target` is required: name the label column of `data`. Received: "
            f"target=None; columns are {[str(c) for c in frame.columns]}"
        )
    if not isinstance(target, str):
        raise TypeError(
            f"`target` must be a column name (str). Received: target={target!r}"
        )
    columns = [str(c) for c in frame.columns]
    if target not in columns:
        raise ValueError(
            f"`target` must be a column of `data`."
            f"{validation.did_you_mean(target, columns)} Received: "
            f"target={target!r}; columns are {columns}"
        )
    _check_rows(frame)
    y = frame[target].to_numpy()
    return frame.drop(columns=[target]), y, target


def _check_rows(frame, name="data"):
    if len(frame) == 0:
        raise ValueError(
            f"`{name}` is empty: expected at least one row. Received: a "
            f"DataFrame with shape {frame.shape}"
        )
