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
from keras_recipes.tasks import tabular_backbone as backbone
from keras_recipes.tasks.classifier import Classifier
from keras_recipes.tasks.classifier import check_classes
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.multi_label import check_no_class_weight
from keras_recipes.tasks.multi_label import head_activation
from keras_recipes.tasks.multi_label import infer_tags
from keras_recipes.tasks.tabular_preprocessor import TabularPreprocessor
from keras_recipes.tasks.tabular_stream import scan_stream
from keras_recipes.tasks.tabular_stream import training_stream

MAX_CROSS_BINS = backbone.MAX_CROSS_BINS


@keras.saving.register_keras_serializable(package="keras_recipes")
class TabularClassifier(backbone.EnsembleLossMixin, Classifier):
    """Tabular classifier: a dict of raw column values in, class probabilities out.

    The model has one `keras.Input` per feature column, named by the column,
    so it serves raw rows: numeric columns as floats (NaN = missing), boolean
    columns as 0/1 floats, integer-categorical columns as integers and
    string-categorical columns as strings (`""` = missing). Numeric columns
    are imputed, standardised and, when training data had gaps, given a
    missing-value indicator; categorical columns go through a
    `StringLookup`/`IntegerLookup` with one OOV index (unseen categories
    never raise) and an `Embedding`. Optional exact feature crosses of two
    categorical columns get their own embedding. The network that follows
    (`architecture`, see `kr.tasks.tabular_backbone`) is by default a
    TabM-mini ensemble (Gorishniy et al. 2024): numeric columns are also
    embedded piecewise-linearly over quantile bins of their training values,
    `ensemble_size` members share one MLP (each with its own input scaling
    and output layer, each trained with its own loss) and their softmax
    outputs are averaged. `architecture="mlp"` is the former network (an
    MLP with batch normalisation and dropout); models saved before the
    argument existed load as it. Binary targets use a 2-way softmax, so
    `predict` always returns one probability per class.

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
            `"missing_indicator"` (numeric: optionally `"bins"`, increasing
            quantile edges of the training values); for the categorical kinds:
            `"vocabulary"` (list of strings or of integers).
        num_classes: number of classes (>= 2).
        target: optional name of the label column, dropped from inputs
            (multi-label: a list of 0/1 columns, one per tag, or one column
            of tag lists).
        ignore: column names that are never used (no warning at predict).
        architecture: `"tabm"` (default) or `"mlp"` (the former network).
        hidden_units: sizes of the MLP's hidden layers; `None`: the
            architecture's (`[128, 128]` for `"tabm"`, `[128, 64]` for
            `"mlp"`).
        dropout: dropout rate after each hidden layer.
        batch_norm: batch normalisation after each hidden `Dense`; `None`:
            off for `"tabm"`, on for `"mlp"`.
        ensemble_size: TabM members `k`; `None`: 8 (`"tabm"` only).
        numeric_embedding_dim: size of each numeric column's piecewise-linear
            embedding (`"tabm"`; 0 turns them off). Columns whose spec has
            no `"bins"` (specs written before they existed) are not embedded.
        embedding_dim: embedding size of categorical columns; `None` picks
            `min(16, round(1.6 * n ** 0.56))` from the vocabulary size `n`.
        crosses: optional list of `[column_a, column_b]` pairs of categorical
            columns to cross exactly.
        class_weight: `None`, `"balanced"` (weights inversely proportional to
            class frequencies in the training labels, computed at `fit`) or a
            list with one weight per class. `fit(class_weight=...)` overrides.
        learning_rate: AdamW learning rate used by `compile("auto")`.
        class_names: optional class names.
        multi_label: a sigmoid head, one probability per tag (see
            `kr.tasks.Classifier`); `num_classes` counts the tags.
        thresholds: multi-label decision thresholds, one per tag.
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
        architecture="tabm",
        hidden_units=None,
        dropout=0.1,
        batch_norm=None,
        ensemble_size=None,
        numeric_embedding_dim=backbone.NUMERIC_EMBEDDING_DIM,
        embedding_dim=None,
        crosses=None,
        class_weight=None,
        learning_rate=3e-3,
        class_names=None,
        multi_label=False,
        thresholds=None,
        **kwargs,
    ):
        preprocessor = TabularPreprocessor(features, target=target, ignore=ignore)
        num_classes = check_classes(num_classes, class_names, multi_label)
        check_no_class_weight(multi_label, class_weight)
        units, norm, members = backbone.resolve(
            architecture, hidden_units, batch_norm, ensemble_size
        )
        validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=1.0, include_max=False
        )
        if embedding_dim is not None:
            validation.check_size("embedding_dim", embedding_dim, validation.MAX_UNITS)
        validation.check_int("numeric_embedding_dim", numeric_embedding_dim, minimum=0)
        cross_pairs = backbone.check_crosses(crosses, preprocessor)
        _check_class_weight(class_weight, num_classes)
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Functional Model ===
        inputs, outputs = backbone.build(
            preprocessor,
            architecture=architecture,
            units=units,
            dropout=dropout,
            batch_norm=norm,
            embedding_dim=embedding_dim,
            cross_pairs=cross_pairs,
            ensemble_size=members,
            numeric_embedding_dim=numeric_embedding_dim,
            outputs=num_classes,
            activation=head_activation(multi_label),
        )
        super().__init__(
            inputs=inputs,
            outputs=outputs,
            class_names=class_names,
            multi_label=multi_label,
            thresholds=thresholds,
            **kwargs,
        )

        # === Config ===
        self.features = features
        self.num_classes = num_classes
        self.target = target
        self.ignore = ignore
        self.architecture = architecture
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.ensemble_size = ensemble_size
        self.numeric_embedding_dim = numeric_embedding_dim
        self.embedding_dim = embedding_dim
        self.crosses = crosses
        self.class_weight = class_weight
        self.learning_rate = learning_rate
        self.preprocessor = preprocessor
        # `fit`/`predict`'s batch size when none is given: the architecture's.
        self.default_batch_size = backbone.DEFAULTS[architecture]["batch_size"]
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
                "architecture": self.architecture,
                "hidden_units": self.hidden_units,
                "dropout": self.dropout,
                "batch_norm": self.batch_norm,
                "ensemble_size": self.ensemble_size,
                "numeric_embedding_dim": self.numeric_embedding_dim,
                "embedding_dim": self.embedding_dim,
                "crosses": self.crosses,
                "class_weight": self.class_weight,
                "learning_rate": self.learning_rate,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # Files saved before `architecture` existed hold the MLP's weights.
        return super().from_config(backbone.upgrade_config(config))

    @classmethod
    def search_space(cls, hp, fixed=None):
        """Default KerasTuner search space for `kr.tune`.

        `hidden_units` comes from two hyperparameters, `width` (first layer)
        and `depth` (layers: all `width` wide for the default `"tabm"`
        architecture, as in TabM; each half the one before for `"mlp"`);
        they are declared only when `hidden_units` is not among the `fixed`
        arguments, so a search with pinned layers neither searches nor
        reports them. With `"tabm"`, `ensemble_size` and
        `numeric_embedding_dim` are searched too (unless fixed).

        Args:
            hp: a KerasTuner `HyperParameters`.
            fixed: constructor arguments every trial pins (`model_kwargs`).

        Returns:
            A dict of constructor arguments drawn from `hp`.
        """
        return backbone.search_space(hp, fixed)


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


# -------------------------------------------------------------------- factory
def tabular_classifier(
    data=None,
    target=None,
    numeric=None,
    categorical=None,
    ignore=None,
    class_names=None,
    multi_label=False,
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
            in `frame.attrs["target"]`. With `multi_label=True`: a list of
            0/1 columns (their names are the tags) or one column of tag
            lists.
        numeric: columns to treat as numeric.
        categorical: columns to treat as categorical.
        ignore: columns to leave out.
        class_names: class names; inferred (sorted) from string labels.
        multi_label: several classes (tags) per row, or none; see
            `kr.tasks.Classifier`.
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
                target=target,
                ignore=ignore,
                class_names=class_names,
                multi_label=multi_label,
                **kwargs,
            )
    stream = training_stream(data, target)
    if stream is not None:  # one pass, chunk by chunk (tabular_stream.py)
        if multi_label:
            raise ValueError(
                "`multi_label=True` needs the table in memory (tag lists are "
                "read as a whole); a streamed CSV is not supported. Received: "
                f"data={data!r}"
            )
        features, ignored, y = scan_stream(
            stream, numeric, categorical, ignore, max_categories
        )
        frame, target = None, stream.target
        preprocessor = TabularPreprocessor(
            features, target=target, ignore=ignored or None
        )
    else:
        frame, y, target = TabularPreprocessor.read_training_data(data, target)
    if multi_label:
        num_classes, names = infer_tags("target", y)
        if names is None and isinstance(target, list | tuple):
            names = list(target)  # 0/1 columns: their names are the tags
    elif isinstance(target, list | tuple):
        raise ValueError(
            "`target` names several columns: pass multi_label=True for 0/1 tag "
            "columns, or use `kr.tabular_regressor` for several numeric targets. "
            f"Received: target={list(target)}, multi_label=False"
        )
    else:
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
            multi_label=multi_label,
            **kwargs,
        )
    if stream is not None:  # every value was converted in the pass
        return model
    # The frame already read (a CSV is not read twice), its labels separate.
    return check_factory_data(model, (frame, y))
