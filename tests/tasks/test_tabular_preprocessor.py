import warnings

import numpy as np
import pandas as pd
import pytest
from tabular_frames import tiny_frame

import keras_recipes as kr
from keras_recipes.tasks.tabular_preprocessor import TabularPreprocessor

TINY = dict(hidden_units=[16])
FIT = dict(verbose=0, tensorboard=False)


@pytest.fixture(scope="module")
def penguins():
    return kr.datasets.load_penguins()


# ------------------------------------------------------------------ inference
def test_stats_come_from_the_training_split_only(penguins):
    train, test = penguins
    model = kr.tabular_classifier(data=train, hidden_units=[8])
    spec = {f["name"]: f for f in model.features}["body_mass_g"]
    assert spec["mean"] == pytest.approx(train["body_mass_g"].mean())
    assert spec["mean"] != pytest.approx(pd.concat([train, test])["body_mass_g"].mean())


def test_inference_overrides_and_dropped_columns():
    frame = tiny_frame()
    frame["empty"] = np.nan
    frame["row_id"] = [f"id-{i}" for i in range(len(frame))]
    frame["noise"] = np.arange(len(frame), dtype="float64")
    with pytest.warns(UserWarning) as record:
        model = kr.tabular_classifier(
            data=frame, target="label", ignore=["noise"], **TINY
        )
    messages = " ".join(str(w.message) for w in record)
    assert "'empty' holds only missing values; dropping it" in messages
    assert "'row_id' has a distinct value in every row" in messages
    kinds = {f["name"]: f["kind"] for f in model.features}
    assert kinds == {
        "size": "numeric",
        "color": "string_categorical",
        "count": "integer_categorical",
        "flag": "boolean",
    }
    assert sorted(model.ignore) == ["empty", "noise", "row_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ignored columns are silently dropped
        model.predict(frame, verbose=0)
    forced = kr.tabular_classifier(
        data=frame,
        target="label",
        numeric=["count"],
        categorical=["size"],
        ignore=["empty", "row_id", "noise"],
        **TINY,
    )
    kinds = {f["name"]: f["kind"] for f in forced.features}
    assert kinds["count"] == "numeric" and kinds["size"] == "string_categorical"


def test_pandas_extension_dtypes_and_odd_column_names():
    n = 30
    frame = pd.DataFrame(
        {
            "bill length (mm)": np.arange(n, dtype=float),
            "bill_length__mm_": np.arange(n, dtype=float),  # same safe layer name
            "nullable": pd.array([1, 2, None] * 10, dtype="Int64"),
            "cat": pd.Categorical([1, 2, 3] * 10),
            7: np.full(n, 1.5),  # non-string name, constant values
            "b": pd.array([True, False, None] * 10, dtype="boolean"),
            "y": ["a", "b"] * 15,
        }
    )
    model = kr.tabular_classifier(data=frame, target="y", **TINY)
    kinds = {f["name"]: f["kind"] for f in model.features}
    assert kinds == {
        "bill length (mm)": "numeric",
        "bill_length__mm_": "numeric",
        "nullable": "numeric",  # integers with gaps: numeric + indicator
        "cat": "string_categorical",
        "7": "numeric",
        "b": "boolean",
    }
    assert len(model.predict_labels(frame.head(4))) == 4


# ---------------------------------------------------- training data errors
def test_target_errors(penguins):
    train, _ = penguins
    with pytest.raises(
        ValueError, match="`target` must be a column of `data`. Did you mean 'species'?"
    ):
        kr.tabular_classifier(data=train, target="specie")
    plain = train.copy()
    plain.attrs = {}
    with pytest.raises(ValueError, match="`target` is required"):
        kr.tabular_classifier(data=plain)
    one_class = train[train["species"] == "Adelie"]
    with pytest.raises(
        ValueError,
        match="`target` must hold at least 2 distinct "
        r"classes to train a classifier. Received: only \['Adelie'\]",
    ):
        kr.tabular_classifier(data=one_class, target="species")


def test_override_errors(penguins):
    train, _ = penguins
    with pytest.raises(
        ValueError,
        match="`data` column 'island' is numeric but holds non-numeric values",
    ):
        kr.tabular_classifier(data=train, numeric=["island"])
    with pytest.raises(
        ValueError,
        match="`ignore` names a column that is not in `data`. Did you mean 'sex'?",
    ):
        kr.tabular_classifier(data=train, ignore=["sexx"])
    with pytest.raises(ValueError, match="both `numeric` and `categorical`"):
        kr.tabular_classifier(data=train, numeric=["year"], categorical=["year"])


def test_looks_numeric_column_with_placeholder_strings():
    frame = tiny_frame()
    frame["weight"] = [str(float(i)) for i in range(len(frame))]
    frame.loc[5, "weight"] = "?"
    with pytest.raises(
        ValueError,
        match=r"column 'weight' looks numeric but holds "
        r"non-numeric strings such as '\?'",
    ):
        kr.tabular_classifier(data=frame, target="label")


# ------------------------------------------------------------ the object
def test_preprocessor_converts_raw_tables_and_splits_labels():
    frame = tiny_frame()
    pre = TabularPreprocessor.from_frame(frame.drop(columns="label"), target="label")
    assert pre.feature_names == ["size", "color", "count", "flag"]
    assert [pre.is_categorical(c) for c in pre.feature_names] == [
        False,
        True,
        True,
        False,
    ]
    assert pre.num_indices("color") == 3
    x, y = pre.to_arrays(frame.head(4))
    assert list(x) == pre.feature_names and list(y) == ["yes", "no", "yes", "no"]
    assert x["size"].dtype == np.float32 and np.isnan(x["size"][3])
    assert x["flag"].tolist()[:2] == [1.0, 0.0] and np.isnan(x["flag"][2])
    x, y = pre.to_arrays(frame.head(4), with_labels=False)
    assert y is None and list(x) == pre.feature_names
    gaps = frame.head(4).assign(label=["yes", None, "no", "no"])
    with pytest.warns(UserWarning, match=r"Dropping 1 row\(s\) whose label"):
        x, y = pre.to_arrays(gaps)
    assert len(x["size"]) == 3 and list(y) == ["yes", "no", "no"]
    layers = pre.feature_layers()
    assert [layer.name for layer in layers.values()] == [
        "normalize_size",
        "lookup_color",
        "lookup_count",
        "normalize_flag",
    ]
    assert sorted(pre.inputs()) == sorted(pre.feature_names)
