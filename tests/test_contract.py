"""The component contract, checked for EVERY public object automatically.

Walks `__all__` of `kr.layers`, `kr.losses`, `kr.metrics`, `kr.regularizers`,
`kr.schedules`, `kr.optimizers` and `kr.callbacks`. Each public object must
have an entry in `SPECS` (how to build it and, for layers, a sample input)
or be listed in `HELPERS` (plain functions/result classes); an unknown name
FAILS `test_every_public_object_has_a_spec`, so a new object cannot skip the
checks:

- registered under "keras_recipes" and documented with a runnable example
  (the examples themselves run as doctests);
- `get_config` is plain JSON and `from_config(get_config())` rebuilds an
  object that computes the same thing;
- invalid constructor arguments raise in `__init__` with
  "Received: arg=value" (`BAD_ARGS`, required for every class that takes
  arguments);
- a `.keras` model using it saves and loads in a fresh process without
  `custom_objects` and computes the same outputs (all objects are checked
  in ONE child process to keep the suite fast);
- callbacks are deep-copyable and stateless at construction.
"""

import copy
import inspect
import json
import os
import pickle
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_recipes as kr

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {
    "layers": kr.layers,
    "losses": kr.losses,
    "metrics": kr.metrics,
    "regularizers": kr.regularizers,
    "schedules": kr.schedules,
    "optimizers": kr.optimizers,
    "callbacks": kr.callbacks,
}

RNG = np.random.default_rng(0)


def _f(*shape):
    return RNG.random(shape).astype("float32")


def _ints(high, *shape):
    return RNG.integers(1, high, size=shape).astype("int32")


# Layers: name -> (constructor kwargs factory, sample inputs factory).
LAYERS = {
    "AttentionPooling": (lambda: {"units": 4}, lambda: [_f(2, 5, 3)]),
    # One list input: the two index columns to cross.
    "CategoryCross": (lambda: {"num_b": 4}, lambda: [[_ints(3, 5), _ints(4, 5)]]),
    "FastConv2D": (
        lambda: {"filters": 4, "kernel_size": 3, "padding": "same"},
        lambda: [_f(2, 6, 6, 3)],
    ),
    "ImputedNormalization": (
        lambda: {"mean": 0.5, "variance": 4.0, "missing_indicator": True},
        lambda: [np.array([0.1, np.nan, 0.7], "float32")],
    ),
    "IntegerCategoryLookup": (
        lambda: {"vocabulary": [2007, 2008, 2009]},
        lambda: [np.array([2009, 2007, 1999], "int64")],
    ),
    "ResidualBlock": (lambda: {"filters": 8, "strides": 2}, lambda: [_f(2, 8, 8, 3)]),
    "SqueezeExcitation": (lambda: {"ratio": 0.5}, lambda: [_f(2, 4, 4, 8)]),
    "StochasticDepth": (lambda: {"rate": 0.2}, lambda: [_f(2, 3, 4)]),
    "TargetScale": (
        lambda: {"mean": [1.0, 5.0], "std": [2.0, 0.5], "log": [False, True]},
        lambda: [_f(2, 2)],
    ),
    "TokenAndPositionEmbedding": (
        lambda: {"vocabulary_size": 10, "sequence_length": 6, "embedding_dim": 4},
        lambda: [_ints(10, 2, 6)],
    ),
    "TransformerEncoder": (
        lambda: {"intermediate_dim": 8, "num_heads": 2},
        lambda: [_f(2, 3, 4)],
    ),
    "TransformerDecoder": (
        lambda: {"intermediate_dim": 8, "num_heads": 2},
        lambda: [_f(2, 3, 4), _f(2, 5, 4)],
    ),
    "WeightNormalization": (
        lambda: {"layer": keras.layers.Conv2D(3, 3, activation="relu")},
        lambda: [_f(2, 6, 6, 2)],
    ),
}

# Losses and metrics: name -> (kwargs factory, "classes" | "sequence" |
# "regression").
LOSSES = {
    "SparseCategoricalFocalLoss": (
        lambda: {"gamma": 2.0, "alpha": [1, 2, 3]},
        "classes",
    ),
    "LabelSmoothedSparseCrossentropy": (lambda: {"label_smoothing": 0.1}, "classes"),
    "MaskedSequenceCrossentropy": (lambda: {"pad_id": 0}, "sequence"),
    "ClassBalancedSparseCrossentropy": (
        lambda: {"samples_per_class": [50, 10, 5], "beta": 0.99, "gamma": 1.0},
        "classes",
    ),
    "sparse_categorical_focal_loss": (None, "classes"),
    "label_smoothed_sparse_crossentropy": (None, "classes"),
    "masked_sequence_crossentropy": (None, "sequence"),
    "class_balanced_sparse_crossentropy": (None, "classes"),
    "StandardizedRegressionLoss": (
        lambda: {"mean": [1.0, 2.0], "std": [2.0, 1.0], "log": [False, True]},
        "regression",
    ),
    "standardized_regression_loss": (None, "regression"),
}
# What the regression loss function needs beyond `(y_true, y_pred)`.
REGRESSION_STATS = {"mean": [1.0, 2.0], "std": [2.0, 1.0], "log": [False, True]}
METRICS = {
    "CohenKappa": (lambda: {"num_classes": 3, "weightage": "quadratic"}, "classes"),
    "MatthewsCorrelationCoefficient": (lambda: {"num_classes": 3}, "classes"),
    "CorpusBLEU": (lambda: {"pad_id": 0}, "sequence"),
}
REGULARIZERS = {
    "OrthogonalRegularizer": lambda: {"factor": 0.1},
    "ScheduledL1L2": lambda: {
        "l1": 0.01,
        "l2": 0.1,
        "schedule": kr.schedules.WarmupCosine(1.0, total_steps=10),
    },
}
SCHEDULES = {
    "OneCycle": lambda: {"max_learning_rate": 0.01, "total_steps": 20},
    "CyclicalLearningRate": lambda: {
        "initial_learning_rate": 1e-3,
        "maximal_learning_rate": 1e-2,
        "step_size": 3,
        "mode": "triangular2",
    },
    "WarmupCosine": lambda: {
        "learning_rate": 0.01,
        "total_steps": 20,
        "warmup_steps": 3,
    },
    "ExponentialRange": lambda: {
        "start_learning_rate": 1e-4,
        "end_learning_rate": 1.0,
        "num_steps": 10,
    },
}
OPTIMIZERS = {
    "FastAdamW": lambda: {"learning_rate": 0.01, "weight_decay": 0.01, "beta_2": 0.98},
    "Lookahead": lambda: {"optimizer": keras.optimizers.Adam(0.01), "sync_period": 2},
}
CALLBACKS = {
    "ConfusionMatrixImage": lambda: {
        "validation_data": (_f(4, 3), np.arange(4) % 2),
        "log_dir": "unused",
    },
    "CoordinatedBackup": lambda: {"backup_dir": "unused", "delete_on_end": False},
    "ExportOnTrainEnd": lambda: {"filepath": "out/model", "formats": ["keras"]},
    "LRFinder": lambda: {"start_lr": 1e-5, "end_lr": 1.0, "num_steps": 10},
    "OneCycleScheduler": lambda: {"max_lr": 0.1},
    "ProgressBar": lambda: {},
    "RegularizerScheduler": lambda: {},
    "TerminateOnNaN": lambda: {},
    "TimeBudget": lambda: {"budget": "30m"},
}
# Public helpers that are not serializable components (checked for docs).
HELPERS = {
    "effective_number_weights",
    "bleu_statistics",
    "translation_scores",
    "get",
    "LRFinderResult",
    "lr_find",
    "fit_one_cycle",
    "parse_duration",
    "suggest_learning_rate",
    "NonFiniteLossError",
}
NO_EXAMPLE = {"LRFinderResult", "lr_find", "fit_one_cycle"}

# name -> [(kwargs, expected text)]: each must raise in __init__.
BAD_ARGS = {
    "AttentionPooling": [({"units": 0}, "Received: units=0")],
    "CategoryCross": [({"num_b": 0}, "Received: num_b=0")],
    "FastConv2D": [({"filters": 0, "kernel_size": 3}, "Received: filters=0")],
    "ImputedNormalization": [
        ({"variance": -1.0}, "Received: variance=-1.0"),
        ({"mean": 0.0, "fill_value": "x"}, "Received: fill_value='x'"),
    ],
    "IntegerCategoryLookup": [
        ({"vocabulary": []}, "Received: vocabulary=[]"),
        ({"vocabulary": [1, 1]}, "Received: vocabulary=[1, 1]"),
    ],
    "ResidualBlock": [({"filters": 0}, "Received: filters=0")],
    "SqueezeExcitation": [({"ratio": 1.5}, "Received: ratio=1.5")],
    "TargetScale": [
        ({"mean": [0.0], "std": [0.0], "log": [False]}, "Received: std=[0.0]"),
        ({"mean": [0.0], "std": [1.0], "log": ["no"]}, "Received: log=['no']"),
    ],
    "StandardizedRegressionLoss": [
        ({"mean": [0.0], "std": [1.0], "log": [False], "kind": "l1"}, "Received"),
        ({"mean": [0.0, 1.0], "std": [1.0], "log": [False]}, "Received: mean="),
    ],
    "StochasticDepth": [
        ({"rate": 1.0}, "Received: rate=1.0"),
        ({"rate": 0.1, "seed": -1}, "Received: seed=-1"),
    ],
    "TokenAndPositionEmbedding": [
        (
            {"vocabulary_size": 0, "sequence_length": 4, "embedding_dim": 2},
            "Received: vocabulary_size=0",
        )
    ],
    "TransformerEncoder": [
        ({"intermediate_dim": 8, "num_heads": 0}, "Received: num_heads=0")
    ],
    "TransformerDecoder": [
        ({"intermediate_dim": 0, "num_heads": 2}, "Received: intermediate_dim=0")
    ],
    "WeightNormalization": [
        ({"layer": keras.layers.LSTM(2)}, "Received: layer=LSTM"),
        ({"layer": "dense"}, "Received: layer='dense'"),
    ],
    "SparseCategoricalFocalLoss": [
        ({"gamma": -1.0}, "Received: gamma=-1.0"),
        ({"alpha": [1, -2]}, "Received: alpha=[1, -2]"),
    ],
    "LabelSmoothedSparseCrossentropy": [
        ({"label_smoothing": 1.0}, "Received: label_smoothing=1.0")
    ],
    "MaskedSequenceCrossentropy": [
        ({"pad_id": 0.5}, "Received: pad_id=0.5"),
        ({"label_smoothing": -0.1}, "Received: label_smoothing=-0.1"),
    ],
    "ClassBalancedSparseCrossentropy": [
        ({"samples_per_class": [10, 0]}, "Received: samples_per_class=[10, 0]"),
        ({"samples_per_class": [10, 5], "beta": 1.0}, "Received: beta=1.0"),
    ],
    "CohenKappa": [
        ({"num_classes": 1}, "Received: num_classes=1"),
        ({"num_classes": 3, "weightage": "quadratc"}, "Received: weightage='quadratc'"),
    ],
    "MatthewsCorrelationCoefficient": [({"num_classes": 0}, "Received: num_classes=0")],
    "CorpusBLEU": [
        ({"smooth_method": "add"}, "Received: smooth_method='add'"),
        ({"tokenize": "13b"}, "Received: tokenize='13b'"),
    ],
    "OrthogonalRegularizer": [
        ({"factor": -1}, "Received: factor=-1"),
        ({"mode": "cols"}, "Received: mode='cols'"),
    ],
    "ScheduledL1L2": [
        ({"l2": -0.1}, "Received: l2=-0.1"),
        ({"schedule": 0.5}, "Received: schedule=0.5"),
    ],
    "OneCycle": [
        (
            {"max_learning_rate": 0.0, "total_steps": 5},
            "Received: max_learning_rate=0.0",
        ),
        (
            {"max_learning_rate": 0.1, "total_steps": 5, "pct_start": 1.0},
            "Received: pct_start=1.0",
        ),
    ],
    "CyclicalLearningRate": [
        (
            {
                "initial_learning_rate": 0.1,
                "maximal_learning_rate": 0.01,
                "step_size": 2,
            },
            "Received: maximal_learning_rate=0.01",
        ),
        (
            {
                "initial_learning_rate": 0.01,
                "maximal_learning_rate": 0.1,
                "step_size": 2,
                "mode": "triangle",
            },
            "Received: mode='triangle'",
        ),
    ],
    "WarmupCosine": [
        (
            {"learning_rate": 0.1, "total_steps": 5, "warmup_steps": 5},
            "Received: warmup_steps=5",
        )
    ],
    "ExponentialRange": [
        (
            {"start_learning_rate": 1.0, "end_learning_rate": 0.1, "num_steps": 5},
            "Received: end_learning_rate=0.1",
        )
    ],
    "FastAdamW": [
        ({"beta_1": 1.0}, "Received: beta_1=1.0"),
        ({"beta_2": -0.1}, "Received: beta_2=-0.1"),
        ({"epsilon": -1e-7}, "Received: epsilon=-1e-07"),
        ({"weight_decay": None}, "Received: weight_decay=None"),
    ],
    "Lookahead": [
        ({"optimizer": "adam", "sync_period": 0}, "Received: sync_period=0"),
        ({"optimizer": "adam", "slow_step_size": 1.5}, "Received: slow_step_size=1.5"),
        ({"optimizer": 3}, "Received: optimizer=3"),
    ],
    "ConfusionMatrixImage": [
        ({"validation_data": [1, 2, 3]}, "Received: validation_data of type list"),
        (
            {"validation_data": ([1], [1]), "every_n_epochs": 0},
            "Received: every_n_epochs=0",
        ),
    ],
    "CoordinatedBackup": [
        ({"backup_dir": ""}, "Received: backup_dir=''"),
        ({"backup_dir": "b", "delete_on_end": "yes"}, "Received: delete_on_end='yes'"),
    ],
    "ExportOnTrainEnd": [
        ({"filepath": "m", "formats": ["pdf"]}, "Received: formats='pdf'"),
        ({"filepath": "m", "formats": []}, "Received: formats=[]"),
    ],
    "LRFinder": [
        ({"start_lr": 1.0, "end_lr": 0.1}, "Received: end_lr=0.1"),
        ({"stop_factor": 1.0}, "Received: stop_factor=1.0"),
    ],
    "OneCycleScheduler": [
        ({"max_lr": -1.0}, "Received: max_lr=-1.0"),
        ({"max_lr": 0.1, "pct_start": 0.0}, "Received: pct_start=0.0"),
    ],
    "ProgressBar": [({"file": "log.txt"}, "Received: file='log.txt'")],
    "TerminateOnNaN": [({"monitor": ""}, "Received: monitor=''")],
    "TimeBudget": [
        ({"budget": "30 minutes"}, "Received: budget='30 minutes'"),
        ({"budget": -5}, "Received: budget=-5"),
    ],
}

SPECS = {
    **LAYERS,
    **LOSSES,
    **METRICS,
    **REGULARIZERS,
    **SCHEDULES,
    **OPTIMIZERS,
    **CALLBACKS,
}


def _public():
    items = []
    for module_name, module in MODULES.items():
        for name in module.__all__:
            items.append((module_name, name, getattr(module, name)))
    return items


PUBLIC = _public()
COMPONENTS = [(m, n, o) for m, n, o in PUBLIC if n not in HELPERS]
IDS = [f"{m}.{n}" for m, n, _ in COMPONENTS]


def test_every_public_object_has_a_spec():
    unknown = [f"{m}.{n}" for m, n, _ in PUBLIC if n not in SPECS and n not in HELPERS]
    assert not unknown, (
        f"New public objects {unknown}: add them to the SPECS tables (and BAD_ARGS) "
        "in tests/test_contract.py"
    )
    assert len(COMPONENTS) >= 25


@pytest.mark.parametrize(
    "module_name,name,obj", PUBLIC, ids=[f"{m}.{n}" for m, n, _ in PUBLIC]
)
def test_documented_with_example(module_name, name, obj):
    doc = inspect.getdoc(obj) or ""
    assert len(doc) > 40, f"{name} needs a docstring"
    if name not in NO_EXAMPLE:
        assert "Example" in doc and ">>>" in doc, f"{name} needs a runnable example"


@pytest.mark.parametrize("module_name,name,obj", COMPONENTS, ids=IDS)
def test_registered_under_keras_recipes(module_name, name, obj):
    assert keras.saving.get_registered_name(obj) == f"keras_recipes>{name}"
    assert keras.saving.get_registered_object(f"keras_recipes>{name}") is obj


def _takes_arguments(cls):
    params = inspect.signature(cls.__init__).parameters
    return any(
        p not in ("self", "name", "dtype", "reduction", "kwargs")
        and params[p].kind != inspect.Parameter.VAR_KEYWORD
        for p in params
    )


@pytest.mark.parametrize("module_name,name,obj", COMPONENTS, ids=IDS)
def test_bad_constructor_arguments_raise(module_name, name, obj):
    if not inspect.isclass(obj) or not _takes_arguments(obj):
        return
    assert name in BAD_ARGS, f"add invalid-argument cases for {name} to BAD_ARGS"
    for kwargs, text in BAD_ARGS[name]:
        with pytest.raises((ValueError, TypeError)) as info:
            obj(**kwargs)
        assert text in str(info.value), (name, kwargs, str(info.value))


def _classes_sample(n=6, classes=3):
    y = (np.arange(n) % classes).astype("int32")
    p = np.random.default_rng(1).random((n, classes)).astype("float32") + 0.1
    return y, p / p.sum(-1, keepdims=True)


def _sequence_sample():
    rng = np.random.default_rng(2)
    y = rng.integers(1, 5, size=(3, 6)).astype("int32")
    y[:, -2:] = 0
    p = rng.random((3, 6, 5)).astype("float32") + 0.1
    return y, p / p.sum(-1, keepdims=True)


def _regression_sample():
    rng = np.random.default_rng(3)
    return rng.random((6, 2)).astype("float32") * 3, rng.random((6, 2)).astype(
        "float32"
    ) * 3


def _loss_value(obj, kind):
    samples = {"classes": _classes_sample, "regression": _regression_sample}
    y, p = samples.get(kind, _sequence_sample)()
    if isinstance(obj, keras.losses.Loss):
        return float(obj(y, p))
    extra = {"samples_per_class": [50, 10, 5]} if "balanced" in obj.__name__ else {}
    if kind == "regression":
        extra = REGRESSION_STATS
    return float(np.mean(obj(y, p, **extra)))


@pytest.mark.parametrize("module_name,name,obj", COMPONENTS, ids=IDS)
def test_config_round_trip(module_name, name, obj):
    if name in LAYERS:
        kwargs, inputs = LAYERS[name][0](), LAYERS[name][1]()
        layer = obj(**kwargs)
        out = layer(*inputs)
        config = layer.get_config()
        json.dumps(config)
        clone = obj.from_config(config)
        clone(*inputs)
        clone.set_weights(layer.get_weights())
        assert clone.get_config() == config
        np.testing.assert_allclose(clone(*inputs), out, atol=1e-6)
    elif name in LOSSES:
        factory, kind = LOSSES[name]
        if factory is None:  # a loss function: registered, nothing to configure
            assert np.isfinite(_loss_value(obj, kind))
            return
        loss = obj(**factory())
        config = loss.get_config()
        json.dumps(config)
        clone = obj.from_config(config)
        assert clone.get_config() == config
        assert _loss_value(clone, kind) == pytest.approx(_loss_value(loss, kind))
    elif name in METRICS:
        factory, kind = METRICS[name]
        metric = obj(**factory())
        config = metric.get_config()
        json.dumps(config)
        clone = obj.from_config(config)
        assert clone.get_config() == config
        y, p = _classes_sample() if kind == "classes" else _sequence_sample()
        if kind == "sequence":
            p = np.where(RNG.random(y.shape) < 0.7, y, 3)
        for m in (metric, clone):
            m.update_state(y, p)
        assert float(clone.result()) == pytest.approx(float(metric.result()))
    elif name in REGULARIZERS:
        reg = obj(**REGULARIZERS[name]())
        config = reg.get_config()
        json.dumps(config)
        clone = obj.from_config(config)
        assert clone.get_config() == config
        w = _f(3, 3, 2, 4)
        assert float(clone(w)) == pytest.approx(float(reg(w)))
    elif name in SCHEDULES:
        schedule = obj(**SCHEDULES[name]())
        config = schedule.get_config()
        json.dumps(config)
        clone = obj.from_config(config)
        assert clone.get_config() == config
        for step in (0, 1, 5, 9, 50):
            assert float(clone(step)) == pytest.approx(float(schedule(step)))
    elif name in OPTIMIZERS:
        opt = obj(**OPTIMIZERS[name]())
        config = opt.get_config()
        json.dumps(config)
        clone = obj.from_config(config)
        assert type(clone) is obj and clone.get_config() == config
    elif name in CALLBACKS:
        callback = obj(**CALLBACKS[name]())
        clone = obj(**callback.get_config())
        assert clone.get_config().keys() == callback.get_config().keys()
        copied = copy.deepcopy(callback)
        assert type(copied) is obj and copied is not callback
        assert copied.model is None


def _outputs(model, kind, x, y):
    """What a saved model must reproduce after loading (computed eagerly)."""
    if kind == "predict":
        return np.asarray(model(x, training=False)).tolist()
    if kind == "loss":
        return [
            type(model.loss).__name__
            if not inspect.isfunction(model.loss)
            else model.loss.__name__,
            float(np.mean(model.loss(y, model(x)))),
        ]
    if kind == "metric":
        config = model.get_compile_config()["metrics"][0]
        metric = keras.saving.deserialize_keras_object(config)
        metric.update_state(y, model(x))
        return [type(metric).__name__, float(metric.result())]
    if kind == "regularizer":
        model(x)
        reg = model.layers[-1].kernel_regularizer
        return [type(reg).__name__, float(sum(model.losses))]
    opt = model.optimizer
    return [
        type(opt).__name__,
        float(opt.learning_rate),
        int(opt.iterations),
        [np.asarray(v).tolist() for v in opt.variables],
    ]


def _symbolic(sample):
    """A `keras.Input` like a sample array (a list of them for a list input)."""
    if isinstance(sample, list):
        return [_symbolic(s) for s in sample]
    return keras.Input(sample.shape[1:], dtype=str(sample.dtype))


def _build_saved_models(tmp_path):
    """Builds one small model per component, saves it, records its outputs."""
    cases, inputs, expected = {}, {}, {}

    def add(name, model, x, y=None, kind="predict"):
        path = os.path.join(tmp_path, f"{name}.keras")
        model.save(path)
        cases[name] = (path, kind)
        inputs[name] = (x, y)
        expected[name] = _outputs(model, kind, x, y)

    def classifier():
        i = keras.Input((4,))
        return keras.Model(i, keras.layers.Dense(3, activation="softmax")(i))

    def sequence_model():
        i = keras.Input((6,), dtype="int32")
        h = keras.layers.Embedding(5, 4)(i)
        return keras.Model(i, keras.layers.Dense(5, activation="softmax")(h))

    x_cls, y_cls = _f(12, 4), (np.arange(12) % 3).astype("int32")
    x_seq = _ints(5, 6, 6)
    y_seq = x_seq.copy()
    y_seq[:, -2:] = 0
    for _, name, obj in COMPONENTS:
        if name in LAYERS:
            kwargs, sample = LAYERS[name][0](), LAYERS[name][1]()
            ins = [_symbolic(s) for s in sample]
            model = keras.Model(ins if len(ins) > 1 else ins[0], obj(**kwargs)(*ins))
            add(name, model, sample if len(sample) > 1 else sample[0])
        elif name in LOSSES or name in METRICS:
            if name == "class_balanced_sparse_crossentropy":
                continue  # needs samples_per_class: covered by the class
            factory, kind = LOSSES.get(name) or METRICS[name]
            if kind == "regression":
                if factory is None:
                    continue  # needs the target statistics: covered by the class
                i = keras.Input((4,))
                model = keras.Model(i, keras.layers.Dense(2)(i))
                model.compile("adam", loss=obj(**factory()))
                add(
                    name,
                    model,
                    x_cls,
                    RNG.random((12, 2)).astype("float32") * 3,
                    kind="loss",
                )
                continue
            model = classifier() if kind == "classes" else sequence_model()
            x, y = (x_cls, y_cls) if kind == "classes" else (x_seq, y_seq)
            component = obj if factory is None else obj(**factory())
            if name in LOSSES:
                model.compile("adam", loss=component)
                add(name, model, x, y, kind="loss")
            else:
                model.compile(
                    "adam", "sparse_categorical_crossentropy", metrics=[component]
                )
                add(name, model, x, y if kind == "classes" else y_seq, kind="metric")
        elif name in REGULARIZERS:
            i = keras.Input((4,))
            reg = obj(**REGULARIZERS[name]())
            model = keras.Model(i, keras.layers.Dense(3, kernel_regularizer=reg)(i))
            add(name, model, x_cls, kind="regularizer")
        elif name in SCHEDULES or name in OPTIMIZERS:
            model = classifier()
            if name in SCHEDULES:
                opt = keras.optimizers.Adam(obj(**SCHEDULES[name]()))
            else:
                opt = obj(**OPTIMIZERS[name]())
            model.compile(opt, "sparse_categorical_crossentropy")
            model.fit(x_cls, y_cls, batch_size=4, epochs=1, verbose=0)  # 3 steps
            add(name, model, x_cls, y_cls, kind="optimizer")
    with open(os.path.join(tmp_path, "inputs.pkl"), "wb") as file:
        pickle.dump(inputs, file)
    return cases, expected


CHILD = textwrap.dedent(
    """
    import json, pickle, sys
    sys.path.insert(0, sys.argv[4])
    import keras_recipes as kr
    from test_contract import _outputs

    cases = json.load(open(sys.argv[1]))
    inputs = pickle.load(open(sys.argv[2], "rb"))
    out = {}
    for name, (path, kind) in cases.items():
        model = kr.load_model(path)
        x, y = inputs[name]
        out[name] = _outputs(model, kind, x, y)
    json.dump(out, open(sys.argv[3], "w"))
    """
)


def test_save_load_in_fresh_process_without_custom_objects(tmp_path):
    cases, expected = _build_saved_models(str(tmp_path))
    expected_names = {n for _, n, _ in COMPONENTS if n not in CALLBACKS} - {
        "class_balanced_sparse_crossentropy",
        "standardized_regression_loss",
    }
    assert set(cases) == expected_names
    cases_path = os.path.join(tmp_path, "cases.json")
    out_path = os.path.join(tmp_path, "out.json")
    json.dump(cases, open(cases_path, "w"))
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            cases_path,
            os.path.join(tmp_path, "inputs.pkl"),
            out_path,
            os.path.dirname(__file__),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.load(open(out_path))
    for name, (_, kind) in cases.items():
        got, want = out[name], expected[name]
        if kind == "predict":
            np.testing.assert_allclose(got, want, atol=1e-5, err_msg=name)
            continue
        assert got[0] == want[0], name  # same class (or function) came back
        assert got[1] == pytest.approx(want[1], rel=1e-5), name
        if kind in ("loss", "regularizer"):
            assert want[1] > 0, name
        if kind == "optimizer":
            assert got[2] == want[2] == 3, name
            for g, w in zip(got[3], want[3]):
                np.testing.assert_allclose(g, w, rtol=1e-6, err_msg=name)
