"""`kr.regularizers`: soft orthogonality and scheduled L1/L2.

String identifiers resolve through `get()`, which names the valid choices
(with a did-you-mean hint) on a typo.
"""

import keras
from keras import ops

from keras_recipes import validation

MODES = ("rows", "columns")


@keras.saving.register_keras_serializable(package="keras_recipes")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Soft orthogonality penalty for Dense *and* convolution kernels.

    `factor * mean((W^T W - I) ** 2)` over the off-diagonal and diagonal
    entries, where `W` is the kernel reshaped to
    `(fan_in, units)`: with `mode="columns"` the output units are pushed
    towards orthonormal directions, with `mode="rows"` the input rows are.
    Unlike `keras.regularizers.OrthogonalRegularizer` (rank-2 kernels only,
    unit-normalised rows) this accepts convolution kernels of any rank and
    also penalises the norms.

    Args:
        factor: penalty weight (>= 0).
        mode: `"columns"` (default, one vector per output unit) or `"rows"`.

    Example:

    >>> import numpy as np
    >>> reg = OrthogonalRegularizer(factor=1.0)
    >>> float(reg(np.eye(3, dtype="float32")))
    0.0
    >>> float(reg(np.ones((3, 3, 2, 4), "float32"))) > 0
    True
    """

    def __init__(self, factor=0.01, mode="columns"):
        validation.check_float("factor", factor, minimum=0.0)
        validation.check_choice("mode", mode, MODES)
        self.factor = factor
        self.mode = mode

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        matrix = ops.reshape(x, (-1, x.shape[-1]))
        if self.mode == "rows":
            matrix = ops.transpose(matrix)
        gram = ops.matmul(ops.transpose(matrix), matrix)
        eye = ops.eye(gram.shape[0], dtype=gram.dtype)
        return float(self.factor) * ops.mean(ops.square(gram - eye))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


@keras.saving.register_keras_serializable(package="keras_recipes")
class ScheduledL1L2(keras.regularizers.Regularizer):
    """L1/L2 penalty whose strength follows a schedule over training steps.

    The penalty is `schedule(step) * (l1 * sum(|w|) + l2 * sum(w ** 2))`.
    `schedule` is any `keras.optimizers.schedules.LearningRateSchedule`
    (e.g. `kr.schedules.WarmupCosine` to ramp the penalty up, or Keras'
    `PolynomialDecay`), or `None` for a constant factor of 1 (plain L1L2).
    The step is a non-trainable variable kept in sync with the optimizer by
    `kr.callbacks.RegularizerScheduler` (add it to `fit`); without it the
    schedule stays at step 0. The step is not saved with the model: it is
    resynchronised at the start of the next `fit`.

    Args:
        l1: L1 factor (>= 0).
        l2: L2 factor (>= 0).
        schedule: `None` or a `LearningRateSchedule` giving the multiplier.

    Example:

    >>> import numpy as np
    >>> reg = ScheduledL1L2(l2=0.5)
    >>> float(reg(np.array([1.0, 2.0], "float32")))
    2.5
    """

    def __init__(self, l1=0.0, l2=0.0, schedule=None):
        validation.check_float("l1", l1, minimum=0.0)
        validation.check_float("l2", l2, minimum=0.0)
        if isinstance(schedule, dict):
            schedule = keras.optimizers.schedules.deserialize(schedule)
        if schedule is not None and not isinstance(
            schedule, keras.optimizers.schedules.LearningRateSchedule
        ):
            raise TypeError(
                "`schedule` must be None or a keras.optimizers.schedules."
                f"LearningRateSchedule. Received: schedule={schedule!r}"
            )
        self.l1 = l1
        self.l2 = l2
        self.schedule = schedule
        self.step = None
        if schedule is not None:
            self.step = keras.Variable(
                0, dtype="int64", trainable=False, name="regularizer_step"
            )

    def multiplier(self):
        """The current schedule factor (1.0 without a schedule)."""
        if self.schedule is None:
            return ops.convert_to_tensor(1.0)
        return ops.cast(self.schedule(self.step), "float32")

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty += float(self.l1) * ops.sum(ops.abs(x))
        if self.l2:
            penalty += float(self.l2) * ops.sum(ops.square(x))
        return penalty * ops.cast(self.multiplier(), x.dtype)

    def get_config(self):
        schedule = None
        if self.schedule is not None:
            schedule = keras.optimizers.schedules.serialize(self.schedule)
        return {"l1": self.l1, "l2": self.l2, "schedule": schedule}


NAMES = {
    "orthogonal": OrthogonalRegularizer,
    "scheduled_l1l2": ScheduledL1L2,
    "l1": lambda: keras.regularizers.L1(),
    "l2": lambda: keras.regularizers.L2(),
    "l1l2": lambda: keras.regularizers.L1L2(l1=0.01, l2=0.01),
    "l1_l2": lambda: keras.regularizers.L1L2(l1=0.01, l2=0.01),
}


def get(identifier):
    """Resolves a regularizer from a name, a config dict or an instance.

    Args:
        identifier: `None`, a regularizer instance, a config dict, or one of
            the names in `NAMES` (`"orthogonal"`, `"scheduled_l1l2"`, `"l1"`,
            `"l2"`, `"l1l2"`, `"l1_l2"`).

    Returns:
        A regularizer instance, or `None`.

    Example:

    >>> type(get("orthogonal")).__name__
    'OrthogonalRegularizer'
    >>> get("orthogonl")
    Traceback (most recent call last):
    ...
    ValueError: `identifier` must be one of ['l1', 'l1_l2', 'l1l2', 'l2', 'orthogonal', 'scheduled_l1l2']. Did you mean 'orthogonal'? Received: identifier='orthogonl'
    """  # noqa: E501
    if identifier is None or isinstance(identifier, keras.regularizers.Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return keras.regularizers.deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.lower()
        validation.check_choice(
            "identifier", key if key in NAMES else identifier, tuple(NAMES)
        )
        return NAMES[key]()
    if callable(identifier):
        return identifier
    raise TypeError(
        "`identifier` must be None, a name, a config dict or a regularizer. "
        f"Received: identifier={identifier!r}"
    )


__all__ = ["OrthogonalRegularizer", "ScheduledL1L2", "get"]
