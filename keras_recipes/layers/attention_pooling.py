"""`AttentionPooling`: masked additive attention pooling over time."""

import keras
from keras import ops

from keras_recipes import validation


@keras.saving.register_keras_serializable(package="keras_recipes")
class AttentionPooling(keras.layers.Layer):
    """Pools a sequence into one vector with learned, masked attention weights.

    Additive attention (Yang et al., 2016, "Hierarchical Attention Networks"):
    each timestep gets the score `v . tanh(W h_t + b)`, the scores go through a
    softmax over time and the output is the weighted sum of the timesteps,
    `(batch, time, features) -> (batch, features)`.

    Padded timesteps (where the Keras mask, or the `mask` argument, is
    `False`) get a weight of exactly 0, so padding never changes the output.
    A sequence that is entirely masked pools to a vector of zeros (not NaN).
    The scores are computed in float32, also under mixed precision.

    Args:
        units: width of the hidden scoring layer `W`; defaults to the number
            of input features.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a `(batch, time, features)` tensor.
        mask: optional boolean `(batch, time)` mask; `True` marks real steps.
            Filled in automatically after a masking layer such as
            `Embedding(mask_zero=True)`.

    Example:

    >>> import numpy as np
    >>> layer = AttentionPooling(units=4)
    >>> x = np.random.rand(2, 5, 3).astype("float32")
    >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    >>> tuple(layer(x, mask=mask).shape)
    (2, 3)
    >>> x_changed = x.copy()
    >>> x_changed[0, 3:] = 100.0  # padded steps do not change the output
    >>> bool(np.allclose(layer(x, mask=mask), layer(x_changed, mask=mask)))
    True
    """

    def __init__(self, units=None, **kwargs):
        super().__init__(**kwargs)
        if units is not None:
            validation.check_int("units", units, minimum=1)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "`AttentionPooling` expects inputs of shape (batch, time, "
                f"features) with known features. Received: input_shape={input_shape}"
            )
        features = int(input_shape[-1])
        units = features if self.units is None else int(self.units)
        self.kernel = self.add_weight(
            name="kernel", shape=(features, units), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")
        self.context = self.add_weight(
            name="context", shape=(units,), initializer="glorot_uniform"
        )

    def call(self, inputs, mask=None):
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        scores = ops.cast(
            ops.sum(hidden * self.context, axis=-1), "float32"
        )  # (batch, time)
        if mask is not None:
            mask = ops.cast(mask, "float32")
            scores = scores + (1.0 - mask) * -1e9
        weights = ops.softmax(scores, axis=-1)
        if mask is not None:
            # exp(-1e9) is exactly 0 in float32; this also zeroes rows that are
            # entirely masked (their softmax is uniform over padding).
            weights = weights * mask
            total = ops.sum(weights, axis=-1, keepdims=True)
            weights = weights / ops.maximum(total, 1e-9)
        weights = ops.cast(weights, inputs.dtype)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None  # the time axis is pooled away

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config
