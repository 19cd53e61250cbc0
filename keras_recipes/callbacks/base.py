"""Shared base of the keras_recipes callbacks."""

import keras
import numpy as np
import tensorflow as tf


class StatelessCallback(keras.callbacks.Callback):
    """A callback whose constructor arguments are its whole configuration.

    `copy.deepcopy` (which KerasTuner applies to the callbacks of every
    trial) returns a fresh instance built from `get_config()`: no state of a
    previous run leaks into the copy, and large references (datasets, open
    files) are shared rather than copied.
    """

    def get_config(self):
        raise NotImplementedError

    def __deepcopy__(self, memo):
        return type(self)(**self.get_config())


def read_values(variables):
    """Reads the current values of Keras `variables`, to `assign` back later.

    What `TerminateOnNaN` keeps each epoch and `lr_find` keeps for its run.
    On TensorFlow each value is the tensor of one `ReadVariableOp` (through
    `tf.raw_ops`, skipping `tf.Variable.value()`'s Python layers). With
    `all_finite`, `TerminateOnNaN`'s snapshot of weights and optimizer state
    takes ~1.6-1.9x less than numpy copies of `value()` reads and ~2.6-3.7x
    less than `get_weights()` (2-core CPU: the tabular template's 39
    variables 1.9 vs 3.1 vs 4.9 ms, the image template's 143 5.9 vs 11.4 vs
    21.6 ms; `benchmarks/README.md`), which shows when an epoch takes
    tens of milliseconds (small tables). The tensor keeps the value of this
    moment: TensorFlow copies a variable's buffer before an in-place update
    while a read of it is alive. A value read on a GPU (or other
    accelerator) is copied to host memory as numpy, so a snapshot never
    doubles the model's footprint there. A strategy's distributed variable
    reads its primary copy. Other backends get numpy copies.

    Args:
        variables: Keras variables (`model.weights`, `optimizer.variables`).

    Returns:
        A list of values (tensors on TensorFlow), in the order given.
    """
    if keras.backend.backend() != "tensorflow":
        return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]
    values = []
    for variable in variables:
        value = variable.value
        if isinstance(value, tf.distribute.DistributedValues):
            read = value.value()
        else:
            read = tf.raw_ops.ReadVariableOp(resource=value.handle, dtype=value.dtype)
        values.append(read if "CPU" in read.device else np.array(read))
    return values


def all_finite(values):
    """Whether every float array or tensor in `values` is free of NaN/inf.

    Reads each tensor's buffer in place (`np.asarray`), without a copy.
    """
    for value in values:
        array = np.asarray(value)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            return False
    return True


def seed_states(model):
    """The states of `model`'s seed generators, as JSON-ready lists.

    Keras' `model.variables` are its `weights` plus one `[seed, counter]`
    state per `keras.random.SeedGenerator` (what dropout, augmentation and
    noise layers draw from). `save_weights` leaves those out, so a
    checkpoint that must continue a run exactly (the same dropout masks and
    augmentations as without the interruption) keeps them beside it.

    Args:
        model: a Keras model.

    Returns:
        A list of lists of ints, in the order of `model.variables`.
    """
    return [np.asarray(v).tolist() for v in _seed_variables(model)]


def restore_seed_states(model, states, argument, value):
    """Assigns states from `seed_states` back to `model`'s seed generators.

    Args:
        model: the model to restore into.
        states: what `seed_states` returned for the checkpointed model, or
            `None` (a checkpoint written before they were kept): nothing to
            restore.
        argument, value: the argument that named the checkpoint, for the
            error when the two models' random layers differ.
    """
    if states is None:
        return
    variables = _seed_variables(model)
    if len(states) != len(variables):
        raise ValueError(
            f"`{argument}` holds a checkpoint of a model with {len(states)} "
            f"random layers' seed states, this one has {len(variables)} (built "
            f"with other dropout or augmentation settings?). "
            f"Received: {argument}={value!r}"
        )
    for variable, state in zip(variables, states):
        variable.assign(np.asarray(state, dtype=variable.dtype))


def _seed_variables(model):
    weights = {id(weight) for weight in model.weights}
    return [v for v in model.variables if id(v) not in weights]
