"""The templates under Keras' mixed precision policies.

What a GPU user sets before building a model:
`keras.config.set_dtype_policy("mixed_float16")` (or `"mixed_bfloat16"`).
Each template must then compute in the low precision with float32 weights,
keep its output layer in float32 (stable softmax and loss), get Keras'
dynamic loss scaling under float16, still learn its demo data, and save and
load with its policy and equal predictions. These run on the CPU too (more
slowly than float32 there: `benchmarks/mixed_precision.py`).
"""

import keras
import numpy as np
import pytest
from task_checks import TINY_SEQ2SEQ

import keras_recipes as kr
from keras_recipes import utils


@pytest.fixture
def policy(request):
    with utils.dtype_policy(request.param):
        yield request.param


def _check_policy(model, policy):
    assert model.dtype_policy.name == policy
    compute = policy.removeprefix("mixed_")
    weighted = [layer for layer in model.layers if layer.trainable_weights]
    assert any(layer.compute_dtype == compute for layer in weighted)
    assert {weight.dtype for weight in model.trainable_weights} == {"float32"}
    assert [output.dtype for output in model.outputs] == ["float32"]
    loss_scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert loss_scaled == (policy == "mixed_float16")


def _saved_and_loaded(model, tmp_path):
    path = str(tmp_path / "model.keras")
    model.save(path)
    with utils.dtype_policy("float32"):  # a user's fresh session
        return kr.load_model(path)


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_image_template_learns_digits_and_round_trips(policy, digits, tmp_path):
    (x, y), (x_test, y_test) = digits
    model = kr.image_classifier(data=(x, y), seed=0)
    _check_policy(model, policy)
    model.fit((x, y), epochs=4, verbose=0, seed=0, tensorboard=False)
    accuracy = model.evaluate((x_test, y_test), verbose=0, return_dict=True)
    assert accuracy["accuracy"] >= 0.9
    loaded = _saved_and_loaded(model, tmp_path)
    assert loaded.dtype_policy.name == policy
    np.testing.assert_array_equal(
        loaded.predict(x_test[:64], verbose=0), model.predict(x_test[:64], verbose=0)
    )
    # The optimizer state (loss scale included) comes back: training resumes.
    saved, restored = model.optimizer.variables, loaded.optimizer.variables
    assert [v.path for v in restored] == [v.path for v in saved]
    for before, after in zip(saved, restored):
        np.testing.assert_array_equal(after.numpy(), before.numpy())


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"], indirect=True)
def test_tabular_template_learns_penguins_and_round_trips(policy, tmp_path):
    train, test = kr.datasets.load_penguins()
    model = kr.tabular_classifier(data=train, target="species", seed=0)
    _check_policy(model, policy)
    model.fit(train, epochs=10, verbose=0, seed=0, tensorboard=False)
    scores = model.evaluate(test, verbose=0, return_dict=True)
    assert scores["accuracy"] >= 0.9
    loaded = _saved_and_loaded(model, tmp_path)
    assert loaded.dtype_policy.name == policy
    np.testing.assert_array_equal(
        loaded.predict(test, verbose=0), model.predict(test, verbose=0)
    )


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_text_template_learns_glosses_and_round_trips(policy, tmp_path):
    (x, y), (x_test, y_test) = kr.datasets.load_wordnet_glosses()
    model = kr.text_classifier(
        data=(x, y),
        embedding_dim=32,
        units=32,
        sequence_length=48,
        learning_rate=0.003,
        seed=0,
    )
    _check_policy(model, policy)
    model.fit((x, y), epochs=3, batch_size=64, verbose=0, seed=0, tensorboard=False)
    scores = model.evaluate((x_test, y_test), verbose=0, return_dict=True)
    assert scores["accuracy"] >= 0.8
    loaded = _saved_and_loaded(model, tmp_path)
    assert loaded.dtype_policy.name == policy
    np.testing.assert_array_equal(
        loaded.predict(x_test[:64], verbose=0),
        model.predict(x_test[:64], verbose=0),
    )


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_translation_template_learns_dates_and_round_trips(policy, tmp_path):
    (x, y), (x_test, y_test) = kr.datasets.load_dates(
        num_train=2000, num_test=50, seed=0
    )
    model = kr.seq2seq_transformer(data=(x, y), seed=0, **TINY_SEQ2SEQ)
    _check_policy(model, policy)
    history = model.fit((x, y), epochs=4, verbose=0, seed=0, tensorboard=False)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < 0.7 * losses[0]
    loaded = _saved_and_loaded(model, tmp_path)
    assert loaded.dtype_policy.name == policy
    assert loaded.translate(x_test) == model.translate(x_test)
    assert loaded.translate(x_test[:8], beam_width=3) == model.translate(
        x_test[:8], beam_width=3
    )
