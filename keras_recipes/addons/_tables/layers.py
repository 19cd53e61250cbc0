"""`tfa.layers` in Keras 3: the shims and the rows of the table."""

import keras

from keras_recipes.addons._base import NotCarriedOverError
from keras_recipes.addons._base import adder
from keras_recipes.addons._base import native
from keras_recipes.addons._base import value
from keras_recipes.layers import StochasticDepth
from keras_recipes.layers import WeightNormalization

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {}
_add = adder(ENTRIES)


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
    return WeightNormalization(layer, **kwargs)


def _stochastic_depth(survival_probability=0.5, **kwargs):
    """TFA `StochasticDepth(survival_probability)` -> `kr.layers.StochasticDepth`.

    Called on `[shortcut, residual]` as in TFA. Scaling happens in training
    (inverted), so inference outputs `shortcut + residual` rather than TFA's
    `shortcut + p * residual`: equal in expectation.
    """
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


_add(
    "layers",
    "GroupNormalization",
    "native",
    "keras.layers.GroupNormalization",
    native("keras.layers.GroupNormalization"),
)
_add(
    "layers",
    "InstanceNormalization",
    "shim",
    "keras.layers.GroupNormalization(groups=-1)",
    value(_instance_norm),
)
_add(
    "layers",
    "SpectralNormalization",
    "shim",
    "keras.layers.SpectralNormalization",
    value(_spectral),
)
_add(
    "layers",
    "WeightNormalization",
    "shim",
    "kr.layers.WeightNormalization",
    value(_weight_norm),
)
_add(
    "layers",
    "StochasticDepth",
    "shim",
    "kr.layers.StochasticDepth",
    value(_stochastic_depth),
)
_add("layers", "GELU", "shim", "keras.layers.Activation('gelu')", value(_gelu_layer))
_add(
    "layers",
    "MultiHeadAttention",
    "shim",
    "keras.layers.MultiHeadAttention",
    value(_mha),
)
_add(
    "layers",
    "AdaptiveAveragePooling1D",
    "native",
    "keras.layers.AdaptiveAveragePooling1D",
    native("keras.layers.AdaptiveAveragePooling1D"),
)
_add(
    "layers",
    "AdaptiveAveragePooling2D",
    "native",
    "keras.layers.AdaptiveAveragePooling2D",
    native("keras.layers.AdaptiveAveragePooling2D"),
)
_add(
    "layers",
    "AdaptiveMaxPooling1D",
    "native",
    "keras.layers.AdaptiveMaxPooling1D",
    native("keras.layers.AdaptiveMaxPooling1D"),
)
_add(
    "layers",
    "AdaptiveMaxPooling2D",
    "native",
    "keras.layers.AdaptiveMaxPooling2D",
    native("keras.layers.AdaptiveMaxPooling2D"),
)
_add(
    "layers",
    "AdaptiveAveragePooling3D",
    "native",
    "keras.layers.AdaptiveAveragePooling3D",
    native("keras.layers.AdaptiveAveragePooling3D"),
)
_add(
    "layers",
    "AdaptiveMaxPooling3D",
    "native",
    "keras.layers.AdaptiveMaxPooling3D",
    native("keras.layers.AdaptiveMaxPooling3D"),
)
_add(
    "layers",
    "Sparsemax",
    "shim",
    "keras.layers.Activation('sparsemax')",
    value(lambda axis=-1, **kw: keras.layers.Activation("sparsemax", **kw)),
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
