"""`kr.tabular_regressor` / `kr.tasks.TabularRegressor`.

The regression sibling of `kr.tasks.TabularClassifier`: the same raw-column
inputs, preprocessor and network (`tabular_backbone`), one or several
numeric target columns, predictions in the targets' units (the network
predicts standardized values, `kr.layers.TargetScale` maps them back).
"""

import math

import keras
import tensorflow as tf

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data.pipeline import Data
from keras_recipes.distribute import get_strategy
from keras_recipes.layers.target_scale import TargetScale
from keras_recipes.tasks import tabular_backbone as backbone
from keras_recipes.tasks.factory_data import check_factory_data
from keras_recipes.tasks.regressor import Regressor
from keras_recipes.tasks.regressor import check_target_transform
from keras_recipes.tasks.regressor import encode_targets
from keras_recipes.tasks.regressor import fit_target_transform
from keras_recipes.tasks.tabular_preprocessor import TabularPreprocessor
from keras_recipes.tasks.tabular_preprocessor import target_columns


@keras.saving.register_keras_serializable(package="keras_recipes")
class TabularRegressor(backbone.EnsembleLossMixin, Regressor):
    """Tabular regressor: a dict of raw column values in, numeric targets out.

    Inputs, column handling and network are those of
    `kr.tasks.TabularClassifier` (see it for the column kinds, missing
    values and the `architecture` choices); the head predicts each target
    standardized (or on the `log1p` scale, then standardized, see
    `target_transform`) and a `TargetScale` layer returns it in the target's
    units, so `predict`, a saved `.keras` file and an ONNX export all give
    values in those units. `predict_values` returns a DataFrame with one
    column per target; `evaluate` reports RMSE, MAE and R².

    Args:
        features: list of column specs (see `TabularClassifier`).
        num_targets: number of targets predicted per row.
        target: name of the target column, or a list of names.
        ignore: column names that are never used.
        architecture: `"tabm"` (default: TabM-mini ensemble with
            piecewise-linear numeric embeddings) or `"mlp"`.
        hidden_units: hidden layer sizes; `None`: the architecture's.
        dropout: dropout rate after each hidden layer.
        batch_norm: batch normalization after each hidden `Dense`; `None`:
            the architecture's (off for `"tabm"`, on for `"mlp"`).
        ensemble_size: TabM members `k`; `None`: 8 (`"tabm"` only).
        numeric_embedding_dim: piecewise-linear embedding size per numeric
            column (`"tabm"`; 0 turns them off).
        embedding_dim: embedding size of categorical columns (`None`: by
            vocabulary size).
        crosses: optional `[column_a, column_b]` pairs of categorical
            columns to cross.
        learning_rate: AdamW learning rate of `compile("auto")`.
        target_names: names of the targets (default: `target`).
        target_transform: the statistics of
            `kr.tasks.regressor.fit_target_transform` (the factory computes
            them from the training targets).
        regression_loss: `"mse"` (default) or `"huber"`.
        **kwargs: `keras.Model` keyword arguments (`name`, ...).

    Example:

    >>> features = [{"name": "size", "kind": "numeric", "mean": 1.0,
    ...              "variance": 1.0, "fill_value": 1.0,
    ...              "missing_indicator": False}]
    >>> model = TabularRegressor(features, target="price", hidden_units=[8],
    ...     target_transform={"mean": [10.0], "std": [2.0], "log": [False]})
    >>> model.predict({"size": [0.5, 2.0]}, verbose=0).shape
    (2, 1)
    """

    task_name = "tabular_regressor"
    auto_min_steps = 500

    def __init__(
        self,
        features,
        num_targets=1,
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
        learning_rate=3e-3,
        target_names=None,
        target_transform=None,
        regression_loss="mse",
        **kwargs,
    ):
        preprocessor = TabularPreprocessor(features, target=target, ignore=ignore)
        num_targets = validation.check_size(
            "num_targets", num_targets, validation.MAX_CLASSES
        )
        if target_names is None and preprocessor.targets:
            target_names = preprocessor.targets
        stats = check_target_transform(target_transform, num_targets)
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
        validation.check_float("learning_rate", learning_rate, minimum=0.0)

        # === Functional Model ===
        scale = TargetScale(**stats, dtype="float32", name="target_scale")
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
            outputs=num_targets,
            output_layers=[scale],
        )
        super().__init__(
            inputs=inputs,
            outputs=outputs,
            target_names=target_names,
            target_transform=stats,
            regression_loss=regression_loss,
            **kwargs,
        )

        # === Config ===
        self.features = features
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
        self.learning_rate = learning_rate
        self.preprocessor = preprocessor
        # `fit`/`predict`'s batch size when none is given: the architecture's.
        self.default_batch_size = backbone.DEFAULTS[architecture]["batch_size"]
        self.compile()

    @property
    def feature_names(self):
        """The input columns, in model order."""
        return self.preprocessor.feature_names

    def check_x(self, x, name="x"):
        """Checks columns and converts each raw column to the model's dtype."""
        return self.preprocessor.convert(x, name)

    def to_data(self, x, y=None, name="x", with_labels=True):
        """Like `Task.to_data`, plus frames that still hold the target column(s)."""
        if isinstance(x, Data | tf.data.Dataset):
            return super().to_data(x, y, name, with_labels)
        x, y = self.preprocessor.to_arrays(x, y, name, with_labels)
        if not with_labels:
            return Data(x=x)
        return Data(x=x, y=self.encode_y(y, "y"))

    def export(self, filepath, format="keras", verify=True, **kwargs):
        """Exports like `Task.export`; ONNX parity is checked in target units.

        Predictions are in the targets' units (grams, dollars), where float32
        rounding alone exceeds an absolute `1e-5`: unless `tolerance` is
        given, ONNX parity accepts `1e-5` times the targets' scale
        (`onnx_tolerance`).
        """
        if format == "onnx" and "tolerance" not in kwargs:
            kwargs["tolerance"] = onnx_tolerance(self.target_transform)
        return super().export(filepath, format=format, verify=verify, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "features": self.features,
                "num_targets": self.num_targets,
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
                "learning_rate": self.learning_rate,
            }
        )
        return config

    @classmethod
    def search_space(cls, hp, fixed=None):
        """Default KerasTuner search space for `kr.tune` (see the classifier's)."""
        return backbone.search_space(hp, fixed)


def onnx_tolerance(target_transform, relative=1e-5):
    """Parity tolerance for outputs in target units: `relative` x their scale.

    The scale is the largest `|mean| + 4 std` of any target (after `expm1`
    for log-scale targets), at least 1.

    Example:

    >>> onnx_tolerance({"mean": [4000.0], "std": [800.0], "log": [False]})
    0.072
    """
    scales = [1.0]
    for mean, std, log in zip(
        target_transform["mean"],
        target_transform["std"],
        target_transform["log"],
        strict=True,
    ):
        top = abs(mean) + 4 * std
        scales.append(math.expm1(min(top, 80.0)) if log else top)
    return float(round(relative * max(scales), 12))


def tabular_regressor(
    data=None,
    target=None,
    numeric=None,
    categorical=None,
    ignore=None,
    target_transform="auto",
    max_categories=1000,
    strategy=None,
    seed=None,
    **kwargs,
):
    """Builds a compiled `TabularRegressor` from a DataFrame or CSV file.

    Column kinds and statistics are inferred from `data` as
    `kr.tabular_classifier` does; the targets' statistics (mean, standard
    deviation, whether to train on the `log1p` scale) too. Pass the
    training split only.

    Args:
        data: a DataFrame (with the target column(s)), a CSV path, a dict of
            columns, an `(inputs_frame, targets)` pair, or a `kr.data.Data`.
        target: the target column's name, or a list of names for several
            targets (all numeric).
        numeric: columns to treat as numeric.
        categorical: columns to treat as categorical.
        ignore: columns to leave out.
        target_transform: `"auto"` (log1p for a non-negative, right-skewed
            target such as a price; `summary()` says what it chose),
            `"log"` or `"none"`.
        max_categories: largest vocabulary per categorical column.
        strategy: `None`, `"auto"`, `"mirrored"`, `"multi_worker"` or a
            `tf.distribute.Strategy`.
        seed: optional seed for weight initialisation (`kr.set_seed`).
        **kwargs: any `TabularRegressor` argument (`hidden_units`,
            `regression_loss="huber"`, ...).

    Returns:
        A compiled `kr.tasks.TabularRegressor`.

    Example:

    >>> import pandas as pd
    >>> import keras_recipes as kr
    >>> df = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0],
    ...                    "color": ["red", "red", "blue", "blue"],
    ...                    "price": [10.0, 12.0, 15.0, 19.0]})
    >>> model = kr.tabular_regressor(data=df, target="price", hidden_units=[8])
    >>> model.feature_names, model.target_names
    (['size', 'color'], ['price'])
    """
    targets = target_columns(target)
    if data is None:
        if "features" not in kwargs:
            raise ValueError(
                "`data` is required to infer the columns (or pass `features=` "
                "and `target_transform=`). Received: data=None"
            )
        with get_strategy(strategy).scope():
            return TabularRegressor(
                target=target,
                ignore=ignore,
                num_targets=kwargs.pop("num_targets", max(len(targets), 1)),
                **kwargs,
            )
    frame, y, target = TabularPreprocessor.read_training_data(data, target)
    names = target_columns(target) or None
    values = encode_targets(f"data[{target!r}]" if target else "y", y)
    stats = fit_target_transform(values, target_transform, names)
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
        model = TabularRegressor(
            features=preprocessor.features,
            num_targets=values.shape[1],
            target=preprocessor.target,
            ignore=preprocessor.ignore,
            target_transform=stats,
            **kwargs,
        )
    return check_factory_data(model, (frame, values))
