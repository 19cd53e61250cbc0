"""MirroredStrategy on 2 logical CPUs: same training as one device, save/load."""

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import keras_recipes as kr
from keras_recipes.distribute import get_strategy
from keras_recipes.distribute import round_batch_size
from keras_recipes.distribute import synchronize_batch_norm

# shuffle=False: the parity of the strategy itself (sharding, gradient
# all-reduce, BatchNorm, loss scaling). Shuffled parity is
# `test_shuffled_training_matches_single_device` below.
FIT = dict(epochs=2, batch_size=16, seed=0, shuffle=False, verbose=0, tensorboard=False)


def images(n=32, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.uniform(0, 60, (n, 8, 8, 1)).astype("float32")
    x[np.arange(n), y * 2, y * 2, 0] += 200.0  # a learnable bright pixel
    return x, y


def frame(n=32, seed=0):
    rng = np.random.default_rng(seed)
    label = np.where(np.arange(n) % 2 == 0, "yes", "no")
    return pd.DataFrame(
        {
            "size": np.where(label == "yes", 5.0, 1.0) + rng.normal(0, 0.3, n),
            "color": np.where(label == "yes", "red", "blue").astype(object),
            "label": label,
        }
    )


TEXTS = [
    "a great and fun film",
    "awful plot, boring actors",
    "loved it, great fun",
    "boring and awful",
] * 8
LABELS = ["pos", "neg", "pos", "neg"] * 8
# Equal lengths: the sequence loss averages over each replica's non-padding
# tokens, so replicas with different token counts would weigh tokens
# differently from one device (see docs/distribution.md).
PAIRS = (
    ["abc", "bca", "cab", "acb", "bac", "cba", "aab", "bba"] * 4,
    ["xyz", "yzx", "zxy", "xzy", "yxz", "zyx", "xxy", "yyx"] * 4,
)

# Each template, built small and without randomness in the forward pass
# (dropout 0, no augmentation), so one device and two replicas compute the
# same function of the same batches.
TEMPLATES = {
    "image_classifier": (
        lambda **kw: kr.image_classifier(
            data=images(),
            width=4,
            depth=1,
            dropout=0.0,
            augmentation=None,
            se_ratio=0.0,
            **kw,
        ),
        images,
    ),
    "tabular_classifier": (
        lambda **kw: kr.tabular_classifier(
            data=frame(),
            target="label",
            hidden_units=[8],
            dropout=0.0,
            batch_norm=False,
            **kw,
        ),
        frame,
    ),
    "text_classifier": (
        lambda **kw: kr.text_classifier(
            data=(TEXTS, LABELS),
            embedding_dim=8,
            units=8,
            bidirectional=False,
            sequence_length=8,
            dropout=0.0,
            embedding_dropout=0.0,
            **kw,
        ),
        lambda: (TEXTS, LABELS),
    ),
    "seq2seq_transformer": (
        lambda **kw: kr.seq2seq_transformer(
            data=PAIRS,
            embedding_dim=8,
            num_heads=2,
            intermediate_dim=16,
            num_encoder_layers=1,
            num_decoder_layers=1,
            dropout=0.0,
            sequence_length=4,
            **kw,
        ),
        lambda: PAIRS,
    ),
}


def train(name, strategy, **kwargs):
    build, data = TEMPLATES[name]
    model = build(strategy=strategy, seed=0)
    # Per-replica BatchNorm statistics (8+8 samples instead of 16) would make
    # two replicas train differently from one device.
    synchronize_batch_norm(model)
    history = model.fit(data(), **{**FIT, **kwargs})
    return model, history.history["loss"]


def test_two_logical_cpus_give_two_replicas():
    strategy = get_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    assert round_batch_size(33, strategy) == 34
    assert round_batch_size(32, strategy) == 32


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_mirrored_matches_single_device(name):
    single, single_loss = train(name, None)
    assert single.distribute_strategy.num_replicas_in_sync == 1
    mirrored, mirrored_loss = train(name, "mirrored")
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    np.testing.assert_allclose(mirrored_loss, single_loss, rtol=1e-4, atol=1e-5)
    # Training moved the weights, the same way on both (Adam divides by the
    # root of tiny second moments, which magnifies float rounding a little).
    for a, b in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=5e-3)
    assert single_loss[-1] != single_loss[0]


def test_shuffled_training_matches_single_device():
    # Same seed, shuffled pipeline: the run under the strategy must see the
    # same permutation in epoch 1 as the single-device run. Stock Keras 3.15
    # builds the model from a batch of a throw-away iterator, which makes
    # epoch 1 use the second permutation; `distribute.build` avoids that.
    _, single_loss = train("image_classifier", None, shuffle=True)
    _, mirrored_loss = train("image_classifier", "mirrored", shuffle=True)
    np.testing.assert_allclose(mirrored_loss, single_loss, rtol=1e-4, atol=1e-5)


def test_global_batch_is_rounded_up_to_the_replica_count():
    x, y = images(n=34)
    build, _ = TEMPLATES["image_classifier"]
    model = build(strategy="mirrored")

    class CountSteps(keras.callbacks.Callback):
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            CountSteps.steps += 1

    # 34 samples at batch 17 would be 2 steps; rounded to 18 it is still 2,
    # at batch 11 (-> 12) it is 3 steps, not 4.
    model.fit(
        (x, y),
        epochs=1,
        batch_size=11,
        verbose=0,
        tensorboard=False,
        callbacks=[CountSteps()],
    )
    assert CountSteps.steps == 3


def test_user_batched_dataset_is_not_rebatched():
    # A tf.data batch of 9 is split 5/4 over the replicas; it still trains.
    x, y = images(n=27)
    build, _ = TEMPLATES["image_classifier"]
    model = build(strategy="mirrored")
    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("int32"))).batch(9)
    history = model.fit(ds, epochs=2, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"]).all()


def test_save_under_strategy_load_outside(tmp_path):
    model, _ = train("image_classifier", "mirrored")
    path = str(tmp_path / "mirrored.keras")
    with model.distribute_strategy.scope():
        model.save(path)
    loaded = kr.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.distribute_strategy.num_replicas_in_sync == 1
    x, _ = images(n=8, seed=1)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    # The loaded model keeps training (optimizer state came back).
    history = loaded.fit(images(), epochs=1, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"]).all()


def test_unknown_strategy_name_is_rejected():
    with pytest.raises(ValueError, match="Did you mean 'mirrored'"):
        get_strategy("mirored")
