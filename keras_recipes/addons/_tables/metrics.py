"""`tfa.metrics` in Keras 3: the shims and the rows of the table."""

import keras

from keras_recipes.addons._base import NotCarriedOverError
from keras_recipes.addons._base import adder
from keras_recipes.addons._base import native
from keras_recipes.addons._base import value
from keras_recipes.metrics import CohenKappa
from keras_recipes.metrics import MatthewsCorrelationCoefficient

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {}
_add = adder(ENTRIES)


def _f1(num_classes=None, average=None, threshold=None, name="f1_score", dtype=None):
    """TFA `F1Score(num_classes, ...)` -> `keras.metrics.F1Score` (no num_classes)."""
    return keras.metrics.F1Score(
        average=average, threshold=threshold, name=name, dtype=dtype
    )


def _fbeta(
    num_classes=None,
    average=None,
    beta=1.0,
    threshold=None,
    name="fbeta_score",
    dtype=None,
):
    """TFA `FBetaScore(num_classes, ...)` -> `keras.metrics.FBetaScore`."""
    return keras.metrics.FBetaScore(
        average=average, beta=beta, threshold=threshold, name=name, dtype=dtype
    )


def _r_square(
    dtype=None,
    y_shape=None,
    multioutput="uniform_average",
    num_regressors=0,
    name="r_square",
):
    """TFA `RSquare` -> `keras.metrics.R2Score`."""
    return keras.metrics.R2Score(
        class_aggregation=multioutput,
        num_regressors=num_regressors,
        name=name,
        dtype=dtype,
    )


def _cohen_kappa(
    num_classes,
    name="cohen_kappa",
    weightage=None,
    sparse_labels=False,
    regression=False,
    dtype=None,
):
    """TFA `CohenKappa` -> `kr.metrics.CohenKappa` (same argument names)."""
    if regression:
        raise NotCarriedOverError(
            "CohenKappa(regression=True) is not carried over: round the "
            "predictions to class indices and use kr.metrics.CohenKappa. "
            "Received: regression=True"
        )
    return CohenKappa(
        num_classes,
        weightage=weightage,
        sparse_labels=sparse_labels,
        name=name,
        dtype=dtype,
    )


def _mcc(num_classes, name="MatthewsCorrelationCoefficient", dtype=None):
    """TFA `MatthewsCorrelationCoefficient` -> `kr.metrics` version."""
    return MatthewsCorrelationCoefficient(
        num_classes, sparse_labels=False, name=name, dtype=dtype
    )


_add("metrics", "F1Score", "shim", "keras.metrics.F1Score", value(_f1))
_add("metrics", "FBetaScore", "shim", "keras.metrics.FBetaScore", value(_fbeta))
_add("metrics", "RSquare", "shim", "keras.metrics.R2Score", value(_r_square))
_add("metrics", "CohenKappa", "shim", "kr.metrics.CohenKappa", value(_cohen_kappa))
_add(
    "metrics",
    "MatthewsCorrelationCoefficient",
    "shim",
    "kr.metrics.MatthewsCorrelationCoefficient",
    value(_mcc),
)
_add(
    "metrics",
    "MeanMetricWrapper",
    "native",
    "keras.metrics.MeanMetricWrapper",
    native("keras.metrics.MeanMetricWrapper"),
)
_add(
    "metrics",
    "HammingLoss",
    "removed",
    "1 - keras.metrics.BinaryAccuracy (multi-label) or 1 - accuracy",
)
_add(
    "metrics",
    "MultiLabelConfusionMatrix",
    "removed",
    "sklearn.metrics.multilabel_confusion_matrix on model.predict output",
)
_add("metrics", "GeometricMean", "removed", "keras.metrics.Mean on log values")
