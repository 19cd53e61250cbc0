"""Weight normalization wrapper for Dense and convolution layers."""

import keras
from keras import ops

SUPPORTED = (
    keras.layers.Dense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
)


@keras.saving.register_keras_serializable(package="keras_recipes")
class WeightNormalization(keras.layers.Wrapper):
    """Weight normalization (Salimans & Kingma, 2016) of a Dense/Conv layer.

    Reparameterises the wrapped layer's kernel as `w = g * v / ||v||`, with
    the norm taken per output unit, so the direction `v` (the wrapped layer's
    own `kernel`) and the length `g` are learned separately. The output is
    computed exactly as the wrapped layer would with kernel `w`: its bias and
    activation are applied after the normalised product. `g` starts at
    `||v||`, so a freshly wrapped layer computes the same function as the
    bare layer.

    Args:
        layer: a `keras.layers.Dense` or `Conv1D`/`Conv2D`/`Conv3D` layer
            (not yet built).
        **kwargs: base layer keyword arguments.

    Example:

    >>> import numpy as np
    >>> layer = WeightNormalization(keras.layers.Dense(3, activation="relu"))
    >>> tuple(layer(np.ones((2, 5), "float32")).shape)
    (2, 3)
    >>> tuple(layer.g.shape)
    (3,)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, keras.layers.Layer):
            raise TypeError(
                "`layer` must be a keras.layers.Dense or Conv1D/2D/3D layer. "
                f"Received: layer={layer!r}"
            )
        if not isinstance(layer, SUPPORTED) or isinstance(
            layer,
            keras.layers.Conv1DTranspose
            | keras.layers.Conv2DTranspose
            | keras.layers.Conv3DTranspose,
        ):
            raise ValueError(
                "`layer` must be a Dense or Conv1D/Conv2D/Conv3D layer. "
                f"Received: layer={type(layer).__name__}"
            )
        super().__init__(layer, **kwargs)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = self.layer.kernel
        self._axes = tuple(range(len(kernel.shape) - 1))
        units = int(kernel.shape[-1])
        self.g = self.add_weight(
            name="g", shape=(units,), initializer="ones", trainable=True
        )
        self.g.assign(ops.sqrt(ops.sum(ops.square(kernel), axis=self._axes)))
        self.built = True

    def call(self, inputs):
        kernel = self.layer.kernel
        norm = ops.sqrt(ops.sum(ops.square(kernel), axis=self._axes) + 1e-12)
        scale = self.g / norm
        if isinstance(self.layer, keras.layers.Dense):
            outputs = ops.matmul(inputs, kernel)
        else:
            outputs = self.layer.convolution_op(inputs, kernel)
        if isinstance(self.layer, keras.layers.Dense) or (
            self.layer.data_format == "channels_last"
        ):
            outputs = outputs * ops.cast(scale, outputs.dtype)
            if self.layer.bias is not None:
                outputs = outputs + self.layer.bias
        else:
            shape = (1, -1) + (1,) * (len(outputs.shape) - 2)
            outputs = outputs * ops.reshape(ops.cast(scale, outputs.dtype), shape)
            if self.layer.bias is not None:
                outputs = outputs + ops.reshape(self.layer.bias, shape)
        if self.layer.activation is not None:
            outputs = self.layer.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return super().get_config()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # keras.layers.Wrapper.from_config pops "layer" from the caller's dict.
        return super().from_config(dict(config), custom_objects=custom_objects)
