"""`kr.distribute`: strategy selection for factories, `fit` and `kr.tune`."""

from keras_recipes.distribute.strategy import STRATEGIES
from keras_recipes.distribute.strategy import get_strategy
from keras_recipes.distribute.strategy import round_batch_size

__all__ = ["STRATEGIES", "get_strategy", "round_batch_size"]
