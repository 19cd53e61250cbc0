"""`kr.datasets`: small offline demo datasets, one loader per template."""

from keras_recipes.datasets.digits import load_digits

__all__ = ["load_digits"]
