"""A factory given `data=` rejects what `fit` would, with `fit`'s message.

Each factory passes its `data` through the built model's `to_data` (see
`keras_recipes/tasks/factory_data.py`): the inputs are named `data`, the
labels `y`, as `fit` names them.
"""

import re

import numpy as np
import pandas as pd
import pytest

import keras_recipes as kr

SMALL_S2S = dict(
    embedding_dim=8,
    num_heads=2,
    intermediate_dim=8,
    num_encoder_layers=1,
    num_decoder_layers=1,
)


def _fit_message(model, data):
    with pytest.raises((ValueError, TypeError)) as info:
        model.fit(data, epochs=1, verbose=0)
    return str(info.value)


def test_image_factory_data_with_a_nan_pixel_fails_as_fit_does():
    images = np.random.default_rng(0).uniform(0, 255, (6, 8, 8, 1))
    labels = np.arange(6) % 2
    bad = images.copy()
    bad[3, 1, 2, 0] = np.nan
    with pytest.raises(ValueError) as info:
        kr.image_classifier(data=(bad, labels), width=8, depth=1)
    model = kr.image_classifier(data=(images, labels), width=8, depth=1)
    expected = _fit_message(model, (bad, labels))
    assert "`x`" in expected
    assert str(info.value) == expected.replace("`x`", "`data`").replace("x[", "data[")


def test_image_factory_data_of_strings_is_a_type_error_naming_data():
    with pytest.raises(TypeError, match=r"`data` must hold numeric pixel values"):
        kr.image_classifier(
            data=(np.full((4, 8, 8, 1), "a"), [0, 1, 0, 1]), width=8, depth=1
        )


def test_image_factory_labels_beyond_num_classes_fail_at_the_factory():
    images = np.zeros((4, 8, 8, 1), "uint8")
    with pytest.raises(ValueError, match=r"`y` must hold class indices in \[0, 2\)"):
        kr.image_classifier(num_classes=2, data=(images, [0, 1, 2, 3]), width=8)


def test_text_factory_labels_beyond_num_classes_fail_at_the_factory():
    texts = ["good", "bad", "fine", "odd"]
    with pytest.raises(ValueError, match=r"`y` must hold class indices in \[0, 2\)"):
        kr.text_classifier(
            data=(texts, [0, 1, 2, 1]), num_classes=2, units=4, embedding_dim=4
        )


def test_tabular_factory_rejects_what_fit_rejects_naming_data():
    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 4.0], "t": ["p", "q", "p", "q"]},
    )
    model = kr.tabular_classifier(data=frame, target="t", hidden_units=[4])
    frame_inf = frame.assign(a=[1.0, np.inf, 3.0, 4.0])
    expected = _fit_message(model, frame_inf)
    with pytest.raises(ValueError) as info:
        kr.tabular_classifier(data=frame_inf, target="t", hidden_units=[4])
    assert str(info.value) == expected.replace("`x`", "`data`")
    # Labels the model cannot encode: given class names that miss one.
    with pytest.raises(ValueError, match=r"`y`"):
        kr.tabular_classifier(
            data=frame, target="t", class_names=["p", "r"], hidden_units=[4]
        )


def test_seq2seq_factory_warns_about_truncation_as_fit_does():
    data = (["ab", "c" * 40], ["1", "2"])
    with pytest.warns(UserWarning, match=re.escape("sentence(s) in `data` are")):
        kr.seq2seq_transformer(data=data, sequence_length=8, **SMALL_S2S)


def test_factories_still_take_a_data_adapter_and_a_list_pair():
    images = np.zeros((4, 8, 8), "uint8")  # no channel axis: added
    model = kr.image_classifier(data=[images, ["a", "b", "a", "b"]], width=8)
    assert model.class_names == ["a", "b"]
    data = kr.data.from_numpy(np.zeros((4, 8, 8, 1)), np.array([0, 1, 0, 1]))
    assert kr.image_classifier(data=data, width=8).num_classes == 2
