"""TF Addons `tfa.activations` names mapped to Keras 3 (see `docs/addons.md`)."""

from keras_recipes.addons import _mapping

__getattr__ = _mapping.module_getattr("activations")
__all__ = _mapping.module_names("activations")


def __dir__():
    return __all__
