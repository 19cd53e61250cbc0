"""`FastConv2D`: `keras.layers.Conv2D` with faster training gradients on CPU."""

import functools

import keras
import tensorflow as tf

from keras_recipes import validation


@keras.saving.register_keras_serializable(package="keras_recipes")
class FastConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` whose training gradient is much faster on CPU.

    Same arguments, weights, outputs and config as `keras.layers.Conv2D`;
    only how the gradients are computed in training changes. TensorFlow's
    CPU kernels for them (`Conv2DBackpropInput`, `Conv2DBackpropFilter`)
    are slower than a forward convolution of the same size: measured on a
    2-core AMD EPYC (batch 32, 3x3 kernel), the input gradient 2.6x at
    8x8x128 and 10x at 2x2x128, so on small feature maps it can take more
    time than the rest of the training step together; the kernel gradient
    as a forward convolution makes a whole training step of the layer
    another 1.1x-1.3x faster (8x8x32 to 32x32x32). For a stride-1
    convolution both gradients ARE forward convolutions, so this layer
    computes them that way:
    - input gradient: the output gradient convolved with the kernel flipped
      spatially and its in/out channels swapped;
    - kernel gradient: the input, with batch and channels swapped, convolved
      with the output gradient as the kernel (batch as its input channels).
    Results match `Conv2D`'s gradients to float32 round-off.

    The fast path is used only when all of these hold, and the layer is
    exactly `keras.layers.Conv2D` otherwise: called with `training=True`
    (inference and exported graphs are untouched), the TensorFlow backend,
    no visible GPU (cuDNN's kernels do not have this problem), strides and
    dilation rate 1, `groups=1`, `data_format="channels_last"`, and
    `padding="valid"` or `padding="same"` with odd kernel sizes.
    `benchmarks/README.md` (Settled questions) records the speed-up per shape.

    Args:
        filters: number of output channels (positive integer).
        kernel_size: int or pair of ints.
        **kwargs: any other `keras.layers.Conv2D` argument (`strides`,
            `padding`, `use_bias`, `activation`, `name`, ...).

    Example:

    >>> import numpy as np
    >>> layer = FastConv2D(8, 3, padding="same")
    >>> x = np.ones((2, 6, 6, 4), "float32")
    >>> tuple(layer(x, training=True).shape)
    (2, 6, 6, 8)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        validation.check_int("filters", filters, minimum=1)
        super().__init__(filters, kernel_size, **kwargs)

    def _fast_gradient_applies(self):
        return (
            keras.backend.backend() == "tensorflow"
            and self.data_format == "channels_last"
            and tuple(self.strides) == (1, 1)
            and tuple(self.dilation_rate) == (1, 1)
            and self.groups == 1
            and (
                self.padding == "valid"
                or (self.padding == "same" and all(k % 2 for k in self.kernel_size))
            )
            and not _gpu_visible()
        )

    def call(self, inputs, training=None):
        if not (training and self._fast_gradient_applies()):
            return super().call(inputs)
        outputs = _conv2d_with_forward_gradients(inputs, self.kernel, self.padding)
        if self.use_bias:
            outputs = keras.ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


@functools.cache
def _gpu_visible():
    return bool(tf.config.list_logical_devices("GPU"))


def _conv2d_with_forward_gradients(inputs, kernel, padding):
    """Stride-1 NHWC conv whose two gradients are forward convolutions."""

    tf_padding = padding.upper()

    @tf.custom_gradient
    def conv(x, w):
        y = tf.nn.conv2d(x, w, strides=1, padding=tf_padding)

        def grad(dy):
            # d(loss)/dx = full correlation of dy with the flipped,
            # channel-transposed kernel: "same" padding (odd kernel) keeps
            # the size; "valid" needs dy padded by kernel_size - 1.
            flipped = tf.transpose(tf.reverse(w, axis=[0, 1]), [0, 1, 3, 2])
            if tf_padding == "VALID":
                kh, kw = w.shape[0], w.shape[1]
                dy_in = tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]])
            else:
                dy_in = dy
            dx = tf.nn.conv2d(dy_in, flipped, strides=1, padding=tf_padding)
            return dx, _kernel_gradient(x, dy, w.shape, tf_padding)

        return y, grad

    # A tensor, not the variable: read outside, so the gradient reaches the
    # variable through the read (custom_gradient would ask for `variables`).
    return conv(inputs, tf.convert_to_tensor(kernel))


def _kernel_gradient(x, dy, kernel_shape, tf_padding):
    """d(loss)/d(kernel) of a stride-1 NHWC conv, as one forward convolution.

    dw[i, j, c, o] = sum over n, h, w of x_padded[n, h + i, w + j, c] *
    dy[n, h, w, o]: a "valid" convolution of x_padded laid out as
    (channels, height, width, batch) with dy laid out as the kernel
    (height, width, batch, out channels); its (c, i, j, o) output is
    transposed to the kernel's (i, j, c, o).
    """

    kh, kw = int(kernel_shape[0]), int(kernel_shape[1])
    # "same" (odd kernel sizes only) pads x symmetrically; the convolution
    # pads it itself (explicit padding: no padded copy of x).
    rows, cols = (kh // 2, kw // 2) if tf_padding == "SAME" else (0, 0)
    dw = tf.nn.conv2d(
        tf.transpose(x, [3, 1, 2, 0]),
        tf.transpose(dy, [1, 2, 0, 3]),
        strides=1,
        padding=[[0, 0], [rows, rows], [cols, cols], [0, 0]],
    )
    return tf.transpose(dw, [1, 2, 0, 3])
