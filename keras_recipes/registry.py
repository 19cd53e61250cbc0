"""Task and demo-dataset registry used by the CLI and YAML recipes.

Each entry names a factory and a bundled offline demo dataset. A dataset loader
returns `(train, test)`, each something the task's `fit`/`evaluate` accept and
its factory can infer from (`factory(data=train)`).
"""

import importlib
import inspect

from keras_recipes.validation import check_choice

# task name -> "module:factory"
TASKS = {
    "image_classifier": "keras_recipes.tasks.image_classifier:image_classifier",
    "tabular_classifier": ("keras_recipes.tasks.tabular_classifier:tabular_classifier"),
    "text_classifier": "keras_recipes.tasks.text_classifier:text_classifier",
    "seq2seq_transformer": (
        "keras_recipes.tasks.seq2seq_transformer:seq2seq_transformer"
    ),
    "image_regressor": "keras_recipes.tasks.image_regressor:image_regressor",
    "text_regressor": "keras_recipes.tasks.text_regressor:text_regressor",
}

# task name -> "module:Class" of the model its factory builds (for the names
# of its constructor arguments, which a recipe's `model:` section may set).
TASK_CLASSES = {
    "image_classifier": "keras_recipes.tasks.image_classifier:ImageClassifier",
    "tabular_classifier": "keras_recipes.tasks.tabular_classifier:TabularClassifier",
    "text_classifier": "keras_recipes.tasks.text_classifier:TextClassifier",
    "seq2seq_transformer": (
        "keras_recipes.tasks.seq2seq_transformer:Seq2SeqTransformer"
    ),
    "image_regressor": "keras_recipes.tasks.image_regressor:ImageRegressor",
    "text_regressor": "keras_recipes.tasks.text_regressor:TextRegressor",
}

# dataset name -> "module:loader"; loaders return (train, test).
DATASETS = {
    "digits": "keras_recipes.datasets.digits:load_digits",
    "dates": "keras_recipes.datasets.dates:load_dates",
    "penguins": "keras_recipes.datasets.penguins:load_penguins",
    "wordnet_glosses": "keras_recipes.datasets.wordnet_glosses:load_wordnet_glosses",
    "tate_titles": "keras_recipes.datasets.tate_titles:load_tate_titles",
}

# task name -> default demo dataset
DEMO_DATASETS = {
    "image_classifier": "digits",
    "seq2seq_transformer": "dates",
    "tabular_classifier": "penguins",
    "text_classifier": "wordnet_glosses",
    # Digits as numbers: the digit's value is the (real, if easy) target.
    "image_regressor": "digits",
    "text_regressor": "tate_titles",
}


def resolve(spec):
    """Imports `"module:attr"`."""
    module, attr = spec.split(":")
    return getattr(importlib.import_module(module), attr)


def get_factory(task):
    check_choice("task", task, tuple(TASKS))
    return resolve(TASKS[task])


def load_dataset(name, **kwargs):
    check_choice("dataset", name, tuple(DATASETS))
    return resolve(DATASETS[name])(**kwargs)


def _parameters(function):
    return [
        name
        for name, p in inspect.signature(function).parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def model_arguments(task):
    """Names a task's factory takes as model arguments (its and its class's).

    `data` is not among them: a recipe's data comes from its `data:` section.

    Example:

    >>> "width" in model_arguments("image_classifier")
    True
    >>> "data" in model_arguments("image_classifier")
    False
    """
    check_choice("task", task, tuple(TASKS))
    names = _parameters(resolve(TASKS[task]))
    names += _parameters(resolve(TASK_CLASSES[task]).__init__) + ["name"]
    return sorted(set(names) - {"data"})


def dataset_arguments(name):
    """Names of the keyword arguments a bundled dataset's loader takes.

    Example:

    >>> dataset_arguments("digits")
    ['seed', 'test_size']
    """
    check_choice("dataset", name, tuple(DATASETS))
    return sorted(_parameters(resolve(DATASETS[name])))
