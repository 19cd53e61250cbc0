"""`tfa.optimizers` in Keras 3: the shims and the rows of the table."""

import keras

from keras_recipes.addons._base import NotCarriedOverError
from keras_recipes.addons._base import adder
from keras_recipes.addons._base import value
from keras_recipes.optimizers import Lookahead
from keras_recipes.schedules import CyclicalLearningRate

# (module, TFA name) -> (kind, target shown in the docs, loader or None)
ENTRIES = {}
_add = adder(ENTRIES)


def _adamw(
    weight_decay,
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-07,
    amsgrad=False,
    name="AdamW",
    **kwargs,
):
    """TFA `AdamW(weight_decay, learning_rate, ...)` -> `keras.optimizers.AdamW`."""
    return keras.optimizers.AdamW(
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        amsgrad=amsgrad,
        name=name,
        **kwargs,
    )


def _sgdw(
    weight_decay,
    learning_rate=0.001,
    momentum=0.0,
    nesterov=False,
    name="SGDW",
    **kwargs,
):
    """TFA `SGDW(weight_decay, ...)` -> `keras.optimizers.SGD(weight_decay=...)`."""
    return keras.optimizers.SGD(
        learning_rate=learning_rate,
        momentum=momentum,
        nesterov=nesterov,
        weight_decay=weight_decay,
        name=name,
        **kwargs,
    )


def _lamb(
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-6,
    weight_decay=None,
    exclude_from_weight_decay=None,
    exclude_from_layer_adaptation=None,
    name="LAMB",
    **kwargs,
):
    """TFA `LAMB` -> `keras.optimizers.Lamb`."""
    opt = keras.optimizers.Lamb(
        learning_rate=learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        weight_decay=weight_decay,
        name=name,
        **kwargs,
    )
    if exclude_from_weight_decay:
        opt.exclude_from_weight_decay(var_names=exclude_from_weight_decay)
    return opt


def _lookahead(optimizer, sync_period=6, slow_step_size=0.5, name="Lookahead"):
    """TFA `Lookahead` -> `kr.optimizers.Lookahead` (same argument names)."""
    return Lookahead(
        optimizer,
        sync_period=sync_period,
        slow_step_size=slow_step_size,
        name=name.lower(),
    )


def _multi_optimizer(optimizers_and_layers, name="MultiOptimizer", **kwargs):
    """TFA `MultiOptimizer` -> `keras.optimizers.MultiOptimizer`."""
    return keras.optimizers.MultiOptimizer(optimizers_and_layers, name=name, **kwargs)


def _cyclical(
    initial_learning_rate,
    maximal_learning_rate,
    step_size,
    scale_fn=None,
    scale_mode="cycle",
    name="CyclicalLearningRate",
):
    """TFA `CyclicalLearningRate` -> `kr.schedules.CyclicalLearningRate`."""
    if scale_fn is not None:
        raise NotCarriedOverError(
            "CyclicalLearningRate(scale_fn=...) is not carried over (a Python "
            "callable cannot be saved safely): use kr.schedules."
            "CyclicalLearningRate(mode='triangular'|'triangular2'|'exp_range'). "
            f"Received: scale_fn={scale_fn!r}"
        )
    return CyclicalLearningRate(
        initial_learning_rate,
        maximal_learning_rate,
        step_size,
        mode="triangular",
        name=name,
    )


def _cyclical_mode(mode):
    def shim(
        initial_learning_rate,
        maximal_learning_rate,
        step_size,
        scale_mode="cycle",
        gamma=1.0,
        name=None,
    ):
        return CyclicalLearningRate(
            initial_learning_rate,
            maximal_learning_rate,
            step_size,
            mode=mode,
            gamma=gamma,
            name=name or f"{mode}_cyclical_learning_rate",
        )

    shim.__doc__ = (
        f"TFA cyclical schedule -> kr.schedules.CyclicalLearningRate(mode={mode!r})."
    )
    return shim


_add("optimizers", "AdamW", "shim", "keras.optimizers.AdamW", value(_adamw))
_add(
    "optimizers",
    "SGDW",
    "shim",
    "keras.optimizers.SGD(weight_decay=...)",
    value(_sgdw),
)
_add("optimizers", "LAMB", "shim", "keras.optimizers.Lamb", value(_lamb))
_add("optimizers", "Lookahead", "shim", "kr.optimizers.Lookahead", value(_lookahead))
_add(
    "optimizers",
    "MultiOptimizer",
    "shim",
    "keras.optimizers.MultiOptimizer",
    value(_multi_optimizer),
)
_add(
    "optimizers",
    "CyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate",
    value(_cyclical),
)
_add(
    "optimizers",
    "TriangularCyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate(mode='triangular')",
    value(_cyclical_mode("triangular")),
)
_add(
    "optimizers",
    "Triangular2CyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate(mode='triangular2')",
    value(_cyclical_mode("triangular2")),
)
_add(
    "optimizers",
    "ExponentialCyclicalLearningRate",
    "shim",
    "kr.schedules.CyclicalLearningRate(mode='exp_range')",
    value(_cyclical_mode("exp_range")),
)
_add(
    "optimizers",
    "RectifiedAdam",
    "removed",
    "keras.optimizers.AdamW + kr.schedules.WarmupCosine (warmup instead of "
    "rectification)",
)
_add("optimizers", "MovingAverage", "removed", "any Keras optimizer with use_ema=True")
_add("optimizers", "SWA", "removed", "any Keras optimizer with use_ema=True")
_add("optimizers", "Yogi", "removed", "keras.optimizers.Adam / Lion")
_add("optimizers", "NovoGrad", "removed", "keras.optimizers.Lamb")
_add("optimizers", "ConditionalGradient", "removed", "keras.optimizers.SGD")
_add("optimizers", "COCOB", "removed", "keras.optimizers.ScheduleFreeAdamW")
_add(
    "optimizers",
    "extend_with_decoupled_weight_decay",
    "removed",
    "the weight_decay= argument of every Keras optimizer",
)
