"""Convolutional building blocks: squeeze-excitation and residual blocks."""

import keras
from keras import ops

from keras_recipes import validation
from keras_recipes.layers.fast_conv import FastConv2D
from keras_recipes.utils import BN_MOMENTUM


@keras.saving.register_keras_serializable(package="keras_recipes")
class SqueezeExcitation(keras.layers.Layer):
    """Squeeze-and-excitation channel attention (Hu et al., 2018).

    Global-average-pools each channel, passes the result through a small
    bottleneck MLP and rescales the channels by the sigmoid output.

    Args:
        ratio: bottleneck ratio, in `(0, 1]`: the hidden width is
            `max(1, int(channels * ratio))`.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Example:

    >>> import numpy as np
    >>> layer = SqueezeExcitation(ratio=0.25)
    >>> tuple(layer(np.ones((2, 4, 4, 8), "float32")).shape)
    (2, 4, 4, 8)
    """

    def __init__(self, ratio=0.25, **kwargs):
        super().__init__(**kwargs)
        validation.check_float("ratio", ratio)
        if not 0 < ratio <= 1:
            raise ValueError(f"`ratio` must be in (0, 1]. Received: ratio={ratio}")
        self.ratio = ratio

    def build(self, input_shape):
        channels = int(input_shape[-1])
        hidden = max(1, int(channels * self.ratio))
        self.reduce = keras.layers.Dense(hidden, activation="silu", name="reduce")
        self.expand = keras.layers.Dense(channels, activation="sigmoid", name="expand")
        self.reduce.build((input_shape[0], channels))
        self.expand.build((input_shape[0], hidden))

    def call(self, inputs):
        squeezed = ops.mean(inputs, axis=(1, 2))
        scale = self.expand(self.reduce(squeezed))
        return inputs * ops.expand_dims(ops.expand_dims(scale, 1), 1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"ratio": self.ratio})
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class ResidualBlock(keras.layers.Layer):
    """A pre-activation-free ResNet basic block with optional squeeze-excitation.

    `conv3x3(strides) -> BN -> act -> conv3x3 -> BN -> [SE] -> + shortcut -> act`.
    The shortcut is a strided 1x1 conv + BN when the shape changes. The
    convolutions are `FastConv2D` (Keras' `Conv2D` with a faster CPU
    training gradient).

    Args:
        filters: output channels (positive integer).
        strides: stride of the first convolution (1 or 2).
        se_ratio: squeeze-excitation ratio, or `None`/0 to disable.
        activation: activation name.
        **kwargs: base layer keyword arguments.

    Example:

    >>> import numpy as np
    >>> block = ResidualBlock(16, strides=2)
    >>> tuple(block(np.ones((1, 8, 8, 3), "float32")).shape)
    (1, 4, 4, 16)
    """

    def __init__(self, filters, strides=1, se_ratio=0.25, activation="relu", **kwargs):
        super().__init__(**kwargs)
        validation.check_int("filters", filters, minimum=1)
        validation.check_choice("strides", strides, (1, 2))
        if se_ratio is not None and se_ratio != 0:
            validation.check_float("se_ratio", se_ratio, minimum=0.0, maximum=1.0)
        self.filters = filters
        self.strides = strides
        self.se_ratio = se_ratio
        self.activation = activation
        self._act = keras.activations.get(activation)

    def build(self, input_shape):
        filters, strides = int(self.filters), int(self.strides)
        # FastConv2D = keras.layers.Conv2D with a faster CPU training
        # gradient (same weights and outputs); see its docstring.
        self.conv1 = FastConv2D(
            filters, 3, strides=strides, padding="same", use_bias=False, name="conv1"
        )
        self.bn1 = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name="bn1")
        self.conv2 = FastConv2D(
            filters, 3, padding="same", use_bias=False, name="conv2"
        )
        self.bn2 = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name="bn2")
        self.se = SqueezeExcitation(self.se_ratio, name="se") if self.se_ratio else None
        self.project = None
        if strides != 1 or int(input_shape[-1]) != filters:
            self.project = FastConv2D(
                filters, 1, strides=strides, use_bias=False, name="project"
            )
            self.project_bn = keras.layers.BatchNormalization(
                momentum=BN_MOMENTUM, name="project_bn"
            )
        self.conv1.build(input_shape)
        mid = self.conv1.compute_output_shape(input_shape)
        self.bn1.build(mid)
        self.conv2.build(mid)
        self.bn2.build(mid)
        if self.se is not None:
            self.se.build(mid)
        if self.project is not None:
            self.project.build(input_shape)
            self.project_bn.build(mid)

    def call(self, inputs, training=None):
        x = self.conv1(inputs, training=training)
        x = self._act(self.bn1(x, training=training))
        x = self.bn2(self.conv2(x, training=training), training=training)
        if self.se is not None:
            x = self.se(x)
        shortcut = inputs
        if self.project is not None:
            shortcut = self.project(inputs, training=training)
            shortcut = self.project_bn(shortcut, training=training)
        return self._act(x + shortcut)

    def compute_output_shape(self, input_shape):
        return self.conv1.compute_output_shape(input_shape)[:-1] + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "strides": self.strides,
                "se_ratio": self.se_ratio,
                "activation": self.activation,
            }
        )
        return config
