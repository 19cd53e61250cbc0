"""TF Addons `tfa.callbacks` names mapped to Keras 3 (see `docs/addons.md`)."""

from keras_recipes.addons import _mapping

__getattr__ = _mapping.module_getattr("callbacks")
__all__ = _mapping.module_names("callbacks")


def __dir__():
    return __all__
