"""`kr.tasks`: the task classes behind the factories."""

from keras_recipes.tasks.classifier import Classifier
from keras_recipes.tasks.image_classifier import ImageClassifier
from keras_recipes.tasks.regressor import Regressor
from keras_recipes.tasks.seq2seq_transformer import Seq2SeqTransformer
from keras_recipes.tasks.tabular_classifier import TabularClassifier
from keras_recipes.tasks.task import Task
from keras_recipes.tasks.text_classifier import TextClassifier

__all__ = [
    "Classifier",
    "ImageClassifier",
    "Regressor",
    "Seq2SeqTransformer",
    "TabularClassifier",
    "Task",
    "TextClassifier",
]
