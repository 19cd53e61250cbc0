"""`tfa.losses` in Keras 3: the shims and the rows of the table."""

import keras

from keras_recipes.addons._base import adder
from keras_recipes.addons._base import value

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {}
_add = adder(ENTRIES)


def _sigmoid_focal_crossentropy_loss(
    from_logits=False,
    alpha=0.25,
    gamma=2.0,
    reduction="sum_over_batch_size",
    name="sigmoid_focal_crossentropy",
    **kwargs,
):
    """TFA `SigmoidFocalCrossEntropy` -> `keras.losses.BinaryFocalCrossentropy`."""
    if reduction in (None, "none", "auto"):
        reduction = "none" if reduction == "none" else "sum_over_batch_size"
    return keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=alpha is not None,
        alpha=0.25 if alpha is None else alpha,
        gamma=gamma,
        from_logits=from_logits,
        reduction=reduction,
        name=name,
        **kwargs,
    )


def _sigmoid_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False
):
    """TFA `sigmoid_focal_crossentropy` -> `keras.losses.binary_focal_crossentropy`."""
    return keras.losses.binary_focal_crossentropy(
        y_true,
        y_pred,
        apply_class_balancing=alpha is not None,
        alpha=0.25 if alpha is None else alpha,
        gamma=gamma,
        from_logits=from_logits,
    )


_add(
    "losses",
    "SigmoidFocalCrossEntropy",
    "shim",
    "keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True)",
    value(_sigmoid_focal_crossentropy_loss),
)
_add(
    "losses",
    "sigmoid_focal_crossentropy",
    "shim",
    "keras.losses.binary_focal_crossentropy",
    value(_sigmoid_focal_crossentropy),
)
_add(
    "losses",
    "SparsemaxLoss",
    "removed",
    "keras.activations.sparsemax + keras.losses.CategoricalCrossentropy",
)
_add(
    "losses",
    "ContrastiveLoss",
    "removed",
    "keras_hub / TensorFlow Similarity metric-learning losses",
)
_add(
    "losses",
    "TripletSemiHardLoss",
    "removed",
    "TensorFlow Similarity `TripletLoss` (pip install tensorflow-similarity)",
)
_add(
    "losses",
    "TripletHardLoss",
    "removed",
    "TensorFlow Similarity `TripletLoss` (pip install tensorflow-similarity)",
)
_add("losses", "GIoULoss", "removed", "keras_cv.losses.GIoULoss / keras_hub")
_add(
    "losses",
    "PinballLoss",
    "removed",
    "a quantile loss: keras.ops.maximum(tau * e, (tau - 1) * e)",
)
_add("losses", "NpairsLoss", "removed", "TensorFlow Similarity losses")
_add(
    "losses",
    "WeightedKappaLoss",
    "removed",
    "kr.losses.SparseCategoricalFocalLoss + kr.metrics.CohenKappa("
    "weightage='quadratic')",
)
