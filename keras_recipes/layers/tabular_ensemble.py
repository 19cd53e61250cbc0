"""Parameter-efficient ensembling layers (TabM-mini).

"TabM: Advancing Tabular Deep Learning with Parameter-Efficient Ensembling"
(Gorishniy, Kotelnikov, Babenko, 2024; yandex-research/tabm): `k` members
share one MLP; each member sees the input multiplied by its own scaling
vector (`EnsembleScale`) and has its own output layer (`EnsembleDense`).
Members are trained each with its own loss and their predictions averaged
(`EnsembleMean`). All three are plain `keras.ops`, so they export to ONNX.
"""

import keras

from keras_recipes import validation


@keras.saving.register_keras_serializable(package="keras_recipes")
class EnsembleScale(keras.layers.Layer):
    """`(batch, d)` -> `(batch, k, d)`: the input scaled by each member's vector.

    The vectors start at random signs (+1/-1), as in TabM-mini, so the
    members differ from the first step although they share every other
    weight.

    Args:
        ensemble_size: number of members `k`.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> layer = EnsembleScale(4)
    >>> tuple(layer(keras.ops.ones((2, 3))).shape)
    (2, 4, 3)
    """

    def __init__(self, ensemble_size, **kwargs):
        super().__init__(**kwargs)
        self.ensemble_size = validation.check_size(
            "ensemble_size", ensemble_size, validation.MAX_UNITS
        )

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale",
            shape=(self.ensemble_size, int(input_shape[-1])),
            initializer=_random_signs,
        )

    def call(self, inputs):
        x = keras.ops.expand_dims(keras.ops.cast(inputs, self.compute_dtype), 1)
        return x * self.scale

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.ensemble_size, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["ensemble_size"] = self.ensemble_size
        return config


def _random_signs(shape, dtype=None):
    draw = keras.random.uniform(shape, minval=-1.0, maxval=1.0, dtype=dtype)
    return keras.ops.where(draw >= 0, 1.0, -1.0)


@keras.saving.register_keras_serializable(package="keras_recipes")
class EnsembleDense(keras.layers.Layer):
    """`(batch, k, d)` -> `(batch, k, units)`: one `Dense` per member.

    Args:
        ensemble_size: number of members `k`.
        units: output size per member.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> layer = EnsembleDense(4, units=2)
    >>> tuple(layer(keras.ops.ones((5, 4, 3))).shape)
    (5, 4, 2)
    """

    def __init__(self, ensemble_size, units, **kwargs):
        super().__init__(**kwargs)
        self.ensemble_size = validation.check_size(
            "ensemble_size", ensemble_size, validation.MAX_UNITS
        )
        self.units = validation.check_size("units", units, validation.MAX_UNITS)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        limit = fan_in**-0.5
        init = keras.initializers.RandomUniform(-limit, limit)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.ensemble_size, fan_in, self.units),
            initializer=init,
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.ensemble_size, self.units), initializer=init
        )

    def call(self, inputs):
        x = keras.ops.transpose(keras.ops.cast(inputs, self.compute_dtype), (1, 0, 2))
        out = keras.ops.transpose(keras.ops.matmul(x, self.kernel), (1, 0, 2))
        return out + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.ensemble_size, self.units)

    def get_config(self):
        config = super().get_config()
        config.update({"ensemble_size": self.ensemble_size, "units": self.units})
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class EnsembleMean(keras.layers.Layer):
    """`(batch, k, c)` -> `(batch, c)`: the members' mean prediction.

    In a training call it also keeps the members' predictions in
    `member_outputs`, so the task's `compute_loss` can give every member its
    own loss (TabM trains members independently); `None` otherwise.

    Args:
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> layer = EnsembleMean()
    >>> tuple(layer(keras.ops.ones((5, 4, 3))).shape)
    (5, 3)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.member_outputs = None

    def call(self, inputs, training=None):
        self.member_outputs = inputs if training else None
        return keras.ops.mean(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
