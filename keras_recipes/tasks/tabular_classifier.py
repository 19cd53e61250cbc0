"""`kr.tabular_classifier` / `kr.tasks.TabularClassifier`.

Raw DataFrames, dicts of columns and CSV files in; raw rows served. Column
types are inferred by the factory (numeric, integer-categorical,
string-categorical, boolean), their statistics and vocabularies are computed
from the training data and passed to the model as plain JSON constructor
arguments, so they live in `get_config()` and survive `.keras` save/load
without `custom_objects`.

The task owns the graph and the training defaults; everything that turns
raw tables into its inputs (kind inference, validation, conversion, the
per-column normalization and lookups) is its `TabularPreprocessor`
(`keras_recipes/tasks/tabular_preprocessor.py`).
"""

import keras
import numpy as np
import tensorflow as tf

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.layers.tabular_features import CategoryCross
from keras_recipes.tasks.classifier import Classifier
from keras_recipes.tasks.classifier import check_classes
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.tabular_preprocessor import TabularPreprocessor
from keras_recipes.tasks.tabular_stream import scan_stream
from keras_recipes.tasks.tabular_stream import training_stream

MAX_CROSS_BINS = 100_000


@keras.saving.register_keras_serializable(package="keras_recipes")
class TabularClassifier(Classifier):
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
    config and of the saved model. The `preprocessor` attribute, a
    `TabularPreprocessor` made from `features`, `target` and `ignore`, turns
    raw tables into the model's inputs.

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
        preprocessor = TabularPreprocessor(features, target=target, ignore=ignore)
        num_classes = check_classes(num_classes, class_names)
        units = _check_units(hidden_units)
        validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
        )
        if embedding_dim is not None:
            validation.check_size("embedding_dim", embedding_dim, validation.MAX_UNITS)
        cross_pairs = _check_crosses(crosses, preprocessor)
        _check_class_weight(class_weight, num_classes)
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Layers ===
        # The creation order matters: an initializer draws its seed when it
        # is created, so a seeded build gives the same weights only while
        # the order (embeddings, MLP, head, crosses) stays the same.
        layer_names = preprocessor.layer_names
        feature_layers = preprocessor.feature_layers()
        embeddings = {}
        for name in preprocessor.feature_names:
            if preprocessor.is_categorical(name):
                size = preprocessor.num_indices(name)
                embeddings[name] = keras.layers.Embedding(
                    size,
                    _embedding_size(size, embedding_dim),
                    name=f"embed_{layer_names[name]}",
                )
        concat = keras.layers.Concatenate(axis=-1, name="features")
        blocks = _mlp_blocks(units, batch_norm, dropout)
        head = keras.layers.Dense(
            num_classes, activation="softmax", dtype="float32", name="predictions"
        )
        cross_layers = []
        for a, b in cross_pairs:
            size = preprocessor.num_indices(a) * preprocessor.num_indices(b)
            cross_name = f"{layer_names[a]}_x_{layer_names[b]}"
            cross = CategoryCross(
                preprocessor.num_indices(b), name=f"cross_{cross_name}"
            )
            embedding = keras.layers.Embedding(
                size,
                _embedding_size(size, embedding_dim),
                name=f"embed_cross_{cross_name}",
            )
            cross_layers.append((a, b, cross, embedding))

        # === Functional Model ===
        inputs = preprocessor.inputs()
        encoded, indices = [], {}
        for name, layer in feature_layers.items():
            x = layer(inputs[name])
            if name in embeddings:
                indices[name] = x
                x = embeddings[name](x)
            encoded.append(x)
        for a, b, cross, embedding in cross_layers:
            encoded.append(embedding(cross([indices[a], indices[b]])))
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
        self.preprocessor = preprocessor
        self.compile()

    @property
    def feature_names(self):
        """The input columns, in model order."""
        return self.preprocessor.feature_names

    # ------------------------------------------------------------- data path
    def check_x(self, x, name="x"):
        """Checks columns and converts each raw column to the model's dtype."""
        return self.preprocessor.convert(x, name)

    def to_data(self, x, y=None, name="x", with_labels=True):
        """Like `Task.to_data`, plus frames that still hold the target column."""
        if isinstance(x, _ConvertedData):
            return x
        stream = training_stream(x, self.target, required=with_labels)
        if stream is not None:  # a streamed CSV, or a path over the budget
            return Data(source=stream, class_names=self.class_names)
        if isinstance(x, Data | tf.data.Dataset):
            return super().to_data(x, y, name, with_labels)
        x, y = self.preprocessor.to_arrays(x, y, name, with_labels)
        if not with_labels:
            return Data(x=x)
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
                    "classes; pass a list of weights with a tf.data.Dataset or "
                    "a streamed file. Received: x="
                    f"{'a streamed file' if data.source else 'tf.data.Dataset'}"
                )
            class_weight = balanced_class_weight(data.y, self.num_classes)
            # Converted once: `Task.fit`'s `to_data` passes it through as is.
            x, y = _ConvertedData.of(data), None
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
    def search_space(cls, hp, fixed=None):
        """Default KerasTuner search space for `kr.tune`.

        `hidden_units` comes from two hyperparameters, `width` (first layer)
        and `depth` (layers, each half the one before); they are declared
        only when `hidden_units` is not among the `fixed` arguments, so a
        search with pinned layers neither searches nor reports them.

        Args:
            hp: a KerasTuner `HyperParameters`.
            fixed: constructor arguments every trial pins (`model_kwargs`).

        Returns:
            A dict of constructor arguments drawn from `hp`.
        """
        space = {}
        if "hidden_units" not in (fixed or {}):
            width = int(hp.Choice("width", [32, 64, 128, 256]))
            depth = int(hp.Int("depth", 1, 3))
            space["hidden_units"] = [width // (2**i) or 1 for i in range(depth)]
        space["dropout"] = hp.Float("dropout", 0.0, 0.5, step=0.1)
        space["embedding_dim"] = hp.Choice("embedding_dim", [4, 8, 16])
        space["learning_rate"] = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        return space


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


class _ConvertedData(Data):
    """A `Data` that `TabularClassifier.to_data` already checked and converted.

    Its `x` holds the model's input arrays and its `y` encoded labels, so the
    task's `to_data` returns it as is instead of converting it again.
    """

    @classmethod
    def of(cls, data):
        """The same samples, labels and metadata, marked as converted."""
        return cls(
            x=data.x,
            y=data.y,
            class_names=data.class_names,
            loader=data.loader,
            info=data.info,
        )


# --------------------------------------------------------------- validation
def _check_units(hidden_units):
    if not isinstance(hidden_units, list | tuple) or not hidden_units:
        raise ValueError(
            "`hidden_units` must be a non-empty list of layer sizes. "
            f"Received: hidden_units={hidden_units!r}"
        )
    validation.check_size("len(hidden_units)", len(hidden_units), validation.MAX_LAYERS)
    return [
        validation.check_size("hidden_units", u, validation.MAX_UNITS)
        for u in hidden_units
    ]


def _check_crosses(crosses, preprocessor):
    if crosses is None:
        return []
    if not isinstance(crosses, list | tuple):
        raise TypeError(
            "`crosses` must be a list of [column_a, column_b] pairs. "
            f"Received: crosses={crosses!r}"
        )
    specs = preprocessor.specs
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
            if not preprocessor.is_categorical(column):
                raise ValueError(
                    "`crosses` columns must be categorical. Received: "
                    f"{column!r} ({specs[column]['kind']})"
                )
        size = preprocessor.num_indices(pair[0]) * preprocessor.num_indices(pair[1])
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


def _mlp_blocks(units, batch_norm, dropout):
    """The hidden layers: per width, Dense (+ BatchNorm), ReLU (+ Dropout)."""
    blocks = []
    for i, width in enumerate(units):
        block = [keras.layers.Dense(width, use_bias=not batch_norm, name=f"dense_{i}")]
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
    return blocks


def _regressor_check(y, stream, regressor):
    """The `regressor` for `infer_classes`' continuous-target check, or `None`.

    A stream's `y` holds each distinct label once, so the share of distinct
    values means nothing there: only labels that are not whole numbers are
    refused (more than 10 000 distinct labels already raised).
    """
    if stream is None:
        return regressor
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.any(y[np.isfinite(y)] % 1):
        return regressor
    return None


def _embedding_size(size, embedding_dim):
    if embedding_dim is not None:
        return int(embedding_dim)
    return int(min(16, max(2, round(1.6 * size**0.56))))


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
            from `kr.data.from_pandas`/`kr.data.csv`. Checked as `fit`
            checks it, with `fit`'s messages naming `data`. A streamed CSV
            (`kr.data.csv(path, streaming=True)`, or a CSV path larger than
            the memory budget, 512 MiB by default) is read once, chunk by
            chunk: kinds from the first chunk, statistics and vocabularies
            over every row (`keras_recipes/tasks/tabular_stream.py`).
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
    stream = training_stream(data, target)
    if stream is not None:  # one pass, chunk by chunk (tabular_stream.py)
        features, ignored, y = scan_stream(
            stream, numeric, categorical, ignore, max_categories
        )
        frame, target = None, stream.target
        preprocessor = TabularPreprocessor(
            features, target=target, ignore=ignored or None
        )
    else:
        frame, y, target = TabularPreprocessor.read_training_data(data, target)
    num_classes, names = validation.infer_classes(
        "target", y, regressor=_regressor_check(y, stream, "kr.tabular_regressor")
    )
    class_names = class_names or names
    if class_names is not None:
        num_classes = len(class_names)
    if stream is None:
        preprocessor = TabularPreprocessor.from_frame(
            frame,
            target=target,
            numeric=numeric,
            categorical=categorical,
            ignore=ignore,
            max_categories=max_categories,
        )
    if seed is not None:
        utils.set_seed(seed)
    with get_strategy(strategy).scope():
        model = TabularClassifier(
            features=preprocessor.features,
            num_classes=num_classes,
            target=preprocessor.target,
            ignore=preprocessor.ignore,
            class_names=class_names,
            **kwargs,
        )
    if stream is not None:  # every value was converted in the pass
        return model
    # The frame already read (a CSV is not read twice), its labels separate.
    return check_factory_data(model, (frame, y))
