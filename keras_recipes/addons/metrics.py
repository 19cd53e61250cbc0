"""TF Addons `tfa.metrics` names mapped to Keras 3 (see `docs/addons.md`)."""

from keras_recipes.addons import _mapping

__getattr__ = _mapping.module_getattr("metrics")
__all__ = _mapping.module_names("metrics")


def __dir__():
    return __all__
