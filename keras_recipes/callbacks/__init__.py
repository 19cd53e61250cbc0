"""`kr.callbacks`: training callbacks, one class per module.

All are deep-copyable and hold no run state at construction (KerasTuner
copies the callbacks of every trial).
"""

from keras_recipes.callbacks.confusion_matrix_image import ConfusionMatrixImage
from keras_recipes.callbacks.coordinated_backup import CoordinatedBackup
from keras_recipes.callbacks.export_on_train_end import ExportOnTrainEnd
from keras_recipes.callbacks.lr_finder import LRFinder
from keras_recipes.callbacks.lr_finder import LRFinderResult
from keras_recipes.callbacks.lr_finder import lr_find
from keras_recipes.callbacks.lr_finder import suggest_learning_rate
from keras_recipes.callbacks.one_cycle import OneCycleScheduler
from keras_recipes.callbacks.one_cycle import fit_one_cycle
from keras_recipes.callbacks.progress_bar import ProgressBar
from keras_recipes.callbacks.regularizer_scheduler import RegularizerScheduler
from keras_recipes.callbacks.terminate_on_nan import NonFiniteLossError
from keras_recipes.callbacks.terminate_on_nan import TerminateOnNaN
from keras_recipes.callbacks.time_budget import TimeBudget
from keras_recipes.callbacks.time_budget import parse_duration

__all__ = [
    "ConfusionMatrixImage",
    "CoordinatedBackup",
    "ExportOnTrainEnd",
    "LRFinder",
    "LRFinderResult",
    "NonFiniteLossError",
    "OneCycleScheduler",
    "ProgressBar",
    "RegularizerScheduler",
    "TerminateOnNaN",
    "TimeBudget",
    "fit_one_cycle",
    "lr_find",
    "parse_duration",
    "suggest_learning_rate",
]
