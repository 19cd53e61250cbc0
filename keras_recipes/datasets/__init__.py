"""`kr.datasets`: small offline demo datasets, one loader per template."""

from keras_recipes.datasets.dates import load_dates
from keras_recipes.datasets.digits import load_digits
from keras_recipes.datasets.penguins import load_penguins
from keras_recipes.datasets.tate_titles import load_tate_titles
from keras_recipes.datasets.wordnet_glosses import load_wordnet_glosses

__all__ = [
    "load_dates",
    "load_digits",
    "load_penguins",
    "load_tate_titles",
    "load_wordnet_glosses",
]
