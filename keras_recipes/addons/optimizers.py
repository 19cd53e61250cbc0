"""TF Addons `tfa.optimizers` names mapped to Keras 3 (see `docs/addons.md`)."""

from keras_recipes.addons import _mapping

__getattr__ = _mapping.module_getattr("optimizers")
__all__ = _mapping.module_names("optimizers")


def __dir__():
    return __all__
