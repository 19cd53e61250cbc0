"""Stochastic depth (drop-path) for residual branches."""

import keras
from keras import ops

from keras_recipes import validation


@keras.saving.register_keras_serializable(package="keras_recipes")
class StochasticDepth(keras.layers.Layer):
    """Stochastic depth / drop-path (Huang et al., 2016).

    In training, drops a whole residual branch per sample with probability
    `rate` and scales the kept branches by `1 / (1 - rate)`, so nothing
    changes at inference (inverted scaling, as in timm and KerasHub).

    Called on one tensor it returns the dropped-path branch; called on a
    `[shortcut, residual]` pair (the TF Addons convention) it returns
    `shortcut + drop_path(residual)`.

    Args:
        rate: probability of dropping the branch, in `[0, 1)`.
        seed: optional integer seed of the drop mask.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Example:

    >>> import numpy as np
    >>> layer = StochasticDepth(rate=0.2)
    >>> x = np.ones((4, 3), "float32")
    >>> bool((layer([x, x]) == 2.0).numpy().all())  # inference: identity
    True
    >>> out = layer(x, training=True).numpy()  # rows are 0 or 1 / 0.8
    >>> sorted({round(float(v), 2) for v in out.ravel()}) in ([0.0, 1.25],
    ...                                                        [0.0], [1.25])
    True
    """

    def __init__(self, rate=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        validation.check_float("rate", rate)
        if not 0 <= rate < 1:
            raise ValueError(f"`rate` must be in [0, 1). Received: rate={rate}")
        if seed is not None:
            validation.check_int("seed", seed, minimum=0)
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def _drop(self, x, training):
        if not training or self.rate == 0:
            return x
        keep = 1.0 - float(self.rate)
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        mask = keras.random.uniform(shape, seed=self.seed_generator, dtype=x.dtype)
        mask = ops.cast(mask < keep, x.dtype)
        return x * mask / keep

    def call(self, inputs, training=None):
        if isinstance(inputs, list | tuple):
            if len(inputs) != 2:
                raise ValueError(
                    "`StochasticDepth` takes one tensor or a [shortcut, residual] "
                    f"pair. Received: {len(inputs)} inputs"
                )
            shortcut, residual = inputs
            return shortcut + self._drop(residual, training)
        return self._drop(inputs, training)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and isinstance(input_shape[0], tuple | list):
            return tuple(input_shape[0])
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
