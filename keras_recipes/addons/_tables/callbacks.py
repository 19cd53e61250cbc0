"""`tfa.callbacks` in Keras 3: the shims and the rows of the table."""

from keras_recipes.addons._base import adder
from keras_recipes.addons._base import value
from keras_recipes.callbacks import ProgressBar
from keras_recipes.callbacks import TimeBudget

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {}
_add = adder(ENTRIES)


def _time_stopping(seconds=86400, verbose=0):
    """TFA `TimeStopping(seconds)` -> `kr.callbacks.TimeBudget`."""
    return TimeBudget(seconds, verbose=verbose)


def _tqdm(*args, **kwargs):
    """TFA `TQDMProgressBar` -> `kr.callbacks.ProgressBar` (rich)."""
    return ProgressBar()


_add(
    "callbacks",
    "TimeStopping",
    "shim",
    "kr.callbacks.TimeBudget",
    value(_time_stopping),
)
_add("callbacks", "TQDMProgressBar", "shim", "kr.callbacks.ProgressBar", value(_tqdm))
_add(
    "callbacks",
    "AverageModelCheckpoint",
    "removed",
    "keras.callbacks.ModelCheckpoint + an optimizer with use_ema=True",
)
