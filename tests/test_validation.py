import numpy as np
import pytest

from keras_recipes import validation


def test_encode_labels_maps_names_and_checks_range():
    out = validation.encode_labels("y", ["b", "a", "b"], class_names=["a", "b"])
    assert out.tolist() == [1, 0, 1]
    assert out.dtype == np.int32
    assert validation.encode_labels("y", [0.0, 2.0], num_classes=3).tolist() == [0, 2]
    assert validation.encode_labels("y", np.array([[1], [0]])).tolist() == [1, 0]


@pytest.mark.parametrize(
    "y, kwargs, match",
    [
        (["a", "z"], dict(class_names=["a", "b"]), r"unknown labels: \['z'\]"),
        ([0, 5], dict(num_classes=3), r"\[0, 3\).*Received: a label of 5"),
        ([[0, 1]], {}, "1D array"),
        ([np.nan, 1], {}, "NaN"),
        ([], {}, "empty"),
    ],
)
def test_encode_labels_errors(y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        validation.encode_labels("y", y, **kwargs)


def test_infer_classes():
    assert validation.infer_classes("y", ["b", "a", "b"]) == (2, ["a", "b"])
    assert validation.infer_classes("y", [0, 4, 2]) == (5, None)
    with pytest.raises(ValueError, match=r"at least 2 distinct classes"):
        validation.infer_classes("y", ["a", "a"])
    with pytest.raises(TypeError, match="mixes label types"):
        validation.infer_classes("y", np.array(["a", 1], dtype=object))


def test_scalar_checks_messages():
    with pytest.raises(ValueError, match=r"Received: rate=1.5"):
        validation.check_float("rate", 1.5, minimum=0.0, maximum=1.0)
    with pytest.raises(TypeError, match=r"must be an integer. Received: units=2.5"):
        validation.check_int("units", 2.5)
    assert validation.check_int("units", np.int64(3)) == 3
    assert type(validation.check_int("units", np.int64(3))) is int
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        validation.check_choice("optimizer", "adamm", ("adam", "sgd"))
