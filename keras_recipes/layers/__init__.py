"""`kr.layers`: custom Keras 3 layers, registered under "keras_recipes"."""

from keras_recipes.layers.attention_pooling import AttentionPooling
from keras_recipes.layers.conv_blocks import ResidualBlock
from keras_recipes.layers.conv_blocks import SqueezeExcitation
from keras_recipes.layers.fast_conv import FastConv2D
from keras_recipes.layers.stochastic_depth import StochasticDepth
from keras_recipes.layers.tabular_features import CategoryCross
from keras_recipes.layers.tabular_features import ImputedNormalization
from keras_recipes.layers.tabular_features import IntegerCategoryLookup
from keras_recipes.layers.target_scale import TargetScale
from keras_recipes.layers.transformer import TokenAndPositionEmbedding
from keras_recipes.layers.transformer import TransformerDecoder
from keras_recipes.layers.transformer import TransformerEncoder
from keras_recipes.layers.weight_normalization import WeightNormalization

__all__ = [
    "AttentionPooling",
    "ResidualBlock",
    "SqueezeExcitation",
    "TokenAndPositionEmbedding",
    "TransformerDecoder",
    "TransformerEncoder",
]
__all__ += ["FastConv2D", "StochasticDepth", "WeightNormalization"]
__all__ += ["CategoryCross", "ImputedNormalization", "IntegerCategoryLookup"]
__all__ += ["TargetScale"]
