"""keras_recipes: ready, compiled, well-tuned Keras 3 task templates.

>>> import keras_recipes as kr
>>> model = kr.image_classifier(num_classes=10, image_shape=(32, 32, 3))
>>> isinstance(model, kr.tasks.ImageClassifier)
True
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from keras_recipes import addons  # noqa: E402
from keras_recipes import callbacks  # noqa: E402
from keras_recipes import data  # noqa: E402
from keras_recipes import datasets  # noqa: E402
from keras_recipes import distribute  # noqa: E402
from keras_recipes import export  # noqa: E402  (onnx/tf2onnx stay lazy)
from keras_recipes import interpret  # noqa: E402
from keras_recipes import layers  # noqa: E402
from keras_recipes import losses  # noqa: E402
from keras_recipes import metrics  # noqa: E402
from keras_recipes import optimizers  # noqa: E402
from keras_recipes import plots  # noqa: E402
from keras_recipes import regularizers  # noqa: E402
from keras_recipes import samplers  # noqa: E402
from keras_recipes import schedules  # noqa: E402
from keras_recipes import tasks  # noqa: E402
from keras_recipes import tuning  # noqa: E402
from keras_recipes.recipe import from_recipe  # noqa: E402
from keras_recipes.saving import load_model  # noqa: E402
from keras_recipes.tasks.image_classifier import image_classifier  # noqa: E402
from keras_recipes.tasks.seq2seq_transformer import seq2seq_transformer  # noqa: E402
from keras_recipes.tasks.tabular_classifier import tabular_classifier  # noqa: E402
from keras_recipes.tasks.text_classifier import text_classifier  # noqa: E402
from keras_recipes.tuning import tune  # noqa: E402
from keras_recipes.utils import set_seed  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "addons",
    "callbacks",
    "interpret",
    "losses",
    "metrics",
    "optimizers",
    "plots",
    "regularizers",
    "samplers",
    "schedules",
    "data",
    "datasets",
    "distribute",
    "export",
    "from_recipe",
    "image_classifier",
    "layers",
    "load_model",
    "seq2seq_transformer",
    "set_seed",
    "tabular_classifier",
    "tasks",
    "tune",
    "tuning",
    "text_classifier",
]
