"""`kr.tasks`: the task classes behind the factories."""

from keras_recipes.tasks.image_classifier import ImageClassifier
from keras_recipes.tasks.task import Task

__all__ = ["ImageClassifier", "Task"]
