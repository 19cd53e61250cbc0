"""`kr.tasks.Regressor`: what every regression template shares.

The target is standardized inside the model: the templates end in a
`Dense(num_targets)` that predicts standardized values and a
`kr.layers.TargetScale` that maps them back to the target's units, with
statistics the factories compute from the training targets
(`fit_target_transform`). A saved or exported regressor therefore predicts
in the user's units, and the loss (`kr.losses.StandardizedRegressionLoss`)
scores on the standardized scale, where every target weighs the same.
"""

import keras
import numpy as np

from keras_recipes import validation
from keras_recipes.interpret import interpret_regression
from keras_recipes.layers.target_scale import TargetScale
from keras_recipes.layers.target_scale import check_target_stats
from keras_recipes.losses import KINDS
from keras_recipes.losses import StandardizedRegressionLoss
from keras_recipes.tasks.task import Task

TRANSFORMS = ("auto", "none", "log")
# `target_transform="auto"` trains a non-negative target on the log1p scale
# when its skewness is above this and log1p makes it more symmetric.
LOG_SKEW = 1.0


def encode_targets(name, y, num_targets=None):
    """Checks raw regression targets; returns them as a `(n, k)` float32 array.

    Args:
        name: the argument's name, for errors.
        y: array-like of numbers: `(n,)` for one target, `(n, k)` for
            several (a pandas Series or DataFrame works too).
        num_targets: the number of targets the model predicts, if known.

    Returns:
        A float32 array of shape `(n, k)`.

    Example:

    >>> encode_targets("y", [1.5, 2.0]).tolist()
    [[1.5], [2.0]]
    """
    values = validation.as_array(name, y)
    validation.check_not_empty(name, values)
    if values.dtype.kind == "O":
        try:
            values = values.astype("float64")
        except (TypeError, ValueError):
            values = None
    if values is None or values.dtype.kind not in "iufb":
        kind = "objects" if values is None else str(validation.as_array(name, y).dtype)
        raise TypeError(
            f"`{name}` must hold numbers for a regressor (a quantity per row). "
            f"Received: {name} of dtype {kind}, e.g. "
            f"{np.ravel(validation.as_array(name, y))[:3].tolist()}"
        )
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(
            f"`{name}` must be a vector (one target) or a matrix with one column "
            f"per target. Received: {name} with shape {values.shape}"
        )
    values = values.astype("float64")
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise ValueError(
            f"`{name}` must hold finite numbers: {len(rows)} rows hold NaN or "
            f"infinite targets (first rows: {rows[:5].tolist()}). Drop or fill "
            f"them before training. Received: {name} with non-finite values"
        )
    if num_targets is not None and values.shape[1] != num_targets:
        raise ValueError(
            f"`{name}` must hold {num_targets} target(s) per row, as the model "
            f"predicts. Received: {name} with shape {values.shape}"
        )
    return values.astype("float32")


def _skew(values):
    std = values.std()
    if std == 0:
        return 0.0
    return float(np.mean(((values - values.mean()) / std) ** 3))


def fit_target_transform(y, target_transform="auto", target_names=None):
    """Statistics that standardize each target, computed from training targets.

    Args:
        y: training targets, `(n,)` or `(n, k)` numbers.
        target_transform: `"auto"` trains a target on the `log1p` scale when
            it is non-negative, skewed (skewness above 1) and `log1p` makes
            it more symmetric (prices, counts, incomes); `"log"` does for
            every target (they must be >= 0); `"none"` never does.
        target_names: names for error messages.

    Returns:
        A dict `{"mean": [...], "std": [...], "log": [...]}`, one entry per
        target: the model's `target_transform` argument.

    Example:

    >>> fit_target_transform([1.0, 2.0, 3.0])
    {'mean': [2.0], 'std': [0.816496...], 'log': [False]}
    """
    validation.check_choice("target_transform", target_transform, TRANSFORMS)
    values = encode_targets("y", y).astype("float64")
    names = target_names or [f"target {j}" for j in range(values.shape[1])]
    stats = {"mean": [], "std": [], "log": []}
    for j in range(values.shape[1]):
        column = values[:, j]
        if column.min() == column.max():
            raise ValueError(
                f"`y` ({names[j]}) holds a single value ({column[0]!r}): a "
                "regressor has nothing to learn. Received: a constant target"
            )
        log = False
        if target_transform == "log":
            if column.min() < 0:
                raise ValueError(
                    "`target_transform='log'` needs targets >= 0 (it uses "
                    f"log1p). Received: {names[j]} with minimum {column.min()}"
                )
            log = True
        elif target_transform == "auto" and column.min() >= 0:
            skew = _skew(column)
            log = skew > LOG_SKEW and abs(_skew(np.log1p(column))) < abs(skew)
        scaled = np.log1p(column) if log else column
        stats["mean"].append(float(scaled.mean()))
        stats["std"].append(float(max(scaled.std(), 1e-12)))
        stats["log"].append(bool(log))
    return stats


def check_target_transform(target_transform, num_targets):
    """Validates a regressor's `target_transform` statistics.

    `None` means the identity (mean 0, std 1, no log) for every target.

    Returns:
        The statistics dict, with one entry per target.
    """
    if target_transform is None:
        return {
            "mean": [0.0] * num_targets,
            "std": [1.0] * num_targets,
            "log": [False] * num_targets,
        }
    if isinstance(target_transform, str):
        raise ValueError(
            "`target_transform` of a regressor model must be the statistics "
            "dict the factory computes (`kr.tasks.regressor.fit_target_"
            f"transform`); pass {target_transform!r} to the factory "
            f"(e.g. `kr.tabular_regressor(..., target_transform="
            f"{target_transform!r})`). Received: "
            f"target_transform={target_transform!r}"
        )
    if not isinstance(target_transform, dict) or set(target_transform) != {
        "mean",
        "std",
        "log",
    }:
        raise ValueError(
            "`target_transform` must be a dict with keys 'mean', 'std' and "
            f"'log'. Received: target_transform={target_transform!r}"
        )
    mean, std, log = check_target_stats(**target_transform)
    if len(mean) != num_targets:
        raise ValueError(
            f"`target_transform` must hold statistics for {num_targets} "
            f"target(s). Received: {len(mean)}"
        )
    return {"mean": mean, "std": std, "log": log}


def check_target_names(target_names, num_targets):
    """`target_names` as a list of `num_targets` strings (defaults if None).

    Example:

    >>> check_target_names(None, 2)
    ['target_0', 'target_1']
    """
    num_targets = validation.check_size(
        "num_targets", num_targets, validation.MAX_CLASSES
    )
    if target_names is None:
        return (
            ["target"]
            if num_targets == 1
            else [f"target_{j}" for j in range(num_targets)]
        )
    if isinstance(target_names, str):
        target_names = [target_names]
    if not isinstance(target_names, list | tuple) or not all(
        isinstance(n, str) for n in target_names
    ):
        raise TypeError(
            "`target_names` must be a list of strings. "
            f"Received: target_names={target_names!r}"
        )
    if len(target_names) != num_targets or len(set(target_names)) != num_targets:
        raise ValueError(
            f"`target_names` must hold {num_targets} distinct names, one per "
            f"target. Received: target_names={list(target_names)}"
        )
    return list(target_names)


def regression_head(num_targets, target_transform, name="predictions"):
    """The last layers of a regression template: `Dense` then `TargetScale`.

    Args:
        num_targets: number of targets.
        target_transform: the checked statistics dict.
        name: name of the `Dense` layer.

    Returns:
        A function mapping features to predictions in the target's units.
    """
    dense = keras.layers.Dense(int(num_targets), dtype="float32", name=name)
    scale = TargetScale(**target_transform, dtype="float32", name="target_scale")
    return lambda features: scale(dense(features))


@keras.saving.register_keras_serializable(package="keras_recipes")
class Regressor(Task):
    """Base of the regression templates: numeric targets in the user's units.

    Sits beside `kr.tasks.Classifier`, between `kr.tasks.Task` and the
    regression templates (`TabularRegressor`, `ImageRegressor`,
    `TextRegressor`). It adds target names, target checks (numbers, finite,
    one column per target), `kr.losses.StandardizedRegressionLoss` (MSE or
    Huber on the standardized scale) with RMSE, MAE and R² (in the target's
    units) as its `"auto"` loss and metrics, `predict_values` (a DataFrame)
    and `interpret` (predicted vs true and residual plots).

    Args:
        target_names: names of the targets (default `"target"`, or
            `"target_0"`, ... for several).
        target_transform: the statistics dict of `fit_target_transform`
            (`None`: the identity); the template's `TargetScale` layer uses
            the same values.
        regression_loss: `"mse"` (default) or `"huber"`.
        **kwargs: passed to `kr.tasks.Task` (`inputs`, `outputs`, `name`).

    Example:

    >>> import keras
    >>> import keras_recipes as kr
    >>> stats = fit_target_transform([1.0, 2.0, 4.0])
    >>> inputs = keras.Input((3,))
    >>> outputs = regression_head(1, stats)(inputs)
    >>> model = kr.tasks.Regressor(
    ...     inputs=inputs, outputs=outputs, target_transform=stats
    ... )
    >>> model.predict(np.zeros((2, 3), "float32"), verbose=0).shape
    (2, 1)
    """

    def __init__(
        self,
        *args,
        target_names=None,
        target_transform=None,
        regression_loss="mse",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        num_targets = self._num_outputs()
        self.target_names = check_target_names(target_names, num_targets)
        self.target_transform = check_target_transform(target_transform, num_targets)
        validation.check_choice("regression_loss", regression_loss, KINDS)
        self.regression_loss = regression_loss

    @property
    def num_targets(self):
        """The number of targets the model predicts."""
        return self._num_outputs()

    def default_loss(self):
        return StandardizedRegressionLoss(
            **self.target_transform, kind=self.regression_loss
        )

    def default_metrics(self):
        return [
            keras.metrics.RootMeanSquaredError(name="rmse"),
            keras.metrics.MeanAbsoluteError(name="mae"),
            keras.metrics.R2Score(name="r2"),
        ]

    def encode_y(self, y, name="y"):
        """Checks raw targets: numbers, finite, one column per target."""
        return encode_targets(name, y, self._num_outputs())

    def check_class_weight(self, class_weight):
        raise ValueError(
            "`class_weight` applies to classifiers; weigh a regressor's rows "
            "with `sample_weight`. Received: class_weight="
            f"{class_weight!r}"
        )

    def predict_values(self, x, batch_size=None, verbose=0):
        """Predictions in the target's units, one named column per target.

        Returns:
            A pandas DataFrame with the columns `target_names`.
        """
        import pandas as pd  # heavy; not needed by `import keras_recipes`

        values = self.predict(x, batch_size=batch_size, verbose=verbose)
        return pd.DataFrame(np.asarray(values), columns=list(self.target_names))

    def interpret(self, x=None, y=None, **kwargs):
        """Per-target RMSE/MAE/R², the worst rows, predicted-vs-true plots.

        See `kr.interpret.interpret_regression`; returns a
        `RegressionInterpretation`.
        """
        return interpret_regression(self, x, y, **kwargs)

    def summary(self, *args, **kwargs):
        """Keras' summary, then the target scale each target trains on."""
        super().summary(*args, **kwargs)
        print_fn = kwargs.get("print_fn") or print
        print_fn(self.describe_targets())

    def describe_targets(self):
        """One line per target: its name and the scale it trains on.

        Example: `"body_mass_g: standardized (mean 4207, std 805)"`.
        """
        lines = []
        stats = self.target_transform
        for j, name in enumerate(self.target_names):
            scale = "log1p, then standardized" if stats["log"][j] else "standardized"
            lines.append(
                f"{name}: {scale} (mean {stats['mean'][j]:.4g}, "
                f"std {stats['std'][j]:.4g})"
            )
        return "Targets: " + "; ".join(lines)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "target_names": self.target_names,
                "target_transform": self.target_transform,
                "regression_loss": self.regression_loss,
            }
        )
        return config
