"""`tfa.activations` in Keras 3: the shims and the rows of the table."""

import keras

from keras_recipes.addons._base import adder
from keras_recipes.addons._base import native
from keras_recipes.addons._base import value

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {}
_add = adder(ENTRIES)


def _lisht(x):
    """TFA `lisht`: `x * tanh(x)`."""
    return x * keras.ops.tanh(x)


def _snake(x, frequency=1.0):
    """TFA `snake`: `x + sin(f x)^2 / f`."""
    return x + keras.ops.square(keras.ops.sin(frequency * x)) / frequency


def _gelu(x, approximate=True):
    """TFA `gelu` (approximate by default) -> `keras.activations.gelu`."""
    return keras.activations.gelu(x, approximate=approximate)


_add(
    "activations",
    "gelu",
    "shim",
    "keras.activations.gelu(approximate=True)",
    value(_gelu),
)
_add(
    "activations",
    "mish",
    "native",
    "keras.activations.mish",
    native("keras.activations.mish"),
)
_add(
    "activations",
    "hardshrink",
    "native",
    "keras.activations.hard_shrink",
    native("keras.activations.hard_shrink"),
)
_add(
    "activations",
    "softshrink",
    "native",
    "keras.activations.soft_shrink",
    native("keras.activations.soft_shrink"),
)
_add(
    "activations",
    "tanhshrink",
    "native",
    "keras.activations.tanh_shrink",
    native("keras.activations.tanh_shrink"),
)
_add(
    "activations",
    "sparsemax",
    "native",
    "keras.activations.sparsemax",
    native("keras.activations.sparsemax"),
)
_add("activations", "lisht", "shim", "x * keras.ops.tanh(x)", value(_lisht))
_add("activations", "snake", "shim", "x + sin(f x)^2 / f", value(_snake))
_add(
    "activations",
    "rrelu",
    "removed",
    "keras.layers.LeakyReLU (randomised slopes are not carried over)",
)
