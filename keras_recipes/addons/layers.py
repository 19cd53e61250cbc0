"""TF Addons `tfa.layers` names mapped to Keras 3 (see `docs/addons.md`)."""

from keras_recipes.addons import _mapping

__getattr__ = _mapping.module_getattr("layers")
__all__ = _mapping.module_names("layers")


def __dir__():
    return __all__
