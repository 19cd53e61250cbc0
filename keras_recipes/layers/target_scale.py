"""`kr.layers.TargetScale`: a regressor's outputs in the target's units."""

import keras
from keras import ops

from keras_recipes import validation


def check_target_stats(mean, std, log):
    """Checks per-target `mean`, `std` (> 0) and `log` flags of equal length.

    Returns:
        `(mean, std, log)` as lists of floats, floats and bools.

    Example:

    >>> check_target_stats([1.0], [2.0], [False])
    ([1.0], [2.0], [False])
    """
    values = {"mean": mean, "std": std, "log": log}
    for name, value in values.items():
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(
                f"`{name}` must be a non-empty list with one value per target. "
                f"Received: {name}={value!r}"
            )
    if not len(mean) == len(std) == len(log):
        raise ValueError(
            "`mean`, `std` and `log` must have one value per target each. "
            f"Received: mean={list(mean)}, std={list(std)}, log={list(log)}"
        )
    mean = [validation.check_float("mean", m) for m in mean]
    std = [validation.check_float("std", s, minimum=0.0) for s in std]
    if 0.0 in std:
        raise ValueError(f"`std` must be > 0. Received: std={std}")
    for flag in log:
        if not isinstance(flag, bool):
            raise TypeError(f"`log` must hold booleans. Received: log={list(log)}")
    return [float(m) for m in mean], [float(s) for s in std], list(log)


@keras.saving.register_keras_serializable(package="keras_recipes")
class TargetScale(keras.layers.Layer):
    """Maps standardized predictions back to the target's units.

    A regressor's last `Dense` predicts `z`, the target standardized with
    statistics of the training targets; this layer returns
    `z * std + mean`, passed through `expm1` for targets trained on the
    `log1p` scale. The statistics are constructor arguments, so a saved or
    exported model predicts in the user's units.

    Args:
        mean: list, per target, of the mean of the (possibly `log1p`)
            training targets.
        std: list of their standard deviations (> 0).
        log: list of booleans: whether each target was trained on the
            `log1p` scale.
        **kwargs: base layer keyword arguments (`name`, `dtype`).

    Example:

    >>> import numpy as np
    >>> layer = TargetScale(mean=[10.0], std=[2.0], log=[False])
    >>> np.asarray(layer(np.array([[0.0], [1.0]], "float32"))).ravel().tolist()
    [10.0, 12.0]
    """

    def __init__(self, mean, std, log, **kwargs):
        super().__init__(**kwargs)
        self.mean, self.std, self.log = check_target_stats(mean, std, log)

    def call(self, inputs):
        dtype = inputs.dtype
        mean = ops.convert_to_tensor(self.mean, dtype=dtype)
        std = ops.convert_to_tensor(self.std, dtype=dtype)
        values = inputs * std + mean
        if any(self.log):
            # Clipped so a wild prediction saturates instead of overflowing.
            exp = ops.expm1(ops.minimum(values, 80.0))
            flags = ops.convert_to_tensor(self.log)
            values = ops.where(flags, exp, values)
        return values

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"mean": self.mean, "std": self.std, "log": self.log})
        return config
