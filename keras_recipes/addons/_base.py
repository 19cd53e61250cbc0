"""What every table of `keras_recipes.addons` builds on: the error and loaders.

A row of the table is `(kind, target, load)`: `kind` is `native` (a Keras 3
object), `ours` (a keras_recipes object), `shim` (a function accepting TF
Addons' argument names) or `removed`; `target` is what the docs show;
`load()` returns the object (`None` for `removed`).
"""

import importlib

import keras


class NotCarriedOverError(ImportError):
    """A TF Addons name with no Keras 3 port here; the message names what to use.

    Subclasses `ImportError` (not `AttributeError`) so that
    `from keras_recipes.addons.losses import X` shows this message as is.
    """


# Its public home (what tracebacks and the docs name).
NotCarriedOverError.__module__ = "keras_recipes.addons"


def ours(path):
    """A loader of the keras_recipes object at the dotted `path`."""

    def load():
        module, name = path.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)

    return load


def native(path):
    """A loader of the Keras object at the dotted `path` (`keras.x.Y`)."""

    def load():
        obj = keras
        for part in path.split(".")[1:]:
            obj = getattr(obj, part)
        return obj

    return load


def value(obj):
    """A loader that returns `obj` (a shim) itself."""
    return lambda: obj


def adder(entries):
    """Returns `add(module, name, kind, target, load=None)` filling `entries`."""

    def add(module, name, kind, target, load=None):
        entries[(module, name)] = (kind, target, load)

    return add
