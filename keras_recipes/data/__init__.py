"""`kr.data`: turn numpy, pandas, CSV, folders and tf.data into one pipeline."""

from keras_recipes.data.adapters import csv
from keras_recipes.data.adapters import from_dataset
from keras_recipes.data.adapters import from_numpy
from keras_recipes.data.adapters import from_pandas
from keras_recipes.data.adapters import image_folder
from keras_recipes.data.adapters import text_file
from keras_recipes.data.adapters import text_folder
from keras_recipes.data.image_targets import image_targets
from keras_recipes.data.pipeline import Data
from keras_recipes.data.pipeline import make_dataset
from keras_recipes.data.pipeline import split

__all__ = [
    "Data",
    "csv",
    "from_dataset",
    "from_numpy",
    "from_pandas",
    "image_folder",
    "image_targets",
    "make_dataset",
    "split",
    "text_file",
    "text_folder",
]
