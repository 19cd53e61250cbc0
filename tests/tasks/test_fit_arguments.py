"""`fit`/`evaluate`/`predict`/`translate` arguments checked before any work (#35).

`class_weight` is checked against the model's classes (Keras' tf.data path
fails mid-epoch with "Graph execution error" on a class without a weight),
batch sizes and beam widths are bounded, so no argument ends in a raw
TensorFlow error, an out-of-memory or a hang.
"""

import numpy as np
import pandas as pd
import pytest

import keras_recipes as kr
from keras_recipes import validation
from keras_recipes.samplers import MAX_BEAM_WIDTH
from keras_recipes.samplers import BeamSampler

NO_TB = dict(verbose=0, tensorboard=False)
TEXTS = ["good movie", "bad film", "great fun", "awful plot"] * 2
LABELS = ["pos", "neg", "pos", "neg"] * 2
SOURCES = ["one", "two", "three", "four"] * 2
TARGETS = ["1", "2", "3", "4"] * 2


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = kr.datasets.load_digits()
    return x[:40].astype("float32"), y[:40]


@pytest.fixture(scope="module")
def image(digits):
    kr.set_seed(0)
    return kr.image_classifier(data=digits, width=4, depth=1)


@pytest.fixture(scope="module")
def text():
    return kr.text_classifier(
        data=(TEXTS, LABELS), units=8, embedding_dim=8, sequence_length=8
    )


@pytest.fixture(scope="module")
def s2s():
    return kr.seq2seq_transformer(
        data=(SOURCES, TARGETS),
        embedding_dim=8,
        num_heads=2,
        intermediate_dim=8,
        num_encoder_layers=1,
        num_decoder_layers=1,
    )


# ----------------------------------------------------------- class_weight
def test_missing_classes_name_them_instead_of_graph_error(image, digits):
    with pytest.raises(ValueError) as info:
        image.fit(digits, class_weight={0: 1.0}, **NO_TB)
    message = str(info.value)
    assert "`class_weight` must give a weight to every class" in message
    assert "[1, 2, 3, 4, 5, 6, 7, 8, 9]" in message
    assert "Graph execution" not in message


@pytest.mark.parametrize(
    "class_weight, error, pattern",
    [
        ({**{i: 1.0 for i in range(10)}, 10: 1.0}, ValueError, r"in \[0, 10\)"),
        ({**{i: 1.0 for i in range(10)}, -1: 1.0}, ValueError, r"key -1"),
        ({**{i: 1.0 for i in range(9)}, 9: -2.0}, ValueError, r">= 0\.0"),
        ({**{i: 1.0 for i in range(9)}, 9: float("nan")}, ValueError, "finite"),
        ({**{i: 1.0 for i in range(9)}, 9: float("inf")}, ValueError, "finite"),
        ({**{i: 1.0 for i in range(9)}, 9: "2"}, TypeError, "must be a number"),
        ({i: 0.0 for i in range(10)}, ValueError, "all 0"),
        ({1.0: 1.0}, TypeError, "keys must be class indices"),
        ({"cat": 1.0}, ValueError, "names a class the model does not have"),
        ([1.0] * 10, TypeError, "must be a dict"),
        ("heavy", TypeError, "must be a dict"),
        ({}, ValueError, "at least one class"),
    ],
)
def test_bad_class_weight_image(image, digits, class_weight, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        image.fit(digits, class_weight=class_weight, **NO_TB)
    assert "class_weight" in str(info.value)


def test_class_weight_by_name_and_numpy_keys(text, image, digits):
    text.fit((TEXTS, LABELS), class_weight={"pos": 2.0, "neg": 1}, epochs=1, **NO_TB)
    weights = {np.int64(i): np.float32(1.0) for i in range(10)}
    image.fit(digits, class_weight=weights, epochs=1, **NO_TB)


def test_class_weight_unknown_name_suggests(text):
    with pytest.raises(ValueError, match=r"Did you mean 'pos'"):
        text.fit((TEXTS, LABELS), class_weight={"poss": 2.0, "neg": 1}, **NO_TB)


def test_class_weight_index_and_name_twice(text):
    with pytest.raises(ValueError, match=r"two weights"):
        text.fit((TEXTS, LABELS), class_weight={"pos": 2.0, 1: 1.0, 0: 1}, **NO_TB)


def test_class_weight_tabular_missing_class():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": ["u", "v", "w", "u"]})
    model = kr.tabular_classifier(data=frame, target="y", hidden_units=[4])
    with pytest.raises(ValueError, match=r"classes \[2\] have none"):
        model.fit(frame, class_weight={"u": 1.0, "v": 1.0}, **NO_TB)


def test_class_weight_refused_for_translation(s2s):
    with pytest.raises(ValueError, match=r"`class_weight` is not supported"):
        s2s.fit((SOURCES, TARGETS), class_weight={0: 1.0}, **NO_TB)


def test_check_class_weight_without_classes():
    assert validation.check_class_weight("class_weight", {3: 2}) == {3: 2.0}


# ------------------------------------------------------------- batch size
@pytest.mark.parametrize("batch_size", [10**12, 2**64, validation.MAX_BATCH_SIZE + 1])
def test_huge_batch_size_fit_evaluate_predict(image, digits, batch_size):
    for call in (
        lambda: image.fit(digits, batch_size=batch_size, **NO_TB),
        lambda: image.evaluate(digits, batch_size=batch_size, verbose=0),
        lambda: image.predict(digits[0], batch_size=batch_size, verbose=0),
    ):
        with pytest.raises(ValueError, match=r"`batch_size` must be <= 16777216"):
            call()


def test_huge_batch_size_make_dataset():
    with pytest.raises(ValueError, match=r"`batch_size` must be <="):
        kr.data.make_dataset(np.zeros((3, 2)), batch_size=10**12)


def test_largest_batch_size_still_works(image, digits):
    history = image.fit(digits, batch_size=validation.MAX_BATCH_SIZE, epochs=1, **NO_TB)
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("batch_size", [10**12, 0, -1])
def test_translate_batch_size(s2s, batch_size):
    with pytest.raises(ValueError, match=r"`batch_size` must be"):
        s2s.translate(["one"], batch_size=batch_size)


# -------------------------------------------------------------- decoding
@pytest.mark.parametrize("beam_width", [10**9, MAX_BEAM_WIDTH + 1])
def test_huge_beam_width_is_refused_not_hung(s2s, beam_width):
    with pytest.raises(ValueError, match=rf"`beam_width` must be <= {MAX_BEAM_WIDTH}"):
        s2s.translate(["one"], beam_width=beam_width)
    with pytest.raises(ValueError, match=r"`beam_width` must be <="):
        s2s.generate_ids(np.ones((1, 3), "int32"), beam_width=beam_width)
    with pytest.raises(ValueError, match=r"`beam_width` must be <="):
        BeamSampler(beam_width=beam_width)


def test_huge_max_length_is_refused(s2s):
    with pytest.raises(ValueError, match=r"`max_length` must be <="):
        s2s.translate(["one"], max_length=10**9)


def test_beam_width_at_the_bound_translates(s2s):
    assert len(s2s.translate(["one"], beam_width=8)) == 1


# ------------------------------------------------------- other arguments
@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(epochs=-1), ValueError, r"epochs"),
        (dict(epochs=2.0), TypeError, r"epochs"),
        (dict(validation_split=1.0), ValueError, r"validation_split.*< 1\.0"),
        (dict(validation_split=-0.2), ValueError, r"validation_split.*>= 0\.0"),
        (dict(validation_split=float("nan")), ValueError, r"validation_split"),
        (dict(validation_split="0.2"), TypeError, r"validation_split"),
    ],
)
def test_other_fit_numbers(image, digits, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        image.fit(digits, **NO_TB, **kwargs)


def test_huge_epochs_allowed_with_zero_work(image, digits):
    # 10**12 epochs is a valid request; it is not started here (initial_epoch
    # equals it), so the call only shows it is accepted.
    history = image.fit(digits, epochs=10**12, initial_epoch=10**12, **NO_TB)
    assert history.history == {}


def test_initial_epoch_far_ahead_is_refused_not_hung(image, digits):
    # Continuing the shuffle at pass k opens k iterators: bounded.
    with pytest.raises(ValueError, match=r"`first_pass` must be <= 100000"):
        image.fit(digits, epochs=10**12, initial_epoch=10**9, **NO_TB)
