"""`kr.optimizers`: the Lookahead wrapper optimizer."""

import keras
from keras import ops

from keras_recipes.data import validation


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
        import copy

        config = copy.deepcopy(config)  # Keras' deserialize edits dicts in place
        config["optimizer"] = keras.optimizers.deserialize(
            config["optimizer"], custom_objects=custom_objects
        )
        return cls(**config)


__all__ = ["Lookahead"]
