"""`kr.layers`: custom Keras 3 layers, registered under "keras_recipes"."""

from keras_recipes.layers.conv_blocks import ResidualBlock
from keras_recipes.layers.conv_blocks import SqueezeExcitation

__all__ = ["ResidualBlock", "SqueezeExcitation"]
