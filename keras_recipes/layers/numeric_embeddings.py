"""Piecewise-linear embeddings of numeric columns.

"On Embeddings for Numerical Features in Tabular Deep Learning" (Gorishniy,
Rubachev, Babenko, 2022): each scalar is encoded over quantile bins of its
training values (1 for bins below it, 0 above, its position inside its own
bin), then mapped by its own linear layer to a vector. The bins are
computed from the training data by the tabular preprocessor and passed as
plain JSON edges, so they live in the config.
"""

import keras
import numpy as np

from keras_recipes import validation

# Stands in for "unbounded" in the first and last bin (finite: ONNX-safe).
_BIG = 1e9


@keras.saving.register_keras_serializable(package="keras_recipes")
class PiecewiseLinearEmbedding(keras.layers.Layer):
    """Piecewise-linear encoding of F numeric values, one linear map each.

    Input `(batch, C)` of standardized numeric features; `columns` picks the
    F of them to embed (the others, such as missing-value flags, are
    ignored). Value `x` of feature `f` with edges `e_0 < ... < e_n` becomes
    `n` numbers `(x - e_{t-1}) / (e_t - e_{t-1})`, clipped to `[0, 1]`
    except below the first and above the last edge, then `units` numbers by
    the feature's own `Dense`. Output `(batch, F * units)`.

    Args:
        edges: one list of increasing bin edges per embedded feature (in the
            units of the input).
        units: embedding size per feature.
        columns: input column of each feature; defaults to `0..F-1`.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> layer = PiecewiseLinearEmbedding([[0.0, 1.0, 2.0]], units=4)
    >>> tuple(layer(np.array([[0.5], [3.0]], "float32")).shape)
    (2, 4)
    """

    def __init__(self, edges, units=16, columns=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(edges, list | tuple) or not edges:
            raise ValueError(
                "`edges` must be a non-empty list of bin-edge lists. "
                f"Received: edges={validation._short(edges)}"
            )
        clean = []
        for i, e in enumerate(edges):
            values = [float(v) for v in e] if isinstance(e, list | tuple) else []
            if len(values) < 2 or np.any(np.diff(values) <= 0):
                raise ValueError(
                    f"`edges[{i}]` must hold at least 2 increasing numbers. "
                    f"Received: {validation._short(e)}"
                )
            clean.append(values)
        self.units = validation.check_size("units", units, validation.MAX_UNITS)
        if columns is None:
            columns = list(range(len(clean)))
        if not isinstance(columns, list | tuple) or len(columns) != len(clean):
            raise ValueError(
                f"`columns` must list one input column per feature ({len(clean)}). "
                f"Received: columns={columns!r}"
            )
        self.edges = clean
        self.columns = [validation.check_int("columns", c, minimum=0) for c in columns]
        # Padded to the most bins; padded bins have zero weight (`mask`).
        num_features, num_bins = len(clean), max(len(e) - 1 for e in clean)
        left = np.zeros((num_features, num_bins), "float32")
        width = np.ones((num_features, num_bins), "float32")
        low = np.zeros((num_features, num_bins), "float32")
        high = np.ones((num_features, num_bins), "float32")
        mask = np.zeros((num_features, num_bins), "float32")
        for f, e in enumerate(clean):
            n = len(e) - 1
            left[f, :n] = e[:-1]
            width[f, :n] = np.diff(e)
            mask[f, :n] = 1.0
            low[f, 0] = -_BIG
            high[f, n - 1] = _BIG
        self._left, self._width = left, width
        self._low, self._high, self._mask = low, high, mask
        self.num_features, self.num_bins = num_features, num_bins

    def build(self, input_shape):
        fan_in = float(self.num_bins)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.num_features, self.num_bins, self.units),
            initializer=keras.initializers.RandomUniform(-(fan_in**-0.5), fan_in**-0.5),
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.num_features, self.units),
            initializer=keras.initializers.RandomUniform(-(fan_in**-0.5), fan_in**-0.5),
        )

    def call(self, inputs):
        x = keras.ops.cast(inputs, self.compute_dtype)
        x = keras.ops.take(x, np.asarray(self.columns, "int32"), axis=1)
        x = keras.ops.expand_dims(x, -1)  # (batch, F, 1)
        encoded = (x - self._left) / self._width
        encoded = keras.ops.minimum(keras.ops.maximum(encoded, self._low), self._high)
        encoded = encoded * self._mask  # (batch, F, B)
        # Per-feature linear map: (F, batch, B) @ (F, B, units).
        out = keras.ops.matmul(keras.ops.transpose(encoded, (1, 0, 2)), self.kernel)
        out = keras.ops.transpose(out, (1, 0, 2)) + self.bias
        return keras.ops.reshape(out, (-1, self.num_features * self.units))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_features * self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"edges": self.edges, "units": self.units, "columns": self.columns}
        )
        return config
