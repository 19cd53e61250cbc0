"""Task and demo-dataset registry used by the CLI and YAML recipes.

Each entry names a factory and a bundled offline demo dataset. A dataset loader
returns `(train, test)`, each something the task's `fit`/`evaluate` accept and
its factory can infer from (`factory(data=train)`).
"""

import importlib

# task name -> "module:factory"
TASKS = {
    "image_classifier": "keras_recipes.tasks.image_classifier:image_classifier",
}

# dataset name -> "module:loader"; loaders return (train, test).
DATASETS = {
    "digits": "keras_recipes.datasets.digits:load_digits",
}

# task name -> default demo dataset
DEMO_DATASETS = {
    "image_classifier": "digits",
}


def resolve(spec):
    """Imports `"module:attr"`."""
    module, attr = spec.split(":")
    return getattr(importlib.import_module(module), attr)


def get_factory(task):
    from keras_recipes.data.validation import check_choice

    check_choice("task", task, tuple(TASKS))
    return resolve(TASKS[task])


def load_dataset(name, **kwargs):
    from keras_recipes.data.validation import check_choice

    check_choice("dataset", name, tuple(DATASETS))
    return resolve(DATASETS[name])(**kwargs)
