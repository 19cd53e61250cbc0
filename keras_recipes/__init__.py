"""keras_recipes: ready, compiled, well-tuned Keras 3 task templates.

>>> import keras_recipes as kr
>>> model = kr.image_classifier(num_classes=10, image_shape=(32, 32, 3))
>>> isinstance(model, kr.tasks.ImageClassifier)
True

`import keras_recipes` loads every public part and so registers every
serializable class: Keras' own `keras.saving.load_model` then finds the
templates. The one exception is the `keras-recipes` command (the console
script, `sys.argv[0]`): there the package stays light and each subcommand
loads what it needs, so `--help` and argument errors answer without
TensorFlow's start-up. Names also load on first use (PEP 562), so importing a
single submodule first works too.
"""

import importlib
import os
import sys

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
    "image_regressor": "keras_recipes.tasks.image_regressor",
    "seq2seq_transformer": "keras_recipes.tasks.seq2seq_transformer",
    "tabular_classifier": "keras_recipes.tasks.tabular_classifier",
    "text_classifier": "keras_recipes.tasks.text_classifier",
    "text_regressor": "keras_recipes.tasks.text_regressor",
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


# The console script's names (pip writes `keras-recipes`, plus `.exe` and
# `-script.py` launchers on Windows).
_COMMANDS = ("keras-recipes", "keras-recipes.exe", "keras-recipes-script.py")

if os.path.basename(sys.argv[0] if sys.argv else "") not in _COMMANDS:
    _load_all()
