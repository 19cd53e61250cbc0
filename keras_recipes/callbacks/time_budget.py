"""`TimeBudget`: stop training cleanly at a wall-clock limit."""

import re
import time

import keras

from keras_recipes.callbacks.base import StatelessCallback

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([a-z]*)")
_FORMS = "seconds or a duration such as '90s', '30m', '1.5h' or '1h30m'"


class DurationTypeError(TypeError, ValueError):
    """A duration of the wrong type: both a `TypeError` and a `ValueError`.

    `TimeBudget` has always raised `ValueError` for any bad budget and
    `kr.tuning.parse_time_budget` `TypeError` for a wrong type; one parser
    serves both, so this error is caught by either.
    """


def parse_duration(value, name="budget"):
    """Parses a duration into seconds: `90`, `"90s"`, `"30m"`, `"2h"`, `"1h30m"`.

    The one duration parser of the package: `TimeBudget(budget)` and
    `kr.tune(time_budget=...)` both use it.

    Args:
        value: a positive number of seconds, or a string of `<number><unit>`
            parts (units `s`/`sec`, `m`/`min`, `h`/`hr`, `d`; a part without
            a unit counts seconds), or a number as a string.
        name: argument name used in error messages.

    Returns:
        The duration in seconds, a float.

    Raises:
        ValueError: a string that is no duration, or a duration that is not
            positive and finite ("must be positive").
        DurationTypeError: `value` is neither a number nor a string (a
            `TypeError` that is also a `ValueError`).

    Example:

    >>> parse_duration("1h30m"), parse_duration(45), parse_duration("2.5m")
    (5400.0, 45.0, 150.0)
    >>> parse_duration("1.5h"), parse_duration("20min"), parse_duration("90")
    (5400.0, 1200.0, 90.0)
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DurationTypeError(
            f"`{name}` must be {_FORMS}. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        parts = _PART.findall(text)
        if (
            parts
            and "".join(n + u for n, u in parts) == text
            and all(not u or u in _UNITS for _, u in parts)
        ):
            seconds = sum(float(n) * _UNITS[u or "s"] for n, u in parts)
        else:
            try:
                seconds = float(text)
            except ValueError:
                raise ValueError(
                    f"`{name}` must be {_FORMS}. Received: {name}={value!r}"
                ) from None
    else:
        seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"`{name}` must be positive and finite: {_FORMS}. "
            f"Received: {name}={value!r}"
        )
    return seconds


@keras.saving.register_keras_serializable(package="keras_recipes")
class TimeBudget(StatelessCallback):
    """Stops training cleanly once a wall-clock budget is spent.

    Checked after every batch (every chunk of `steps_per_execution`
    batches, when Keras runs several per call): when the time since `fit`
    started exceeds the budget, `model.stop_training` is set, so the current
    batch finishes,
    the epoch ends normally (validation and checkpoint callbacks still run)
    and `fit` returns its `History`. `stopped_epoch` tells whether and where
    it stopped (`None` if the budget was not reached).

    Args:
        budget: seconds (number) or a duration string (`"30m"`, `"2h"`,
            `"1h30m"`, `"45s"`).
        verbose: print a line when stopping.

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> stopper = TimeBudget("0.001s")
    >>> history = model.fit(np.ones((64, 2)), np.ones((64, 1)), batch_size=8,
    ...                     epochs=50, callbacks=[stopper], verbose=0)
    >>> stopper.stopped_epoch, len(history.history["loss"])
    (0, 1)
    """

    steps_per_execution_safe = True  # a chunk's end is as good a check point

    def __init__(self, budget, verbose=0):
        super().__init__()
        self.seconds = parse_duration(budget, "budget")
        self.budget = budget
        self.verbose = verbose
        self.stopped_epoch = None
        self._start = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()
        self.stopped_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def elapsed(self):
        """Seconds since training started."""
        return 0.0 if self._start is None else time.monotonic() - self._start

    def on_train_batch_end(self, batch, logs=None):
        if self.stopped_epoch is None and self.elapsed() >= self.seconds:
            self.stopped_epoch = self._epoch
            self.model.stop_training = True
            if self.verbose:
                print(
                    f"TimeBudget: {self.budget} spent after {self.elapsed():.1f}s "
                    f"(epoch {self._epoch + 1}, batch {batch + 1}); stopping."
                )

    def get_config(self):
        return {"budget": self.budget, "verbose": self.verbose}
