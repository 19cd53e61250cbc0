"""kr.optimizers: FastAdamW equals AdamW; Lookahead's exact update rule."""

import contextlib

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import keras_recipes as kr
from keras_recipes.optimizers import FastAdamW
from keras_recipes.optimizers import Lookahead


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((16, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32")


def test_lookahead_with_trivial_settings_equals_the_inner_optimizer():
    x, y = _data()
    plain, wrapped = _model(), _model()
    plain.compile(keras.optimizers.Adam(0.05), "mse")
    wrapped.compile(
        Lookahead(keras.optimizers.Adam(0.05), sync_period=1, slow_step_size=1.0), "mse"
    )
    for m in (plain, wrapped):
        m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(plain.get_weights(), wrapped.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_lookahead_update_rule_by_hand():
    x, y = _data()
    model = _model()
    w0 = [w.copy() for w in model.get_weights()]
    model.compile(
        Lookahead(keras.optimizers.SGD(0.1), sync_period=2, slow_step_size=0.5), "mse"
    )
    ref = _model()
    ref.compile(keras.optimizers.SGD(0.1), "mse")
    ref.set_weights(w0)
    # Two SGD steps on the same batches, then slow = w0 + 0.5 * (fast - w0).
    ref.fit(x[:8], y[:8], batch_size=4, epochs=1, verbose=0, shuffle=False)
    model.fit(x[:8], y[:8], batch_size=4, epochs=1, verbose=0, shuffle=False)
    for got, start, fast in zip(model.get_weights(), w0, ref.get_weights()):
        np.testing.assert_allclose(got, start + 0.5 * (fast - start), rtol=1e-5)
    assert int(model.optimizer.iterations) == 2


def test_lookahead_trains_and_exposes_learning_rate():
    x, y = _data()
    model = _model()
    opt = Lookahead("adam")
    model.compile(opt, "mse")
    opt.learning_rate = 0.05
    assert float(opt.inner_optimizer.learning_rate) == pytest.approx(0.05)
    history = model.fit(x, y, batch_size=4, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]


def _classifier(seed=0, embedding=False):
    keras.utils.set_random_seed(seed)
    if embedding:  # sparse (IndexedSlices) gradient for the embedding table
        layers = [
            keras.Input((4,), dtype="int32"),
            keras.layers.Embedding(10, 3),
            keras.layers.GlobalAveragePooling1D(),
        ]
    else:
        layers = [keras.Input((3,)), keras.layers.BatchNormalization()]
    layers += [keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)]
    return keras.Sequential(layers)


def _classes(embedding=False):
    rng = np.random.default_rng(0)
    if embedding:
        x = rng.integers(0, 10, (32, 4)).astype("int32")
        return x, (x.sum(1) > 18).astype("int32")
    x = rng.normal(size=(32, 3)).astype("float32")
    return x, (x.sum(1) > 0).astype("int32")


def _train(optimizer, kwargs, embedding=False, strategy=None, **fit_kwargs):
    x, y = _classes(embedding)
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = _classifier(embedding=embedding)
        model.compile(
            optimizer(**kwargs),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            run_eagerly=fit_kwargs.pop("run_eagerly", False),
        )
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False, **fit_kwargs)
    slots = [v.numpy() for v in model.optimizer.variables]
    return model.get_weights(), slots


def _assert_same_training(got, expected):
    for a, b in zip(got[0] + got[1], expected[0] + expected[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


SETTINGS = {
    "graph": {},
    "eager": {"run_eagerly": True},
    "schedule": {
        "learning_rate": keras.optimizers.schedules.ExponentialDecay(
            0.02, decay_steps=2, decay_rate=0.5
        )
    },
    "clipnorm, no decay": {"clipnorm": 0.1, "weight_decay": 0.0},
    "amsgrad (AdamW's own update)": {"amsgrad": True},
    "embedding (sparse gradient: AdamW's own update)": {"embedding": True},
    "mirrored, 2 replicas": {"mirrored": True},
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_fast_adamw_trains_like_keras_adamw(setting):
    kwargs = {"learning_rate": 0.02, "weight_decay": 0.05, **SETTINGS[setting]}
    train_kwargs = {}
    for key in ("run_eagerly", "embedding"):
        if key in kwargs:
            train_kwargs[key] = kwargs.pop(key)
    if kwargs.pop("mirrored", False):
        # The process's shared instance: a second MirroredStrategy over the
        # same devices would reuse its collective keys (see get_strategy).
        train_kwargs["strategy"] = kr.distribute.get_strategy("mirrored")
        assert train_kwargs["strategy"].num_replicas_in_sync == 2
    expected = _train(keras.optimizers.AdamW, kwargs, **train_kwargs)
    got = _train(FastAdamW, kwargs, **train_kwargs)
    _assert_same_training(got, expected)
    # Training moved the weights (the comparison is not between two no-ops).
    assert not np.allclose(
        got[0][-1],
        _classifier(embedding=train_kwargs.get("embedding", False)).get_weights()[-1],
    )


def test_fast_adamw_update_is_one_fused_op_per_variable():
    model = _classifier()
    optimizer = FastAdamW(learning_rate=0.01)
    optimizer.build(model.trainable_variables)
    grads = [tf.ones_like(v) for v in model.trainable_variables]

    @tf.function
    def step():
        optimizer.apply(grads, model.trainable_variables)

    ops = [op.type for op in step.get_concrete_function().graph.get_operations()]
    assert ops.count("ResourceApplyAdam") == len(model.trainable_variables)
    assert ops.count("Pow") == 2  # the bias corrections, once per step
    assert optimizer._step_scalars is None  # nothing kept past the call


def test_fast_adamw_config_and_save_load(tmp_path):
    optimizer = FastAdamW(learning_rate=0.003, weight_decay=0.01, beta_2=0.98)
    reference = keras.optimizers.AdamW(
        learning_rate=0.003, weight_decay=0.01, beta_2=0.98
    )
    config = optimizer.get_config()
    assert {**config, "name": None} == {**reference.get_config(), "name": None}
    assert FastAdamW.from_config(config).get_config() == config

    x, y = _classes()
    model = _classifier()
    model.compile(
        optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects
    assert type(loaded.optimizer) is FastAdamW
    for model_ in (model, loaded):
        model_.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


TINY_DATA = {
    "tabular": lambda: (
        kr.tabular_classifier,
        {
            "data": pd.DataFrame(
                {
                    "a": [0.1, 0.5, 0.9, 0.3],
                    "b": ["x", "y", "x", "y"],
                    "t": [0, 1, 0, 1],
                }
            ),
            "target": "t",
        },
    ),
    "image": lambda: (
        kr.image_classifier,
        {
            "data": (np.zeros((4, 8, 8, 1), "float32"), np.array([0, 1, 0, 1])),
            "width": 4,
        },
    ),
    "text": lambda: (
        kr.text_classifier,
        {"data": (["good film", "bad film", "fine", "awful"], [1, 0, 1, 0])},
    ),
    "translation": lambda: (
        kr.seq2seq_transformer,
        {
            "data": (["ab c", "cab"], ["xy", "yyy"]),
            "embedding_dim": 8,
            "num_heads": 1,
            "intermediate_dim": 8,
            "num_encoder_layers": 1,
            "num_decoder_layers": 1,
        },
    ),
}


@pytest.mark.parametrize("task", TINY_DATA)
def test_templates_compile_with_fast_adamw(task):
    factory, kwargs = TINY_DATA[task]()
    model = factory(**kwargs)
    assert type(model.optimizer) is FastAdamW
