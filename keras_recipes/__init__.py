"""keras_recipes: ready, compiled, well-tuned Keras 3 task templates.

>>> import keras_recipes as kr
>>> model = kr.image_classifier(num_classes=10, image_shape=(32, 32, 3))
>>> isinstance(model, kr.tasks.ImageClassifier)
True

`import keras_recipes` itself is light: TensorFlow, Keras and the subpackages
load on first use of a public name. A subpackage (`kr.tasks`) loads itself and
what it imports; a function (`kr.image_classifier`, `kr.load_model`) loads
everything, so every serializable class is registered from then on. This
keeps `keras-recipes --help` and argument errors free of TensorFlow's start-up.
"""

import importlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

# Subpackages and modules exposed as attributes.
_MODULES = (
    "addons",
    "callbacks",
    "data",
    "datasets",
    "distribute",
    "export",  # onnx/tf2onnx stay lazy inside it
    "interpret",
    "layers",
    "losses",
    "metrics",
    "optimizers",
    "plots",
    "regularizers",
    "samplers",
    "schedules",
    "tasks",
    "tuning",
)

# Public functions: name -> the module that defines it.
_FUNCTIONS = {
    "from_recipe": "keras_recipes.recipe",
    "load_model": "keras_recipes.saving",
    "image_classifier": "keras_recipes.tasks.image_classifier",
    "seq2seq_transformer": "keras_recipes.tasks.seq2seq_transformer",
    "tabular_classifier": "keras_recipes.tasks.tabular_classifier",
    "text_classifier": "keras_recipes.tasks.text_classifier",
    "tune": "keras_recipes.tuning",
    "set_seed": "keras_recipes.utils",
}

__all__ = sorted((*_MODULES, *_FUNCTIONS))


_loading = False


def _load_all():
    """Imports every public part (registering every serializable class)."""
    global _loading
    _loading = True
    try:
        for name in _MODULES:
            globals()[name] = importlib.import_module(f"keras_recipes.{name}")
        for name, module in _FUNCTIONS.items():
            globals()[name] = getattr(importlib.import_module(module), name)
    finally:
        _loading = False


def __getattr__(name):
    # PEP 562. `from keras_recipes import x` asks here too before Python
    # imports the submodule `x` (also while `x` is half-imported): a
    # subpackage is imported alone, as Python's import would.
    if name in _MODULES:
        return importlib.import_module(f"keras_recipes.{name}")
    if name in _FUNCTIONS:
        if _loading:
            return getattr(importlib.import_module(_FUNCTIONS[name]), name)
        _load_all()  # the first factory used loads (and registers) everything
        return globals()[name]
    raise AttributeError(f"module 'keras_recipes' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
