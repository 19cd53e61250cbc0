"""Tabular feature layers: imputed normalization, category lookup and cross.

The layers `kr.tasks.TabularClassifier` puts between its raw column inputs
and its embeddings/MLP; plain `keras.ops`, so they export to ONNX.
"""

import math

import keras
import numpy as np

from keras_recipes import validation


@keras.saving.register_keras_serializable(package="keras_recipes")
class ImputedNormalization(keras.layers.Layer):
    """Imputes missing (NaN) values, standardises, and flags what was missing.

    `(x - mean) / sqrt(variance)` after replacing NaN by `fill_value`; with
    `missing_indicator=True` a second feature holds 1.0 where the raw value
    was missing. Takes `(batch,)` or `(batch, 1)` and returns
    `(batch, 1)` or `(batch, 2)`.

    Args:
        mean: mean of the training values.
        variance: variance of the training values (0 is treated as 1).
        fill_value: value that replaces NaN; defaults to `mean`.
        missing_indicator: append a missing-value indicator feature.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> layer = ImputedNormalization(mean=2.0, variance=4.0,
    ...                              missing_indicator=True)
    >>> keras.ops.convert_to_numpy(layer(np.array([4.0, np.nan]))).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(
        self,
        mean=0.0,
        variance=1.0,
        fill_value=None,
        missing_indicator=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.check_float("mean", mean)
        validation.check_float("variance", variance, minimum=0.0)
        if fill_value is not None:
            validation.check_float("fill_value", fill_value)
        self.mean = mean
        self.variance = variance
        self.fill_value = fill_value
        self.missing_indicator = bool(missing_indicator)

    def call(self, inputs):
        x = keras.ops.reshape(keras.ops.cast(inputs, self.compute_dtype), (-1, 1))
        missing = keras.ops.isnan(x)
        fill = float(self.mean if self.fill_value is None else self.fill_value)
        x = keras.ops.where(missing, keras.ops.full_like(x, fill), x)
        scale = math.sqrt(float(self.variance)) or 1.0
        x = (x - float(self.mean)) / scale
        if self.missing_indicator:
            flag = keras.ops.cast(missing, self.compute_dtype)
            x = keras.ops.concatenate([x, flag], axis=-1)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 if self.missing_indicator else 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mean": self.mean,
                "variance": self.variance,
                "fill_value": self.fill_value,
                "missing_indicator": self.missing_indicator,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class CategoryCross(keras.layers.Layer):
    """Exact cross of two categorical index columns: `a * num_b + b`.

    Both inputs are lookup indices (OOV = 0); the output is one index in
    `[0, num_a * num_b)` for the pair, to feed an `Embedding`.

    Args:
        num_b: number of indices (vocabulary + OOV) of the second input.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> cross = CategoryCross(num_b=3)
    >>> keras.ops.convert_to_numpy(cross([np.array([0, 2]), np.array([1, 2])]))
    array([1, 8])
    """

    def __init__(self, num_b, **kwargs):
        super().__init__(**kwargs)
        self.num_b = validation.check_int("num_b", num_b, minimum=1)

    def call(self, inputs):
        a, b = inputs
        a = keras.ops.cast(a, "int64")
        b = keras.ops.cast(b, "int64")
        return a * self.num_b + b

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs[0].shape, dtype="int64")

    def get_config(self):
        config = super().get_config()
        config["num_b"] = self.num_b
        return config


@keras.saving.register_keras_serializable(package="keras_recipes")
class IntegerCategoryLookup(keras.layers.Layer):
    """Maps integer categories to indices `1..n`; anything else maps to 0 (OOV).

    Same result as `keras.layers.IntegerLookup(vocabulary, num_oov_indices=1,
    mask_token=None)`, but written with `keras.ops` comparisons instead of a
    hash table: tf2onnx converts only string<->int64 tables, so the table
    version made every tabular model with an integer-categorical column
    (the penguins' `year`) fail ONNX export. Cost: one `(batch, n)` boolean
    comparison per column, negligible for categorical vocabularies.

    Args:
        vocabulary: the distinct integer categories, in index order.
        **kwargs: `keras.layers.Layer` keyword arguments.

    Example:

    >>> lookup = IntegerCategoryLookup(vocabulary=[2007, 2008, 2009])
    >>> keras.ops.convert_to_numpy(lookup(np.array([2009, 2007, 1999])))
    array([3, 1, 0])
    """

    def __init__(self, vocabulary, **kwargs):
        super().__init__(**kwargs)
        values = [int(v) for v in vocabulary]
        if not values or len(set(values)) != len(values):
            raise ValueError(
                "`vocabulary` must be a non-empty list of distinct integers. "
                f"Received: vocabulary={list(vocabulary)!r}"
            )
        self.vocabulary = values
        self._values = np.asarray(values, "int64")
        self._positions = np.arange(1, len(values) + 1, dtype="int64")

    def call(self, inputs):
        x = keras.ops.expand_dims(keras.ops.cast(inputs, "int64"), -1)
        hits = keras.ops.equal(x, self._values)
        return keras.ops.sum(keras.ops.where(hits, self._positions, 0), axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="int64")

    def get_config(self):
        config = super().get_config()
        config["vocabulary"] = self.vocabulary
        return config
