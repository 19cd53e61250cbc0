"""The TF Addons -> Keras 3 mapping behind `keras_recipes.addons`.

Each entry maps a `tensorflow_addons.<module>.<Name>` to a Keras 3 object
(`native`), a keras_recipes object (`ours`), a small shim that accepts TF
Addons' argument names and returns one of those (`shim`), or to nothing
(`removed`), in which case using the name raises `NotCarriedOverError` that
names the replacement.
"""

import keras


class NotCarriedOverError(ImportError):
    """A TF Addons name with no Keras 3 port here; the message names what to use.

    Subclasses `ImportError` (not `AttributeError`) so that
    `from keras_recipes.addons.losses import X` shows this message as is.
    """


# ------------------------------------------------------------------- shims
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
    from keras_recipes.metrics import CohenKappa

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
    from keras_recipes.metrics import MatthewsCorrelationCoefficient

    return MatthewsCorrelationCoefficient(
        num_classes, sparse_labels=False, name=name, dtype=dtype
    )


def _instance_norm(axis=-1, epsilon=1e-3, center=True, scale=True, **kwargs):
    """TFA `InstanceNormalization` -> `keras.layers.GroupNormalization(groups=-1)`."""
    return keras.layers.GroupNormalization(
        groups=-1, axis=axis, epsilon=epsilon, center=center, scale=scale, **kwargs
    )


def _weight_norm(layer, data_init=True, **kwargs):
    """TFA `WeightNormalization` -> `kr.layers.WeightNormalization`.

    `data_init` (data-dependent initialisation) is not carried over: `g`
    starts at `||v||`; `data_init=True` (TFA's default) is accepted and ignored.
    """
    from keras_recipes.layers import WeightNormalization

    return WeightNormalization(layer, **kwargs)


def _stochastic_depth(survival_probability=0.5, **kwargs):
    """TFA `StochasticDepth(survival_probability)` -> `kr.layers.StochasticDepth`.

    Called on `[shortcut, residual]` as in TFA. Scaling happens in training
    (inverted), so inference outputs `shortcut + residual` rather than TFA's
    `shortcut + p * residual`: equal in expectation.
    """
    from keras_recipes.layers import StochasticDepth

    return StochasticDepth(rate=1.0 - survival_probability, **kwargs)


def _gelu_layer(approximate=True, **kwargs):
    """TFA `layers.GELU` -> `keras.layers.Activation(gelu)`."""
    return keras.layers.Activation(
        "gelu" if not approximate else _approx_gelu, **kwargs
    )


def _approx_gelu(x):
    return keras.activations.gelu(x, approximate=True)


def _mha(
    head_size,
    num_heads,
    output_size=None,
    dropout=0.0,
    use_projection_bias=True,
    return_attn_coef=False,
    **kwargs,
):
    """TFA `MultiHeadAttention(head_size, num_heads)` -> Keras' (`key_dim`).

    Call convention differs: Keras takes `layer(query, value, key=None)` where
    TFA took `layer([query, key, value])`.
    """
    if return_attn_coef:
        raise NotCarriedOverError(
            "MultiHeadAttention(return_attn_coef=True) is not carried over: call "
            "keras.layers.MultiHeadAttention(...)(q, v, return_attention_scores="
            "True). Received: return_attn_coef=True"
        )
    return keras.layers.MultiHeadAttention(
        num_heads=num_heads,
        key_dim=head_size,
        output_shape=output_size,
        dropout=dropout,
        use_bias=use_projection_bias,
        **kwargs,
    )


def _spectral(layer, power_iterations=1, **kwargs):
    """TFA `SpectralNormalization` -> `keras.layers.SpectralNormalization`."""
    return keras.layers.SpectralNormalization(
        layer, power_iterations=power_iterations, **kwargs
    )


def _adamw(
    weight_decay,
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-07,
    amsgrad=False,
    name="AdamW",
    **kwargs,
):
    """TFA `AdamW(weight_decay, learning_rate, ...)` -> `keras.optimizers.AdamW`."""
    return keras.optimizers.AdamW(
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        amsgrad=amsgrad,
        name=name,
        **kwargs,
    )


def _sgdw(
    weight_decay,
    learning_rate=0.001,
    momentum=0.0,
    nesterov=False,
    name="SGDW",
    **kwargs,
):
    """TFA `SGDW(weight_decay, ...)` -> `keras.optimizers.SGD(weight_decay=...)`."""
    return keras.optimizers.SGD(
        learning_rate=learning_rate,
        momentum=momentum,
        nesterov=nesterov,
        weight_decay=weight_decay,
        name=name,
        **kwargs,
    )


def _lamb(
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-6,
    weight_decay=None,
    exclude_from_weight_decay=None,
    exclude_from_layer_adaptation=None,
    name="LAMB",
    **kwargs,
):
    """TFA `LAMB` -> `keras.optimizers.Lamb`."""
    opt = keras.optimizers.Lamb(
        learning_rate=learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        weight_decay=weight_decay,
        name=name,
        **kwargs,
    )
    if exclude_from_weight_decay:
        opt.exclude_from_weight_decay(var_names=exclude_from_weight_decay)
    return opt


def _lookahead(optimizer, sync_period=6, slow_step_size=0.5, name="Lookahead"):
    """TFA `Lookahead` -> `kr.optimizers.Lookahead` (same argument names)."""
    from keras_recipes.optimizers import Lookahead

    return Lookahead(
        optimizer,
        sync_period=sync_period,
        slow_step_size=slow_step_size,
        name=name.lower(),
    )


def _multi_optimizer(optimizers_and_layers, name="MultiOptimizer", **kwargs):
    """TFA `MultiOptimizer` -> `keras.optimizers.MultiOptimizer`."""
    return keras.optimizers.MultiOptimizer(optimizers_and_layers, name=name, **kwargs)


def _cyclical(
    initial_learning_rate,
    maximal_learning_rate,
    step_size,
    scale_fn=None,
    scale_mode="cycle",
    name="CyclicalLearningRate",
):
    """TFA `CyclicalLearningRate` -> `kr.schedules.CyclicalLearningRate`."""
    if scale_fn is not None:
        raise NotCarriedOverError(
            "CyclicalLearningRate(scale_fn=...) is not carried over (a Python "
            "callable cannot be saved safely): use kr.schedules."
            "CyclicalLearningRate(mode='triangular'|'triangular2'|'exp_range'). "
            f"Received: scale_fn={scale_fn!r}"
        )
    from keras_recipes.schedules import CyclicalLearningRate

    return CyclicalLearningRate(
        initial_learning_rate,
        maximal_learning_rate,
        step_size,
        mode="triangular",
        name=name,
    )


def _cyclical_mode(mode):
    def shim(
        initial_learning_rate,
        maximal_learning_rate,
        step_size,
        scale_mode="cycle",
        gamma=1.0,
        name=None,
    ):
        from keras_recipes.schedules import CyclicalLearningRate

        return CyclicalLearningRate(
            initial_learning_rate,
            maximal_learning_rate,
            step_size,
            mode=mode,
            gamma=gamma,
            name=name or f"{mode}_cyclical_learning_rate",
        )

    shim.__doc__ = (
        f"TFA cyclical schedule -> kr.schedules.CyclicalLearningRate(mode={mode!r})."
    )
    return shim


def _time_stopping(seconds=86400, verbose=0):
    """TFA `TimeStopping(seconds)` -> `kr.callbacks.TimeBudget`."""
    from keras_recipes.callbacks import TimeBudget

    return TimeBudget(seconds, verbose=verbose)


def _tqdm(*args, **kwargs):
    """TFA `TQDMProgressBar` -> `kr.callbacks.ProgressBar` (rich)."""
    from keras_recipes.callbacks import ProgressBar

    return ProgressBar()


def _lisht(x):
    """TFA `lisht`: `x * tanh(x)`."""
    return x * keras.ops.tanh(x)


def _snake(x, frequency=1.0):
    """TFA `snake`: `x + sin(f x)^2 / f`."""
    return x + keras.ops.square(keras.ops.sin(frequency * x)) / frequency


def _gelu(x, approximate=True):
    """TFA `gelu` (approximate by default) -> `keras.activations.gelu`."""
    return keras.activations.gelu(x, approximate=approximate)


def _ours(path):
    def load():
        import importlib

        module, name = path.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)

    return load


def _native(path):
    def load():
        obj = keras
        for part in path.split(".")[1:]:
            obj = getattr(obj, part)
        return obj

    return load


def _value(obj):
    return lambda: obj


# (module, TFA name) -> (kind, target shown in the docs, loader or message)
ENTRIES = {}


def _add(module, name, kind, target, load=None):
    ENTRIES[(module, name)] = (kind, target, load)


# losses
_add(
    "losses",
    "SigmoidFocalCrossEntropy",
    "shim",
    "keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True)",
    _value(_sigmoid_focal_crossentropy_loss),
)
_add(
    "losses",
    "sigmoid_focal_crossentropy",
    "shim",
    "keras.losses.binary_focal_crossentropy",
    _value(_sigmoid_focal_crossentropy),
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
# metrics
_add("metrics", "F1Score", "shim", "keras.metrics.F1Score", _value(_f1))
_add("metrics", "FBetaScore", "shim", "keras.metrics.FBetaScore", _value(_fbeta))
_add("metrics", "RSquare", "shim", "keras.metrics.R2Score", _value(_r_square))
_add("metrics", "CohenKappa", "shim", "kr.metrics.CohenKappa", _value(_cohen_kappa))
_add(
    "metrics",
    "MatthewsCorrelationCoefficient",
    "shim",
    "kr.metrics.MatthewsCorrelationCoefficient",
    _value(_mcc),
)
_add(
    "metrics",
    "MeanMetricWrapper",
    "native",
    "keras.metrics.MeanMetricWrapper",
    _native("keras.metrics.MeanMetricWrapper"),
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
# layers
_add(
    "layers",
    "GroupNormalization",
    "native",
    "keras.layers.GroupNormalization",
    _native("keras.layers.GroupNormalization"),
)
_add(
    "layers",
    "InstanceNormalization",
    "shim",
    "keras.layers.GroupNormalization(groups=-1)",
    _value(_instance_norm),
)
_add(
    "layers",
    "SpectralNormalization",
    "shim",
    "keras.layers.SpectralNormalization",
    _value(_spectral),
)
_add(
    "layers",
    "WeightNormalization",
    "shim",
    "kr.layers.WeightNormalization",
    _value(_weight_norm),
)
_add(
    "layers",
    "StochasticDepth",
    "shim",
    "kr.layers.StochasticDepth",
    _value(_stochastic_depth),
)
_add("layers", "GELU", "shim", "keras.layers.Activation('gelu')", _value(_gelu_layer))
_add(
    "layers",
    "MultiHeadAttention",
    "shim",
    "keras.layers.MultiHeadAttention",
    _value(_mha),
)
_add(
    "layers",
    "AdaptiveAveragePooling1D",
    "native",
    "keras.layers.AdaptiveAveragePooling1D",
    _native("keras.layers.AdaptiveAveragePooling1D"),
)
_add(
    "layers",
    "AdaptiveAveragePooling2D",
    "native",
    "keras.layers.AdaptiveAveragePooling2D",
    _native("keras.layers.AdaptiveAveragePooling2D"),
)
_add(
    "layers",
    "AdaptiveMaxPooling1D",
    "native",
    "keras.layers.AdaptiveMaxPooling1D",
    _native("keras.layers.AdaptiveMaxPooling1D"),
)
_add(
    "layers",
    "AdaptiveMaxPooling2D",
    "native",
    "keras.layers.AdaptiveMaxPooling2D",
    _native("keras.layers.AdaptiveMaxPooling2D"),
)
_add(
    "layers",
    "AdaptiveAveragePooling3D",
    "native",
    "keras.layers.AdaptiveAveragePooling3D",
    _native("keras.layers.AdaptiveAveragePooling3D"),
)
_add(
    "layers",
    "AdaptiveMaxPooling3D",
    "native",
    "keras.layers.AdaptiveMaxPooling3D",
    _native("keras.layers.AdaptiveMaxPooling3D"),
)
_add(
    "layers",
    "Sparsemax",
    "shim",
    "keras.layers.Activation('sparsemax')",
    _value(lambda axis=-1, **kw: keras.layers.Activation("sparsemax", **kw)),
)
_add("layers", "Maxout", "removed", "keras.layers.Dense + keras.ops.max over a reshape")
_add("layers", "CRF", "removed", "keras_hub / a softmax token classifier")
_add(
    "layers",
    "FilterResponseNormalization",
    "removed",
    "keras.layers.GroupNormalization",
)
_add("layers", "ESN", "removed", "keras.layers.RNN with a custom cell")
_add(
    "layers", "NoisyDense", "removed", "keras.layers.Dense + keras.layers.GaussianNoise"
)
_add("layers", "PoincareNormalize", "removed", "keras.layers.UnitNormalization")
_add(
    "layers",
    "SpatialPyramidPooling2D",
    "removed",
    "keras.layers.AdaptiveMaxPooling2D at several sizes + Concatenate",
)
# optimizers
_add("optimizers", "AdamW", "shim", "keras.optimizers.AdamW", _value(_adamw))
_add(
    "optimizers",
    "SGDW",
    "shim",
    "keras.optimizers.SGD(weight_decay=...)",
    _value(_sgdw),
)
_add("optimizers", "LAMB", "shim", "keras.optimizers.Lamb", _value(_lamb))
_add("optimizers", "Lookahead", "shim", "kr.optimizers.Lookahead", _value(_lookahead))
_add(
    "optimizers",
    "MultiOptimizer",
    "shim",
    "keras.optimizers.MultiOptimizer",
    _value(_multi_optimizer),
)
_add(
    "optimizers",
    "CyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate",
    _value(_cyclical),
)
_add(
    "optimizers",
    "TriangularCyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate(mode='triangular')",
    _value(_cyclical_mode("triangular")),
)
_add(
    "optimizers",
    "Triangular2CyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate(mode='triangular2')",
    _value(_cyclical_mode("triangular2")),
)
_add(
    "optimizers",
    "ExponentialCyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate(mode='exp_range')",
    _value(_cyclical_mode("exp_range")),
)
_add(
    "optimizers",
    "RectifiedAdam",
    "removed",
    "keras.optimizers.AdamW + kr.schedules.WarmupCosine (warmup instead of "
    "rectification)",
)
_add("optimizers", "MovingAverage", "removed", "any Keras optimizer with use_ema=True")
_add("optimizers", "SWA", "removed", "any Keras optimizer with use_ema=True")
_add("optimizers", "Yogi", "removed", "keras.optimizers.Adam / Lion")
_add("optimizers", "NovoGrad", "removed", "keras.optimizers.Lamb")
_add("optimizers", "ConditionalGradient", "removed", "keras.optimizers.SGD")
_add("optimizers", "COCOB", "removed", "keras.optimizers.ScheduleFreeAdamW")
_add(
    "optimizers",
    "extend_with_decoupled_weight_decay",
    "removed",
    "the weight_decay= argument of every Keras optimizer",
)
# callbacks
_add(
    "callbacks",
    "TimeStopping",
    "shim",
    "kr.callbacks.TimeBudget",
    _value(_time_stopping),
)
_add("callbacks", "TQDMProgressBar", "shim", "kr.callbacks.ProgressBar", _value(_tqdm))
_add(
    "callbacks",
    "AverageModelCheckpoint",
    "removed",
    "keras.callbacks.ModelCheckpoint + an optimizer with use_ema=True",
)
# activations
_add(
    "activations",
    "gelu",
    "shim",
    "keras.activations.gelu(approximate=True)",
    _value(_gelu),
)
_add(
    "activations",
    "mish",
    "native",
    "keras.activations.mish",
    _native("keras.activations.mish"),
)
_add(
    "activations",
    "hardshrink",
    "native",
    "keras.activations.hard_shrink",
    _native("keras.activations.hard_shrink"),
)
_add(
    "activations",
    "softshrink",
    "native",
    "keras.activations.soft_shrink",
    _native("keras.activations.soft_shrink"),
)
_add(
    "activations",
    "tanhshrink",
    "native",
    "keras.activations.tanh_shrink",
    _native("keras.activations.tanh_shrink"),
)
_add(
    "activations",
    "sparsemax",
    "native",
    "keras.activations.sparsemax",
    _native("keras.activations.sparsemax"),
)
_add("activations", "lisht", "shim", "x * keras.ops.tanh(x)", _value(_lisht))
_add("activations", "snake", "shim", "x + sin(f x)^2 / f", _value(_snake))
_add(
    "activations",
    "rrelu",
    "removed",
    "keras.layers.LeakyReLU (randomised slopes are not carried over)",
)

MODULES = ("losses", "metrics", "layers", "optimizers", "callbacks", "activations")


def resolve(module, name):
    """Returns the object for `tfa.<module>.<name>` or raises with the fix."""
    kind, target, load = ENTRIES[(module, name)]
    if kind == "removed":
        raise NotCarriedOverError(
            f"tfa.{module}.{name} is not carried over to Keras 3 by "
            f"keras_recipes.addons. Use instead: {target}."
        )
    return load()


def module_getattr(module):
    """Builds the module-level `__getattr__` of `keras_recipes.addons.<module>`."""

    def __getattr__(name):
        if (module, name) in ENTRIES:
            return resolve(module, name)
        raise AttributeError(
            f"module 'keras_recipes.addons.{module}' has no attribute {name!r}"
        )

    return __getattr__


def module_names(module):
    return sorted(n for (m, n) in ENTRIES if m == module)


def markdown_table():
    """The mapping as the Markdown table of `docs/addons.md`."""
    lines = [
        "| TF Addons name | Status | Use in Keras 3 |",
        "| --- | --- | --- |",
    ]
    labels = {
        "native": "native Keras",
        "ours": "keras_recipes",
        "shim": "shim (TFA argument names)",
        "removed": "not carried over",
    }
    for module in MODULES:
        for name in module_names(module):
            kind, target, _ = ENTRIES[(module, name)]
            lines.append(f"| `tfa.{module}.{name}` | {labels[kind]} | `{target}` |")
    return "\n".join(lines) + "\n"
