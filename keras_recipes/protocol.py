"""What the layers below `tasks` may ask of a model: the task protocol.

Callbacks, export, interpretation and tuning sit below `kr.tasks` in the
package's layers (see `docs/architecture.md`), so they never import the
`Task` class. They work with any `keras.Model` and use a task's extras only
where the model has them, by duck typing:

- `to_data(x, y, name, with_labels=True)`: validates any accepted input
  (arrays, frames, adapters, `tf.data`) into a `kr.data.Data`;
- `make_dataset(data, batch_size=None, training=False, seed=None)`: the
  tf.data pipeline for such `Data`;
- `fit(..., seed=, tensorboard=, terminate_on_nan=, lr_schedule=)`: the
  task's own training options on top of Keras';
- `from_config` accepting a `"dtype"` entry: the dtype policy to rebuild
  its layers under.

`kr.tasks.Task` implements all of it; `is_task` tells whether a model does.
"""


def is_task(model):
    """Whether `model` follows the task protocol (a `kr.tasks.Task` does).

    Args:
        model: any object, usually a `keras.Model`.

    Returns:
        `True` when `model` has a task's data path (`to_data` and
        `make_dataset`), so it also takes a task's `fit` options.

    Example:

    >>> import keras
    >>> from keras_recipes.protocol import is_task
    >>> is_task(keras.Sequential([keras.layers.Dense(1)]))
    False
    """
    return callable(getattr(model, "to_data", None)) and callable(
        getattr(model, "make_dataset", None)
    )
