"""`kr.tune`: a KerasTuner search wrapper for every template.

Resumable (re-run the same call to continue; interrupted trials resume from
their last epoch), time-boxed (`time_budget=`), observable (one progress line
per trial, TensorBoard HParams), with atomic state files.
"""

from keras_recipes.tuning.recipe_tuning import tune_from_recipe
from keras_recipes.tuning.result import TuneResult
from keras_recipes.tuning.space import SearchSpace
from keras_recipes.tuning.tune import TUNERS
from keras_recipes.tuning.tune import parse_time_budget
from keras_recipes.tuning.tune import tune

__all__ = [
    "TUNERS",
    "SearchSpace",
    "TaskHyperModel",
    "TuneResult",
    "parse_time_budget",
    "tune",
    "tune_from_recipe",
]


def __getattr__(name):
    # KerasTuner is imported only when a search runs, not on `import kr`.
    if name == "TaskHyperModel":
        from keras_recipes.tuning.tuners import TaskHyperModel

        return TaskHyperModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
