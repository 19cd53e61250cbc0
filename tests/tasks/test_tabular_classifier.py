import os
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
from task_checks import check_config_round_trip
from task_checks import check_fit_arrays_and_tf_data
from task_checks import check_predict_by_batches
from task_checks import check_save_load_fresh_process

import keras_recipes as kr
from keras_recipes.tasks.tabular_classifier import CategoryCross
from keras_recipes.tasks.tabular_classifier import ImputedNormalization
from keras_recipes.tasks.tabular_classifier import balanced_class_weight

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(hidden_units=[16])
FIT = dict(verbose=0, tensorboard=False)


def tiny_frame(n=40, seed=0):
    """A small learnable frame with every column kind and some gaps."""
    rng = np.random.default_rng(seed)
    label = np.where(np.arange(n) % 2 == 0, "yes", "no")
    size = np.where(label == "yes", 5.0, 1.0) + rng.normal(0, 0.3, n)
    size[3] = np.nan
    return pd.DataFrame(
        {
            "size": size,
            "color": np.where(label == "yes", "red", "blue").astype(object),
            "count": (np.arange(n) % 3).astype("int64"),
            "flag": [True, False, None, True] * (n // 4),
            "label": label,
        }
    )


@pytest.fixture(scope="module")
def penguins():
    return kr.datasets.load_penguins()


@pytest.fixture(scope="module")
def trained(penguins):
    train, _ = penguins
    model = kr.tabular_classifier(data=train, target="species", seed=0)
    model.fit(train, epochs=30, validation_split=0.2, seed=0, **FIT)
    return model


def hgb_accuracy(train, test):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    x, xt = train.drop(columns="species"), test.drop(columns="species")
    for column in ("island", "sex"):
        x[column] = x[column].astype("category")
        xt[column] = pd.Categorical(xt[column], categories=x[column].cat.categories)
    # One OpenMP thread: on a shared 2-core machine more threads are far slower.
    with threadpool_limits(1):
        clf = HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=0
        ).fit(x, train["species"])
    return float((clf.predict(xt) == test["species"]).mean())


# ----------------------------------------------------------- real data bar
def test_penguins_accuracy_matches_gradient_boosting(trained, penguins):
    train, test = penguins
    ours = trained.evaluate(test, verbose=0)["accuracy"]
    baseline = hgb_accuracy(train, test)
    assert ours >= 0.95, ours
    assert ours >= baseline - 0.02, (ours, baseline)
    labels = trained.predict_labels(test)  # target column present: ignored
    assert np.mean(np.array(labels) == test["species"].to_numpy()) == pytest.approx(
        ours, abs=1e-6
    )


def test_inferred_column_kinds_on_penguins(trained):
    kinds = {f["name"]: f["kind"] for f in trained.features}
    assert kinds == {
        "island": "string_categorical",
        "bill_length_mm": "numeric",
        "bill_depth_mm": "numeric",
        "flipper_length_mm": "numeric",
        "body_mass_g": "numeric",
        "sex": "string_categorical",
        "year": "integer_categorical",
    }
    specs = {f["name"]: f for f in trained.features}
    assert specs["bill_length_mm"]["missing_indicator"] is True
    assert "" in specs["sex"]["vocabulary"]  # missing token learned from gaps
    assert sorted(specs["island"]["vocabulary"]) == ["Biscoe", "Dream", "Torgersen"]
    assert trained.class_names == ["Adelie", "Chinstrap", "Gentoo"]
    assert sorted(i.name for i in trained.inputs) == sorted(trained.feature_names)


def test_stats_come_from_the_training_split_only(penguins):
    train, test = penguins
    model = kr.tabular_classifier(data=train, hidden_units=[8])
    spec = {f["name"]: f for f in model.features}["body_mass_g"]
    assert spec["mean"] == pytest.approx(train["body_mass_g"].mean())
    assert spec["mean"] != pytest.approx(pd.concat([train, test])["body_mass_g"].mean())


def test_raw_rows_dicts_scalars_unseen_and_missing(trained, penguins):
    _, test = penguins
    row = {
        "island": ["Biscoe"],
        "bill_length_mm": [39.1],
        "bill_depth_mm": [18.7],
        "flipper_length_mm": [181],
        "body_mass_g": [3750],
        "sex": ["male"],
        "year": [2007],
    }
    assert trained.predict_labels(row) == ["Adelie"]
    scalars = {k: v[0] for k, v in row.items()}
    assert trained.predict_labels(scalars) == ["Adelie"]
    odd = dict(scalars, island="Atlantis", sex=None, year=2031, bill_depth_mm=None)
    probs = trained.predict(odd, verbose=0)
    assert probs.shape == (1, 3) and np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-5)
    series = test.drop(columns="species").iloc[0]
    assert trained.predict_labels(series) == trained.predict_labels(test.head(1))
    # (inputs, labels) pair at predict time: the labels are dropped.
    pair = (test.drop(columns="species").head(3), test["species"].head(3))
    assert trained.predict(pair, verbose=0).shape == (3, 3)


def test_save_load_fresh_process_raw_rows(trained, penguins, tmp_path):
    _, test = penguins
    rows = test.drop(columns="species").head(12).copy()
    rows.loc[0, "island"] = "Unseen Island"
    rows.loc[1, "bill_length_mm"] = np.nan
    rows.loc[2, "sex"] = None
    check_save_load_fresh_process(trained, rows, str(tmp_path))


def test_config_round_trip(trained, penguins):
    _, test = penguins
    clone = check_config_round_trip(trained, test.head(8))
    assert clone.features == trained.features


def test_extra_columns_warn_and_missing_columns_raise(trained, penguins):
    _, test = penguins
    frame = test.drop(columns="species").head(3).assign(colour="red")
    with pytest.warns(UserWarning, match=r"ignoring them: \['colour'\]"):
        trained.predict(frame, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trained.predict(test.head(3), verbose=0)  # target column: no warning
    with pytest.raises(
        ValueError,
        match=r"missing column\(s\) the model needs: "
        r"\['island', 'sex'\]",
    ):
        trained.predict(test.drop(columns=["island", "sex"]), verbose=0)


def test_predict_by_batches_matches_keras_loop(trained, penguins, capsys):
    _, test = penguins
    check_predict_by_batches(trained, test.drop(columns="species").head(6), capsys)


def test_numeric_column_with_strings_at_predict_time(trained, penguins):
    _, test = penguins
    frame = test.drop(columns="species").head(3).astype({"bill_depth_mm": object})
    frame.loc[1, "bill_depth_mm"] = "deep"
    with pytest.raises(
        ValueError,
        match="`x` column 'bill_depth_mm' is numeric but "
        r"holds non-numeric values \(1, e.g. 'deep'\)",
    ):
        trained.predict(frame, verbose=0)
    frame.loc[1, "bill_depth_mm"] = "18.5"  # numeric strings are fine
    assert trained.predict(frame, verbose=0).shape == (3, 3)


def test_empty_frames_raise(trained, penguins):
    train, test = penguins
    with pytest.raises(ValueError, match="`data` is empty: expected at least one"):
        kr.tabular_classifier(data=train.head(0), target="species")
    with pytest.raises(ValueError, match="`x` is empty: expected at least one row"):
        trained.predict(test.head(0), verbose=0)


# ------------------------------------------------------------ factory errors
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


# ------------------------------------------------- inference, kinds, options
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


def test_fit_on_dicts_and_tf_data_and_boolean_inputs():
    frame = tiny_frame()
    model = kr.tabular_classifier(data=frame, target="label", **TINY)
    x = model.check_x(frame.drop(columns="label"))
    assert x["flag"].dtype == np.float32 and np.isnan(x["flag"][2])
    assert x["count"].dtype == np.int64 and x["color"].dtype == object
    check_fit_arrays_and_tf_data(model, x, frame["label"].to_numpy())
    flags = frame.drop(columns="label").head(3).assign(flag=["yes", "false", None])
    assert model.predict(flags, verbose=0).shape == (3, 2)
    with pytest.raises(ValueError, match="column 'flag' is boolean but holds"):
        model.predict(flags.assign(flag=["maybe", "yes", "no"]), verbose=0)


def test_binary_balanced_class_weight_and_learning():
    rng = np.random.default_rng(1)
    n = 120
    y = np.where(np.arange(n) < 20, "rare", "common")
    frame = pd.DataFrame(
        {"score": np.where(y == "rare", 2.0, -2.0) + rng.normal(0, 0.5, n), "y": y}
    )
    model = kr.tabular_classifier(
        data=frame, target="y", class_weight="balanced", seed=0, **TINY
    )
    assert model.class_names == ["common", "rare"]
    assert balanced_class_weight(model.encode_y(y), 2) == {0: 0.6, 1: 3.0}
    model.fit(frame, epochs=15, **FIT)
    assert model.predict(frame, verbose=0).shape == (n, 2)
    assert model.evaluate(frame, verbose=0)["accuracy"] > 0.9
    with pytest.raises(ValueError, match="`class_weight` must be one of"):
        model.fit(frame, class_weight="balance", **FIT)


def test_crosses_csv_path_and_kr_data(tmp_path, penguins):
    train, test = penguins
    path = str(tmp_path / "train.csv")
    train.to_csv(path, index=False)
    model = kr.tabular_classifier(
        data=path, target="species", crosses=[["island", "sex"]], **TINY
    )
    assert any(layer.name == "cross_island_x_sex" for layer in model.layers)
    model.fit(path, epochs=1, **FIT)
    assert len(model.predict_labels(path)) == len(train)
    data = kr.data.csv(path, target="species")
    from_data = kr.tabular_classifier(data=data, **TINY)
    assert from_data.class_names == ["Adelie", "Chinstrap", "Gentoo"]
    from_data.fit(data, epochs=1, **FIT)
    with pytest.raises(ValueError, match="`crosses` columns must be categorical"):
        kr.tabular_classifier(data=train, crosses=[["island", "body_mass_g"]])


@pytest.mark.slow
def test_mirrored_strategy_with_string_columns(penguins):
    train, _ = penguins
    model = kr.tabular_classifier(data=train, strategy="mirrored", **TINY)
    assert model.distribute_strategy.num_replicas_in_sync == 2
    history = model.fit(train, epochs=1, batch_size=7, **FIT)
    assert np.isfinite(history.history["loss"]).all()


# --------------------------------------------------------------- components
def test_layers_config_and_keras_save_load(tmp_path):
    norm = ImputedNormalization(
        mean=1.0, variance=4.0, fill_value=0.0, missing_indicator=True
    )
    assert ImputedNormalization.from_config(norm.get_config()).get_config() == (
        norm.get_config()
    )
    cross = CategoryCross(num_b=4)
    assert CategoryCross.from_config(cross.get_config()).num_b == 4
    a = keras.Input(shape=(), name="a")
    i = keras.Input(shape=(), dtype="int64", name="i")
    j = keras.Input(shape=(), dtype="int64", name="j")
    out = keras.layers.Concatenate()(
        [norm(a), keras.ops.cast(keras.ops.expand_dims(cross([i, j]), -1), "float32")]
    )
    model = keras.Model({"a": a, "i": i, "j": j}, out)
    feed = {
        "a": np.array([3.0, np.nan], "float32"),
        "i": np.array([1, 2]),
        "j": np.array([3, 0]),
    }
    expected = np.array([[1.0, 0.0, 7.0], [-0.5, 1.0, 8.0]], "float32")
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected)
    path = str(tmp_path / "layers.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(feed, verbose=0), expected)


def test_constructor_validation():
    good = [
        {
            "name": "a",
            "kind": "numeric",
            "mean": 0.0,
            "variance": 1.0,
            "fill_value": 0.0,
            "missing_indicator": False,
        }
    ]
    with pytest.raises(ValueError, match=r"`features\[0\]\['kind'\]` must be one of"):
        kr.tasks.TabularClassifier([{"name": "a", "kind": "numbr"}], 2)
    with pytest.raises(ValueError, match=r"needs keys"):
        kr.tasks.TabularClassifier([{"name": "a", "kind": "numeric"}], 2)
    with pytest.raises(
        ValueError,
        match="`class_weight` must be None, 'balanced' or a list of 2 weights",
    ):
        kr.tasks.TabularClassifier(good, 2, class_weight=[1.0])
    with pytest.raises(ValueError, match="`hidden_units` must be a non-empty list"):
        kr.tasks.TabularClassifier(good, 2, hidden_units=[])


def test_template_builds_through_recipe():
    import yaml

    path = os.path.join(REPO, "templates", "tabular_classification.yaml")
    with open(path, encoding="utf-8") as file:
        config = yaml.safe_load(file)
    assert config["task"] == "tabular_classifier"
    assert config["data"]["dataset"] == "penguins"
    assert set(config["fit"]) >= {"epochs", "batch_size", "validation_split"}
    from keras_recipes import registry

    factory = registry.get_factory(config["task"])
    train, _ = registry.load_dataset(config["data"]["dataset"])
    model = factory(data=train, seed=config["seed"], **config["model"])
    assert isinstance(model, kr.tasks.TabularClassifier)
    assert registry.DEMO_DATASETS["tabular_classifier"] == "penguins"
