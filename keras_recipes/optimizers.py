"""`kr.optimizers`: `FastAdamW` (the templates' default) and `Lookahead`."""

import copy
import numbers

import keras
import tensorflow as tf
from keras import ops

from keras_recipes import validation


@keras.saving.register_keras_serializable(package="keras_recipes")
class Lookahead(keras.optimizers.Optimizer):
    """Lookahead (Zhang et al., 2019) around any Keras 3 optimizer.

    The wrapped ("fast") optimizer takes its normal steps; every
    `sync_period` steps the slow weights move `slow_step_size` of the way
    towards the fast weights and the fast weights are reset to them. Works
    with `model.fit`, and the slow weights and the inner optimizer's state
    are saved in `.keras` files. `learning_rate` and `iterations` are those
    of the inner optimizer, so LR callbacks and schedules work unchanged.

    Args:
        optimizer: the inner optimizer: an instance, a name (`"adam"`) or a
            config dict.
        sync_period: fast steps between synchronisations (>= 1).
        slow_step_size: slow-weight step size, in `(0, 1]`.
        name: optimizer name.

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(Lookahead(keras.optimizers.SGD(0.1), sync_period=2), "mse")
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    >>> int(model.optimizer.iterations)
    2
    """

    def __init__(
        self, optimizer, sync_period=6, slow_step_size=0.5, name="lookahead", **kwargs
    ):
        if isinstance(optimizer, str | dict):
            optimizer = keras.optimizers.get(optimizer)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "`optimizer` must be a keras.optimizers.Optimizer, a name or a "
                f"config dict. Received: optimizer={optimizer!r}"
            )
        validation.check_int("sync_period", sync_period, minimum=1)
        validation.check_float("slow_step_size", slow_step_size)
        if not 0 < slow_step_size <= 1:
            raise ValueError(
                "`slow_step_size` must be in (0, 1]. "
                f"Received: slow_step_size={slow_step_size}"
            )
        if kwargs:
            raise ValueError(
                "`Lookahead` takes no other optimizer arguments; set them on the "
                f"inner optimizer. Received: {sorted(kwargs)}"
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = optimizer
        self.sync_period = sync_period
        self.slow_step_size = slow_step_size

    def build(self, var_list):
        if self.built:
            return
        self.inner_optimizer.build(var_list)
        super().build(var_list)
        self._slow = [
            self.add_variable_from_reference(v, name="slow") for v in var_list
        ]

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            self.build(trainable_variables)
            self.built = True
        variables = (
            self._trainable_variables
            if trainable_variables is None
            else list(trainable_variables)
        )
        first = ops.equal(self.inner_optimizer.iterations, 0)
        for fast, slow in zip(variables, self._slow):
            slow.assign(ops.where(first, fast, slow))
        self.inner_optimizer.apply(grads, trainable_variables)
        sync = ops.equal(
            ops.mod(self.inner_optimizer.iterations, int(self.sync_period)), 0
        )
        alpha = float(self.slow_step_size)
        for fast, slow in zip(variables, self._slow):
            moved = slow + alpha * (fast - slow)
            slow.assign(ops.where(sync, moved, slow))
            fast.assign(ops.where(sync, moved, fast))

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if not hasattr(self, "inner_optimizer"):  # base constructor
            self._learning_rate = self._build_learning_rate(learning_rate)
            return
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "optimizer": keras.saving.serialize_keras_object(self.inner_optimizer),
            "sync_period": self.sync_period,
            "slow_step_size": self.slow_step_size,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)  # Keras' deserialize edits dicts in place
        config["optimizer"] = keras.optimizers.deserialize(
            config["optimizer"], custom_objects=custom_objects
        )
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_recipes")
class FastAdamW(keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` with one fused update op per variable.

    Same arguments, slot variables, config and update rule as
    `keras.optimizers.AdamW`; only how the update is built changes. Keras
    writes each variable's Adam step as about 20 small ops (casts, the two
    bias-correction powers, the moment updates), so a model with 40
    variables carries some 800 optimizer ops in its train step, and
    TensorFlow traces every one of them in Python before the first batch.
    Measured on a 2-core CPU, the image, tabular and text templates' first
    one-epoch `fit` takes 0.63x-0.88x of the time with this optimizer
    (image on digits: 5 s -> 3.1-3.6 s), and later steps run at the same
    speed (`benchmarks/README.md`). On the TensorFlow backend this
    optimizer runs each dense update as TensorFlow's fused `ResourceApplyAdam`
    kernel (the one `tf.compat.v1.train.AdamOptimizer` used), which computes
    the same step: `m += (g - m) * (1 - beta_1)`,
    `v += (g^2 - v) * (1 - beta_2)`,
    `w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)`.
    The step's scalars (the two powers, the learning rate) are built once
    per step, not once per variable. Results match `AdamW`'s to float32
    round-off; the decoupled weight decay is `AdamW`'s own. The templates
    compile with it by default.

    It falls back to `AdamW`'s own update, op for op, on other backends,
    with `amsgrad=True`, and for sparse gradients (`tf.IndexedSlices`, e.g.
    from an `Embedding`), whose `AdamW` update touches every row anyway.

    Args:
        learning_rate: float, schedule or callable, as for `AdamW`.
        weight_decay: decoupled weight decay, as for `AdamW`.
        **kwargs: any other `keras.optimizers.AdamW` argument (`beta_1`,
            `beta_2`, `epsilon`, `amsgrad`, `clipnorm`, `name`, ...).

    Example:

    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(FastAdamW(learning_rate=0.01), "mse")
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    >>> int(model.optimizer.iterations)
    2
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Checks AdamW leaves out: a beta outside [0, 1) or a negative
        # epsilon trains into NaNs without an error.
        # (Numbers only: AdamW also takes tensors there.)
        for name, maximum in (("beta_1", 1.0), ("beta_2", 1.0), ("epsilon", None)):
            value = getattr(self, name)
            if isinstance(value, numbers.Real):
                validation.check_float(
                    name, value, minimum=0.0, maximum=maximum, include_max=False
                )

    # The step's scalars (bias-correction powers, learning rate, constants):
    # built by the first fused update of an `apply` call and shared by the
    # others, instead of once per variable.
    _step_scalars = None

    def apply(self, grads, trainable_variables=None):
        self._step_scalars = None
        try:
            return super().apply(grads, trainable_variables)
        finally:
            self._step_scalars = None

    def update_step(self, gradient, variable, learning_rate):
        if (
            keras.backend.backend() != "tensorflow"
            or self.amsgrad
            or isinstance(gradient, tf.IndexedSlices)
        ):
            return super().update_step(gradient, variable, learning_rate)
        if isinstance(variable, keras.Variable):  # called outside `apply`
            variable = variable.value
        dtype = variable.dtype
        if self._step_scalars is None or self._step_scalars[0] != dtype:
            step = tf.cast(self.iterations + 1, dtype)
            beta_1 = tf.cast(self.beta_1, dtype)
            beta_2 = tf.cast(self.beta_2, dtype)
            self._step_scalars = (
                dtype,
                {
                    "beta1_power": tf.pow(beta_1, step),
                    "beta2_power": tf.pow(beta_2, step),
                    "lr": tf.cast(learning_rate, dtype),
                    "beta1": beta_1,
                    "beta2": beta_2,
                    "epsilon": tf.cast(self.epsilon, dtype),
                },
            )
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].value.handle,
            v=self._velocities[index].value.handle,
            grad=tf.cast(gradient, dtype),
            **self._step_scalars[1],
        )


__all__ = ["FastAdamW", "Lookahead"]
