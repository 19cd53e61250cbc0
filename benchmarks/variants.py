"""Earlier versions of the kit's code, patched back in for side-by-side runs."""

import contextlib

import keras
import tensorflow as tf

from keras_recipes.layers import conv_blocks
from keras_recipes.layers import fast_conv


@contextlib.contextmanager
def stock_conv2d():
    """`ResidualBlock`s built inside the context use `keras.layers.Conv2D`.

    The template before `FastConv2D` (same weights and outputs; TensorFlow's
    gradient kernels for both convolution gradients).
    """
    fast = conv_blocks.FastConv2D
    conv_blocks.FastConv2D = keras.layers.Conv2D
    try:
        yield
    finally:
        conv_blocks.FastConv2D = fast


@contextlib.contextmanager
def tf_kernel_gradient():
    """`FastConv2D` as before its kernel gradient became a forward convolution.

    Inside the context, layers traced take their kernel gradient from
    TensorFlow's `Conv2DBackpropFilter` (their input gradient stays a forward
    convolution). The choice is made when a function is traced, so trace
    (first call) inside the context; later calls keep it.
    """

    def backprop_filter(x, dy, kernel_shape, tf_padding):
        return tf.raw_ops.Conv2DBackpropFilter(
            input=x,
            filter_sizes=list(kernel_shape),
            out_backprop=dy,
            strides=[1, 1, 1, 1],
            padding=tf_padding,
        )

    fast = fast_conv._kernel_gradient
    fast_conv._kernel_gradient = backprop_filter
    try:
        yield
    finally:
        fast_conv._kernel_gradient = fast
