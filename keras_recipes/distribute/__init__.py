"""`kr.distribute`: strategy selection for factories, `fit` and `kr.tune`."""

from keras_recipes.distribute.multi_worker import is_chief
from keras_recipes.distribute.multi_worker import patch_strategy
from keras_recipes.distribute.strategy import STRATEGIES
from keras_recipes.distribute.strategy import get_strategy
from keras_recipes.distribute.strategy import round_batch_size
from keras_recipes.distribute.strategy import synchronize_batch_norm

__all__ = [
    "STRATEGIES",
    "get_strategy",
    "is_chief",
    "patch_strategy",
    "round_batch_size",
    "synchronize_batch_norm",
]
