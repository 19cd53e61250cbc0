"""`kr.losses`: losses Keras 3 lacks, each a class + function pair.

Every classification loss takes integer class indices as `y_true` and
probabilities (or logits with `from_logits=True`) as `y_pred`, like
`keras.losses.SparseCategoricalCrossentropy`. `StandardizedRegressionLoss`
takes targets and predictions in the target's units and scores them on the
standardized scale the regressors train on.
"""

import keras
import numpy as np
from keras import ops

from keras_recipes import validation

_EPS = 1e-7


def _log_probs(y_pred, from_logits):
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)
    y_pred = ops.clip(y_pred, _EPS, 1.0 - _EPS)
    return ops.log(y_pred)


def _sparse_targets(y_true, y_pred):
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, axis=-1)
    return ops.cast(y_true, "int32")


def _check_weights(name, values):
    if values is None:
        return None
    if isinstance(values, int | float | np.number) and not isinstance(values, bool):
        return validation.check_float(name, values, minimum=0.0)
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a number or a list of per-class numbers. "
            f"Received: {name}={values!r}"
        ) from None
    if (
        array.ndim != 1
        or len(array) == 0
        or not np.all(np.isfinite(array))
        or (array < 0).any()
    ):
        raise ValueError(
            f"`{name}` must be a non-negative number or a 1D list of them. "
            f"Received: {name}={values!r}"
        )
    return [float(v) for v in array]


def _per_class(weights, targets, dtype):
    if weights is None:
        return None
    if isinstance(weights, float):
        return ops.cast(weights, dtype)
    return ops.take(ops.convert_to_tensor(weights, dtype=dtype), targets)


# ------------------------------------------------------------------ focal loss
@keras.saving.register_keras_serializable(package="keras_recipes")
def sparse_categorical_focal_loss(
    y_true, y_pred, gamma=2.0, alpha=None, from_logits=False
):
    """Focal loss (Lin et al., 2017) on integer labels, per sample.

    `-alpha_t * (1 - p_t) ** gamma * log(p_t)`, where `p_t` is the predicted
    probability of the true class. `gamma=0` and `alpha=None` give the plain
    sparse categorical cross-entropy.

    Args:
        y_true: integer class indices, shape `(batch, ...)`.
        y_pred: probabilities (or logits), shape `(batch, ..., classes)`.
        gamma: focusing parameter (>= 0).
        alpha: `None`, a scalar weight, or a list of per-class weights.
        from_logits: whether `y_pred` holds logits.

    Returns:
        The loss per sample, shape `(batch, ...)`.

    Example:

    >>> import numpy as np
    >>> loss = sparse_categorical_focal_loss(
    ...     np.array([0, 1]), np.array([[0.9, 0.1], [0.5, 0.5]]), gamma=2.0)
    >>> [round(float(v), 4) for v in loss]
    [0.0011, 0.1733]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    targets = _sparse_targets(y_true, y_pred)
    log_probs = _log_probs(y_pred, from_logits)
    one_hot = ops.one_hot(targets, ops.shape(y_pred)[-1], dtype=log_probs.dtype)
    log_pt = ops.sum(one_hot * log_probs, axis=-1)
    pt = ops.exp(log_pt)
    loss = -ops.power(1.0 - pt, gamma) * log_pt
    weights = _per_class(alpha, targets, loss.dtype)
    return loss if weights is None else loss * weights


@keras.saving.register_keras_serializable(package="keras_recipes")
class SparseCategoricalFocalLoss(keras.losses.Loss):
    """Focal loss on integer labels for multi-class problems.

    Down-weights easy examples so training focuses on hard ones; `alpha`
    optionally weights classes (a list, e.g. from `effective_number_weights`).

    Args:
        gamma: focusing parameter (>= 0); 0 is plain cross-entropy.
        alpha: `None`, a scalar, or a list of per-class weights.
        from_logits: whether `y_pred` holds logits.
        reduction: Keras loss reduction.
        name: loss name.
        dtype: loss computation dtype.

    Example:

    >>> import numpy as np
    >>> loss = SparseCategoricalFocalLoss(gamma=2.0)
    >>> round(float(loss(np.array([0, 1]), np.array([[0.9, 0.1], [0.5, 0.5]]))), 4)
    0.0872
    """

    def __init__(
        self,
        gamma=2.0,
        alpha=None,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="sparse_categorical_focal_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        validation.check_float("gamma", gamma, minimum=0.0)
        _check_weights("alpha", alpha)
        self.gamma = gamma
        self.alpha = alpha
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        return sparse_categorical_focal_loss(
            y_true,
            y_pred,
            gamma=float(self.gamma),
            alpha=_check_weights("alpha", self.alpha),
            from_logits=self.from_logits,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {"gamma": self.gamma, "alpha": self.alpha, "from_logits": self.from_logits}
        )
        return config


# ------------------------------------------------- label-smoothed sparse CE
@keras.saving.register_keras_serializable(package="keras_recipes")
def label_smoothed_sparse_crossentropy(
    y_true, y_pred, label_smoothing=0.1, from_logits=False
):
    """Cross-entropy on integer labels with label smoothing, per sample.

    The target puts `1 - label_smoothing` on the true class and spreads
    `label_smoothing` uniformly over all classes, like
    `keras.losses.CategoricalCrossentropy(label_smoothing=...)` but without
    one-hot labels in the data pipeline.

    Args:
        y_true: integer class indices.
        y_pred: probabilities (or logits), last axis = classes.
        label_smoothing: float in `[0, 1)`.
        from_logits: whether `y_pred` holds logits.

    Returns:
        The loss per sample.

    Example:

    >>> import numpy as np
    >>> loss = label_smoothed_sparse_crossentropy(
    ...     np.array([0]), np.array([[0.75, 0.25]]), label_smoothing=0.2)
    >>> round(float(loss[0]), 4)
    0.3975
    """
    y_pred = ops.convert_to_tensor(y_pred)
    targets = _sparse_targets(y_true, y_pred)
    log_probs = _log_probs(y_pred, from_logits)
    classes = ops.shape(y_pred)[-1]
    one_hot = ops.one_hot(targets, classes, dtype=log_probs.dtype)
    smooth = ops.cast(label_smoothing, log_probs.dtype)
    soft = one_hot * (1.0 - smooth) + smooth / ops.cast(classes, log_probs.dtype)
    return -ops.sum(soft * log_probs, axis=-1)


@keras.saving.register_keras_serializable(package="keras_recipes")
class LabelSmoothedSparseCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with label smoothing.

    Args:
        label_smoothing: float in `[0, 1)`.
        from_logits: whether `y_pred` holds logits.
        reduction: Keras loss reduction.
        name: loss name.
        dtype: loss computation dtype.

    Example:

    >>> import numpy as np
    >>> loss = LabelSmoothedSparseCrossentropy(label_smoothing=0.2)
    >>> round(float(loss(np.array([0]), np.array([[0.75, 0.25]]))), 4)
    0.3975
    """

    def __init__(
        self,
        label_smoothing=0.1,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="label_smoothed_sparse_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        validation.check_float(
            "label_smoothing",
            label_smoothing,
            minimum=0.0,
            maximum=1.0,
            include_max=False,
        )
        self.label_smoothing = label_smoothing
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        return label_smoothed_sparse_crossentropy(
            y_true, y_pred, float(self.label_smoothing), self.from_logits
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {"label_smoothing": self.label_smoothing, "from_logits": self.from_logits}
        )
        return config


# ------------------------------------------------------ masked sequence CE
@keras.saving.register_keras_serializable(package="keras_recipes")
def masked_sequence_crossentropy(
    y_true, y_pred, pad_id=0, label_smoothing=0.0, from_logits=False
):
    """Token cross-entropy that ignores padding, averaged over real tokens.

    Tokens equal to `pad_id` contribute nothing; the result is the mean over
    the non-pad tokens of the batch (not over all positions), so padding never
    dilutes the loss.

    Args:
        y_true: integer token ids, shape `(batch, length)`.
        y_pred: probabilities (or logits), shape `(batch, length, vocab)`.
        pad_id: the padding token id to ignore.
        label_smoothing: float in `[0, 1)`.
        from_logits: whether `y_pred` holds logits.

    Returns:
        A scalar: the mean loss over non-pad tokens (0 when all are pad).

    Example:

    >>> import numpy as np
    >>> y_true = np.array([[2, 1, 0, 0]])
    >>> y_pred = np.full((1, 4, 3), 1 / 3)
    >>> round(float(masked_sequence_crossentropy(y_true, y_pred)), 4)  # log(3)
    1.0986
    """
    y_pred = ops.convert_to_tensor(y_pred)
    token_loss = label_smoothed_sparse_crossentropy(
        y_true, y_pred, label_smoothing, from_logits
    )
    mask = ops.cast(
        ops.not_equal(_sparse_targets(y_true, y_pred), pad_id), token_loss.dtype
    )
    return ops.divide_no_nan(ops.sum(token_loss * mask), ops.sum(mask))


@keras.saving.register_keras_serializable(package="keras_recipes")
class MaskedSequenceCrossentropy(keras.losses.Loss):
    """Sequence cross-entropy ignoring a pad id, averaged over real tokens.

    With the default reduction the loss of a batch is the mean over its
    non-pad tokens (padding weighs nothing, however long it is).

    Args:
        pad_id: padding token id to ignore (integer).
        label_smoothing: float in `[0, 1)`.
        from_logits: whether `y_pred` holds logits.
        reduction: Keras loss reduction.
        name: loss name.
        dtype: loss computation dtype.

    Example:

    >>> import numpy as np
    >>> loss = MaskedSequenceCrossentropy(pad_id=0)
    >>> y_pred = np.array([[[0.5, 0.5], [0.9, 0.1]]])
    >>> round(float(loss(np.array([[1, 0]]), y_pred)), 4)  # only -log(0.5)
    0.6931
    """

    def __init__(
        self,
        pad_id=0,
        label_smoothing=0.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="masked_sequence_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        validation.check_int("pad_id", pad_id)
        validation.check_float(
            "label_smoothing",
            label_smoothing,
            minimum=0.0,
            maximum=1.0,
            include_max=False,
        )
        self.pad_id = pad_id
        self.label_smoothing = label_smoothing
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        token_loss = label_smoothed_sparse_crossentropy(
            y_true, y_pred, float(self.label_smoothing), self.from_logits
        )
        # Valid tokens get weight total/valid so the mean over all positions
        # equals the mean over the non-pad tokens (as Keras does for masks).
        mask = ops.cast(
            ops.not_equal(_sparse_targets(y_true, y_pred), int(self.pad_id)),
            token_loss.dtype,
        )
        total = ops.cast(ops.size(mask), token_loss.dtype)
        return token_loss * mask * ops.divide_no_nan(total, ops.sum(mask))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pad_id": self.pad_id,
                "label_smoothing": self.label_smoothing,
                "from_logits": self.from_logits,
            }
        )
        return config


# ----------------------------------------------------------- class-balanced
def effective_number_weights(samples_per_class, beta=0.999):
    """Class-balanced weights from the effective number of samples.

    `w_c = (1 - beta) / (1 - beta ** n_c)` (Cui et al., 2019), normalised so
    the weights sum to the number of classes.

    Args:
        samples_per_class: list of per-class sample counts (each >= 1).
        beta: in `[0, 1)`; 0 gives uniform weights, values near 1 approach
            inverse-frequency weighting.

    Returns:
        A list of floats, one per class.

    Example:

    >>> [round(w, 3) for w in effective_number_weights([100, 10], beta=0.99)]
    [0.262, 1.738]
    """
    validation.check_float("beta", beta, minimum=0.0, maximum=1.0, include_max=False)
    counts = np.asarray(samples_per_class, dtype="float64")
    if counts.ndim != 1 or len(counts) < 2 or (counts < 1).any():
        raise ValueError(
            "`samples_per_class` must be a list of at least 2 counts, each >= 1. "
            f"Received: samples_per_class={samples_per_class!r}"
        )
    weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    weights = weights / weights.sum() * len(counts)
    return [float(w) for w in weights]


@keras.saving.register_keras_serializable(package="keras_recipes")
def class_balanced_sparse_crossentropy(
    y_true, y_pred, samples_per_class, beta=0.999, gamma=0.0, from_logits=False
):
    """Class-balanced (focal) cross-entropy on integer labels, per sample.

    Each sample is weighted by `effective_number_weights(samples_per_class,
    beta)` of its class; `gamma > 0` gives the class-balanced focal loss.

    Args:
        y_true: integer class indices.
        y_pred: probabilities (or logits).
        samples_per_class: per-class training sample counts.
        beta: effective-number hyperparameter in `[0, 1)`.
        gamma: focal parameter (0 = cross-entropy).
        from_logits: whether `y_pred` holds logits.

    Returns:
        The loss per sample.

    Example:

    >>> import numpy as np
    >>> loss = class_balanced_sparse_crossentropy(
    ...     np.array([0, 1]), np.full((2, 2), 0.5), [100, 10], beta=0.99)
    >>> [round(float(v), 3) for v in loss]  # the rare class weighs more
    [0.182, 1.205]
    """
    weights = effective_number_weights(samples_per_class, beta)
    return sparse_categorical_focal_loss(
        y_true, y_pred, gamma=gamma, alpha=weights, from_logits=from_logits
    )


@keras.saving.register_keras_serializable(package="keras_recipes")
class ClassBalancedSparseCrossentropy(keras.losses.Loss):
    """Class-balanced loss with effective-number weights (Cui et al., 2019).

    For imbalanced data: each sample is weighted by
    `(1 - beta) / (1 - beta ** n_c)` of its class `c` (normalised to sum to
    the number of classes); `gamma > 0` adds the focal term.

    Args:
        samples_per_class: list of per-class training sample counts.
        beta: in `[0, 1)` (0.9, 0.99, 0.999 and 0.9999 are typical).
        gamma: focal parameter (>= 0; 0 = cross-entropy).
        from_logits: whether `y_pred` holds logits.
        reduction: Keras loss reduction.
        name: loss name.
        dtype: loss computation dtype.

    Example:

    >>> import numpy as np
    >>> loss = ClassBalancedSparseCrossentropy([100, 10], beta=0.99)
    >>> round(float(loss(np.array([0, 1]), np.full((2, 2), 0.5))), 3)
    0.693
    """

    def __init__(
        self,
        samples_per_class,
        beta=0.999,
        gamma=0.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="class_balanced_sparse_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._weights = effective_number_weights(samples_per_class, beta)
        validation.check_float("gamma", gamma, minimum=0.0)
        self.samples_per_class = samples_per_class
        self.beta = beta
        self.gamma = gamma
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        return sparse_categorical_focal_loss(
            y_true,
            y_pred,
            gamma=float(self.gamma),
            alpha=self._weights,
            from_logits=self.from_logits,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "samples_per_class": [int(n) for n in self.samples_per_class],
                "beta": self.beta,
                "gamma": self.gamma,
                "from_logits": self.from_logits,
            }
        )
        return config


__all__ = [
    "ClassBalancedSparseCrossentropy",
    "LabelSmoothedSparseCrossentropy",
    "MaskedSequenceCrossentropy",
    "SparseCategoricalFocalLoss",
    "class_balanced_sparse_crossentropy",
    "effective_number_weights",
    "label_smoothed_sparse_crossentropy",
    "masked_sequence_crossentropy",
    "sparse_categorical_focal_loss",
]


# ------------------------------------------------ standardized regression
def standardized_regression_loss(y_true, y_pred, mean, std, log, kind="mse", delta=1.0):
    """MSE or Huber loss of targets and predictions, both standardized.

    Each target column `j` is mapped to `(t(y) - mean[j]) / std[j]`, with
    `t = log1p` where `log[j]` and the identity elsewhere, so every target
    weighs the same whatever its units. Returns one loss per sample.

    Example:

    >>> loss = standardized_regression_loss(
    ...     np.array([[12.0]]), np.array([[10.0]]), [10.0], [2.0], [False])
    >>> float(loss[0])
    1.0
    """
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = y_pred.dtype
    y_true = ops.cast(ops.convert_to_tensor(y_true), dtype)
    if len(y_true.shape) == len(y_pred.shape) - 1:
        y_true = ops.expand_dims(y_true, -1)
    mean = ops.convert_to_tensor(mean, dtype=dtype)
    std = ops.convert_to_tensor(std, dtype=dtype)

    def scale(values):
        if any(log):
            logged = ops.log1p(ops.maximum(values, -1.0 + _EPS))
            values = ops.where(ops.convert_to_tensor(log), logged, values)
        return (values - mean) / std

    error = scale(y_true) - scale(y_pred)
    if kind == "mse":
        return ops.mean(ops.square(error), axis=-1)
    absolute = ops.abs(error)
    quadratic = ops.minimum(absolute, delta)
    return ops.mean(0.5 * quadratic**2 + delta * (absolute - quadratic), axis=-1)


@keras.saving.register_keras_serializable(package="keras_recipes")
class StandardizedRegressionLoss(keras.losses.Loss):
    """A regressor's loss: MSE or Huber on the standardized target scale.

    The regressors predict in the target's units (`kr.layers.TargetScale`
    is their last layer); this loss scores on the scale they train on, with
    the same per-target `mean`, `std` and `log` statistics, so the gradients
    do not depend on the units (grams or kilograms) and several targets
    weigh the same.

    Args:
        mean: per-target means of the (possibly `log1p`) training targets.
        std: per-target standard deviations (> 0).
        log: per-target booleans: `log1p` scale or not.
        kind: `"mse"` (default) or `"huber"`.
        delta: the Huber loss's switch point, in standard deviations.
        reduction: Keras loss reduction.
        name: loss name.
        dtype: loss computation dtype.

    Example:

    >>> loss = StandardizedRegressionLoss([10.0], [2.0], [False])
    >>> float(loss(np.array([[12.0], [10.0]]), np.array([[10.0], [10.0]])))
    0.5
    """

    def __init__(
        self,
        mean,
        std,
        log,
        kind="mse",
        delta=1.0,
        reduction="sum_over_batch_size",
        name="standardized_regression_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        validation.check_choice("kind", kind, KINDS)
        validation.check_float("delta", delta, minimum=0.0)
        if len(mean) != len(std) or len(mean) != len(log):
            raise ValueError(
                "`mean`, `std` and `log` must have one value per target each. "
                f"Received: mean={list(mean)}, std={list(std)}, log={list(log)}"
            )
        self.mean = [float(m) for m in mean]
        self.std = [float(s) for s in std]
        self.log = [bool(f) for f in log]
        self.kind = kind
        self.delta = delta

    def call(self, y_true, y_pred):
        return standardized_regression_loss(
            y_true,
            y_pred,
            self.mean,
            self.std,
            self.log,
            kind=self.kind,
            delta=float(self.delta),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mean": self.mean,
                "std": self.std,
                "log": self.log,
                "kind": self.kind,
                "delta": self.delta,
            }
        )
        return config


# The kinds of `StandardizedRegressionLoss` (the regressors' `regression_loss`).
KINDS = ("mse", "huber")
