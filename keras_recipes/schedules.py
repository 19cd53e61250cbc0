"""`kr.schedules`: one-cycle, cyclical and warmup-cosine learning rates.

All are `keras.optimizers.schedules.LearningRateSchedule`s computed with
`keras.ops`, so they run inside the compiled train step and save with the
optimizer.
"""

import math

import keras
from keras import ops

from keras_recipes import validation

Schedule = keras.optimizers.schedules.LearningRateSchedule


def _cosine(start, end, fraction):
    return end + (start - end) * 0.5 * (1.0 + ops.cos(math.pi * fraction))


@keras.saving.register_keras_serializable(package="keras_recipes")
class OneCycle(Schedule):
    """One-cycle policy (Smith, 2018; fastai's `fit_one_cycle`).

    Warms up from `max_learning_rate / div_factor` to `max_learning_rate`
    over the first `pct_start` of `total_steps`, then anneals to
    `max_learning_rate / (div_factor * final_div_factor)`, with cosine
    (default) or linear curves. Past `total_steps` it stays at the final
    value.

    Args:
        max_learning_rate: peak learning rate (> 0).
        total_steps: number of optimizer steps of the cycle (>= 1).
        pct_start: fraction of the steps spent warming up, in `(0, 1)`.
        div_factor: initial LR = max / div_factor (>= 1).
        final_div_factor: final LR = initial / final_div_factor (>= 1).
        anneal: `"cos"` or `"linear"`.
        name: optional name.

    Example:

    >>> schedule = OneCycle(1e-2, total_steps=100, pct_start=0.25)
    >>> [round(float(schedule(s)), 5) for s in (0, 25, 100)]
    [0.0004, 0.01, 0.0]
    """

    def __init__(
        self,
        max_learning_rate,
        total_steps,
        pct_start=0.25,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal="cos",
        name="one_cycle",
    ):
        validation.check_float("max_learning_rate", max_learning_rate, minimum=0.0)
        if max_learning_rate <= 0:
            raise ValueError(
                "`max_learning_rate` must be > 0. "
                f"Received: max_learning_rate={max_learning_rate}"
            )
        validation.check_int("total_steps", total_steps, minimum=1)
        validation.check_float("pct_start", pct_start)
        if not 0 < pct_start < 1:
            raise ValueError(
                f"`pct_start` must be in (0, 1). Received: pct_start={pct_start}"
            )
        validation.check_float("div_factor", div_factor, minimum=1.0)
        validation.check_float("final_div_factor", final_div_factor, minimum=1.0)
        validation.check_choice("anneal", anneal, ("cos", "linear"))
        self.max_learning_rate = max_learning_rate
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal = anneal
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak = float(self.max_learning_rate)
        initial = peak / float(self.div_factor)
        final = initial / float(self.final_div_factor)
        total = float(self.total_steps)
        warm = max(1.0, round(total * float(self.pct_start)))
        up = ops.clip(step / warm, 0.0, 1.0)
        down = ops.clip((step - warm) / max(1.0, total - warm), 0.0, 1.0)
        if self.anneal == "cos":
            rising = _cosine(initial, peak, up)
            falling = _cosine(peak, final, down)
        else:
            rising = initial + (peak - initial) * up
            falling = peak + (final - peak) * down
        return ops.where(step < warm, rising, falling)

    def get_config(self):
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal": self.anneal,
            "name": self.name,
        }


CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")


@keras.saving.register_keras_serializable(package="keras_recipes")
class CyclicalLearningRate(Schedule):
    """Cyclical learning rate (Smith, 2017): triangular waves between bounds.

    The LR goes linearly from `initial_learning_rate` to
    `maximal_learning_rate` and back every `2 * step_size` steps. The wave
    amplitude is scaled per cycle by `mode`: `"triangular"` (constant),
    `"triangular2"` (halved each cycle) or `"exp_range"` (`gamma ** step`).
    Replaces TF Addons' `CyclicalLearningRate` family; `scale_fn` callables are
    replaced by `mode` so the schedule stays serializable.

    Args:
        initial_learning_rate: lower bound (>= 0).
        maximal_learning_rate: upper bound (> lower bound).
        step_size: steps per half cycle (>= 1).
        mode: `"triangular"`, `"triangular2"` or `"exp_range"`.
        gamma: decay base of `"exp_range"`, in `(0, 1]`.
        name: optional name.

    Example:

    >>> schedule = CyclicalLearningRate(1e-4, 1e-2, step_size=10)
    >>> [round(float(schedule(s)), 5) for s in (0, 5, 10, 20)]
    [0.0001, 0.00505, 0.01, 0.0001]
    """

    def __init__(
        self,
        initial_learning_rate,
        maximal_learning_rate,
        step_size,
        mode="triangular",
        gamma=1.0,
        name="cyclical_learning_rate",
    ):
        validation.check_float(
            "initial_learning_rate", initial_learning_rate, minimum=0.0
        )
        validation.check_float("maximal_learning_rate", maximal_learning_rate)
        if maximal_learning_rate <= initial_learning_rate:
            raise ValueError(
                "`maximal_learning_rate` must be > initial_learning_rate="
                f"{initial_learning_rate}. "
                f"Received: maximal_learning_rate={maximal_learning_rate}"
            )
        validation.check_int("step_size", step_size, minimum=1)
        validation.check_choice("mode", mode, CYCLICAL_MODES)
        validation.check_float("gamma", gamma)
        if not 0 < gamma <= 1:
            raise ValueError(f"`gamma` must be in (0, 1]. Received: gamma={gamma}")
        self.initial_learning_rate = initial_learning_rate
        self.maximal_learning_rate = maximal_learning_rate
        self.step_size = step_size
        self.mode = mode
        self.gamma = gamma
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        size = float(self.step_size)
        cycle = ops.floor(1.0 + step / (2.0 * size))
        x = ops.abs(step / size - 2.0 * cycle + 1.0)
        if self.mode == "triangular2":
            scale = 1.0 / ops.power(2.0, cycle - 1.0)
        elif self.mode == "exp_range":
            scale = ops.power(float(self.gamma), step)
        else:
            scale = 1.0
        low, high = float(self.initial_learning_rate), float(self.maximal_learning_rate)
        return low + (high - low) * ops.maximum(0.0, 1.0 - x) * scale

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "maximal_learning_rate": self.maximal_learning_rate,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="keras_recipes")
class WarmupCosine(Schedule):
    """Linear warmup to `learning_rate`, then cosine decay to a floor.

    Args:
        learning_rate: peak learning rate reached after warmup (> 0).
        total_steps: total steps, warmup included (>= 1).
        warmup_steps: linear warmup steps from 0, in `[0, total_steps)`.
        min_learning_rate: final learning rate, in `[0, learning_rate]`.
        name: optional name.

    Example:

    >>> schedule = WarmupCosine(1e-3, total_steps=110, warmup_steps=10)
    >>> [round(float(schedule(s)), 6) for s in (0, 5, 10, 60, 110)]
    [0.0, 0.0005, 0.001, 0.0005, 0.0]
    """

    def __init__(
        self,
        learning_rate,
        total_steps,
        warmup_steps=0,
        min_learning_rate=0.0,
        name="warmup_cosine",
    ):
        validation.check_float("learning_rate", learning_rate)
        if learning_rate <= 0:
            raise ValueError(
                f"`learning_rate` must be > 0. Received: learning_rate={learning_rate}"
            )
        validation.check_int("total_steps", total_steps, minimum=1)
        validation.check_int("warmup_steps", warmup_steps, minimum=0)
        if warmup_steps >= total_steps:
            raise ValueError(
                f"`warmup_steps` must be < total_steps={total_steps}. "
                f"Received: warmup_steps={warmup_steps}"
            )
        validation.check_float(
            "min_learning_rate", min_learning_rate, minimum=0.0, maximum=learning_rate
        )
        self.learning_rate = learning_rate
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.min_learning_rate = min_learning_rate
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak = float(self.learning_rate)
        warm = float(self.warmup_steps)
        decay = max(1.0, float(self.total_steps) - warm)
        fraction = ops.clip((step - warm) / decay, 0.0, 1.0)
        cosine = _cosine(peak, float(self.min_learning_rate), fraction)
        if self.warmup_steps == 0:
            return cosine
        return ops.where(step < warm, peak * step / warm, cosine)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "min_learning_rate": self.min_learning_rate,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="keras_recipes")
class ExponentialRange(Schedule):
    """Exponential sweep from `start` to `end` over `num_steps` (LR range test).

    Args:
        start_learning_rate: first learning rate (> 0).
        end_learning_rate: last learning rate (> start).
        num_steps: steps of the sweep (>= 2).
        name: optional name.

    Example:

    >>> schedule = ExponentialRange(1e-4, 1.0, num_steps=5)
    >>> [round(float(schedule(s)), 4) for s in range(5)]
    [0.0001, 0.001, 0.01, 0.1, 1.0]
    """

    def __init__(
        self, start_learning_rate, end_learning_rate, num_steps, name="exp_range"
    ):
        validation.check_float("start_learning_rate", start_learning_rate)
        if start_learning_rate <= 0:
            raise ValueError(
                "`start_learning_rate` must be > 0. "
                f"Received: start_learning_rate={start_learning_rate}"
            )
        validation.check_float("end_learning_rate", end_learning_rate)
        if end_learning_rate <= start_learning_rate:
            raise ValueError(
                f"`end_learning_rate` must be > start_learning_rate="
                f"{start_learning_rate}. Received: end_learning_rate="
                f"{end_learning_rate}"
            )
        validation.check_int("num_steps", num_steps, minimum=2)
        self.start_learning_rate = start_learning_rate
        self.end_learning_rate = end_learning_rate
        self.num_steps = num_steps
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        ratio = float(self.end_learning_rate) / float(self.start_learning_rate)
        fraction = ops.clip(step / float(self.num_steps - 1), 0.0, 1.0)
        return float(self.start_learning_rate) * ops.power(ratio, fraction)

    def get_config(self):
        return {
            "start_learning_rate": self.start_learning_rate,
            "end_learning_rate": self.end_learning_rate,
            "num_steps": self.num_steps,
            "name": self.name,
        }


__all__ = ["CyclicalLearningRate", "ExponentialRange", "OneCycle", "WarmupCosine"]
