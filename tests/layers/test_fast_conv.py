"""Tests for `kr.layers.FastConv2D`: Keras' Conv2D with a faster CPU gradient."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_recipes.layers import FastConv2D


def _pair(filters=6, kernel_size=3, channels=4, **kwargs):
    """A FastConv2D and a keras Conv2D with the same weights, both built."""
    fast = FastConv2D(filters, kernel_size, **kwargs)
    stock = keras.layers.Conv2D(filters, kernel_size, **kwargs)
    shape = (None, 9, 7, channels)
    fast.build(shape)
    stock.build(shape)
    stock.set_weights(fast.get_weights())
    return fast, stock


def _grads(layer, x, training, compiled=False):
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            # A loss that is not symmetric in the outputs, so a wrong (e.g.
            # unflipped) kernel in the gradient cannot pass by accident.
            loss = tf.reduce_sum(y * _weights_like(y))
        return y, tape.gradient(loss, [x, *layer.trainable_weights])

    if compiled:
        run = tf.function(run)
    y, grads = run(tf.constant(x))
    return y.numpy(), [g.numpy() for g in grads]


def _weights_like(y):
    shape = tf.shape(y)
    n = tf.reduce_prod(shape)
    return tf.reshape(tf.sin(tf.cast(tf.range(n), y.dtype)), shape)


CASES = [
    {"padding": "same"},
    {"padding": "same", "kernel_size": 5},
    {"padding": "same", "kernel_size": (3, 5)},
    {"padding": "valid"},
    {"padding": "valid", "kernel_size": (2, 3)},
    {"padding": "same", "kernel_size": 1, "use_bias": False},
    {"padding": "same", "activation": "relu"},
]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "tf.function"])
def test_training_gradients_equal_keras_conv2d(kwargs, compiled):
    x = np.random.default_rng(0).normal(size=(3, 9, 7, 4)).astype("float32")
    fast, stock = _pair(**kwargs)
    y_fast, g_fast = _grads(fast, x, training=True, compiled=compiled)
    y_stock, g_stock = _grads(stock, x, training=True, compiled=compiled)
    np.testing.assert_allclose(y_fast, y_stock, rtol=1e-5, atol=1e-5)
    assert len(g_fast) == len(g_stock) == 2 + bool(kwargs.get("use_bias", True))
    for a, b in zip(g_fast, g_stock):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def _conv_op_types(layer, x, training):
    @tf.function
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=training))
        return tape.gradient(loss, [x, layer.kernel])

    graph = run.get_concrete_function(tf.TensorSpec(x.shape, "float32")).graph
    graph_def = graph.as_graph_def()
    # Ops of the graph and of the functions it calls (custom gradients).
    types = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        types.update(node.op for node in function.node_def)
    return types


@pytest.mark.parametrize(
    "kwargs",
    [{"padding": "same"}, {"padding": "valid", "kernel_size": (1, 3)}],
    ids=["same-3x3", "valid-1x3"],
)
def test_training_gradients_use_forward_convolutions_only(kwargs):
    x = np.ones((2, 8, 8, 4), "float32")
    fast, _ = _pair(**{"kernel_size": 3, **kwargs})
    training_ops = _conv_op_types(fast, x, training=True)
    assert "Conv2D" in training_ops
    assert "Conv2DBackpropInput" not in training_ops
    assert "Conv2DBackpropFilter" not in training_ops
    # Inference (and every exported graph) is plain Keras Conv2D.
    inference_ops = _conv_op_types(fast, x, training=False)
    assert {"Conv2DBackpropInput", "Conv2DBackpropFilter"} <= inference_ops


def test_gradients_with_unknown_batch_and_image_size():
    # Keras traces `fit` with an unknown batch size; images may have any size.
    fast, stock = _pair(padding="same")
    rng = np.random.default_rng(3)
    spec = tf.TensorSpec((None, None, None, 4), "float32")

    def gradients(layer):
        @tf.function(input_signature=[spec])
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, training=True)
                loss = tf.reduce_sum(y * _weights_like(y))
            return tape.gradient(loss, [x, layer.kernel])

        return run

    run_fast, run_stock = gradients(fast), gradients(stock)
    for shape in [(5, 8, 8, 4), (2, 11, 6, 4)]:
        x = tf.constant(rng.normal(size=shape).astype("float32"))
        for a, b in zip(run_fast(x), run_stock(x)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding": "same", "strides": 2},
        {"padding": "same", "dilation_rate": 2},
        {"padding": "same", "kernel_size": 2},
        {"padding": "same", "groups": 2},
    ],
    ids=["strides", "dilation", "even-kernel-same", "groups"],
)
def test_other_configurations_are_plain_conv2d(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    x = np.random.default_rng(1).normal(size=(2, 9, 7, 4)).astype("float32")
    fast, stock = _pair(**kwargs)
    assert not fast._fast_gradient_applies()
    y_fast, g_fast = _grads(fast, x, training=True)
    y_stock, g_stock = _grads(stock, x, training=True)
    np.testing.assert_array_equal(y_fast, y_stock)
    for a, b in zip(g_fast, g_stock):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert "Conv2DBackpropInput" in _conv_op_types(fast, x, training=True)


def test_one_training_step_matches_keras_conv2d_in_a_model():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 6, 6, 3)).astype("float32")
    y = rng.integers(0, 3, size=16)

    def model(conv_class):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((6, 6, 3))
        h = conv_class(8, 3, padding="same", activation="relu")(inputs)
        h = conv_class(8, 3, padding="same")(h)
        outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(h))
        m = keras.Model(inputs, outputs)
        m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    fast, stock = model(FastConv2D), model(keras.layers.Conv2D)
    for a, b in zip(fast.get_weights(), stock.get_weights()):
        np.testing.assert_array_equal(a, b)
    fast.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    stock.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(fast.get_weights(), stock.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_bad_filters_names_the_argument():
    with pytest.raises(ValueError, match="Received: filters=0"):
        FastConv2D(0, 3)
