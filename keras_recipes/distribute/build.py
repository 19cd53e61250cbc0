"""Build a model under a strategy from the dataset's spec, not from a batch.

Keras 3.15's TensorFlow trainer (`_maybe_symbolic_build`, run by `fit` and
`evaluate` when the model was created under a `tf.distribute` strategy) builds
the model from a real first batch: it opens an iterator on the training data,
takes one batch and `strategy.reduce("MEAN", batch, axis=None)`s it. That
has three effects the user does not ask for:

- The opened iterator is thrown away and the first epoch opens a new one, so a
  dataset shuffled with `reshuffle_each_iteration` (every `fit` pipeline)
  trains epoch 0 on its *second* permutation: with the same seed, a run under
  a strategy sees different batches than the same run on one device.
- A first batch that does not split evenly over the replicas (a user
  `tf.data` batch of 9 on 2 replicas: 5 + 4) fails in the mean with
  `Inputs to operation AddN ... must have the same size and shape`.
- String columns fail (`AddN` has no string kernel); under
  `MultiWorkerMirroredStrategy` any batch fails (`Attempt to convert a value
  (PerReplica...)`, see `multi_worker.py`).

Only shapes and dtypes of that batch are used (`_symbolic_build` turns it into
`KerasTensor`s), so `maybe_symbolic_build` passes the dataset's
`element_spec` instead and never touches the iterator.
"""

import tensorflow as tf


def _spec_of(iterator):
    adapter = getattr(iterator, "data_adapter", None)
    if adapter is None:
        return None
    try:
        dataset = adapter.get_tf_dataset()
    except (AttributeError, NotImplementedError):
        return None
    spec = getattr(dataset, "element_spec", None)
    if spec is None:
        return None
    leaves = tf.nest.flatten(spec)
    if not all(hasattr(s, "shape") and hasattr(s, "dtype") for s in leaves):
        return None
    return spec


def maybe_symbolic_build(model, fallback, iterator=None, data_batch=None):
    """`Model._maybe_symbolic_build` that builds from the data's spec.

    Args:
        model: the model being trained/evaluated.
        fallback: the parent class' `_maybe_symbolic_build` (bound), used
            when there is no strategy or no spec to build from.
        iterator: the Keras epoch iterator.
        data_batch: an explicit batch (`train_on_batch`), passed through.

    Returns:
        `None`.
    """
    if getattr(model, "_distribute_strategy", None) is None or iterator is None:
        return fallback(iterator=iterator, data_batch=data_batch)
    spec = _spec_of(iterator)
    if spec is None:
        return fallback(iterator=iterator, data_batch=data_batch)
    with model.distribute_strategy.scope():
        model._symbolic_build(data_batch=spec)
