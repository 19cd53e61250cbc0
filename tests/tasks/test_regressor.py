"""`kr.tasks.Regressor`: targets in the user's units, on real data (#37).

The base is exercised through a small functional regressor on scikit-learn's
bundled diabetes table (442 patients, disease progression after one year;
Efron et al. 2004), a real data set no one here wrote.
"""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_diabetes

import keras_recipes as kr
from keras_recipes.tasks.regressor import check_target_transform
from keras_recipes.tasks.regressor import encode_targets
from keras_recipes.tasks.regressor import fit_target_transform
from keras_recipes.tasks.regressor import regression_head

NO_TB = dict(verbose=0, tensorboard=False)


def build(stats, num_features, num_targets=1, **kwargs):
    inputs = keras.Input((num_features,))
    x = keras.layers.Dense(32, activation="relu")(inputs)
    outputs = regression_head(num_targets, stats)(x)
    model = kr.tasks.Regressor(
        inputs=inputs, outputs=outputs, target_transform=stats, **kwargs
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    return model


@pytest.fixture(scope="module")
def diabetes():
    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    train, test = order[:350], order[350:]
    return (x[train], y[train]), (x[test], y[test])


def test_beats_the_mean_on_diabetes_and_reports_user_units(diabetes):
    (x, y), (x_test, y_test) = diabetes
    kr.set_seed(0)
    model = build(fit_target_transform(y), x.shape[1])
    model.fit((x, y), epochs=30, **NO_TB)
    pred = model.predict(x_test, verbose=0)[:, 0]
    rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
    baseline = float(np.sqrt(np.mean((y.mean() - y_test) ** 2)))
    assert rmse < 0.85 * baseline  # linear models reach ~0.75x here
    scores = model.evaluate((x_test, y_test), verbose=0)
    assert set(scores) >= {"loss", "rmse", "mae", "r2"}
    np.testing.assert_allclose(scores["rmse"], rmse, rtol=1e-3)
    assert scores["r2"] > 0.25
    frame = model.predict_values(x_test[:3])
    assert list(frame.columns) == ["target"]
    np.testing.assert_allclose(frame["target"].to_numpy(), pred[:3], rtol=1e-6)


def test_loss_is_scale_free(diabetes):
    (x, y), _ = diabetes
    losses = []
    for factor in (1.0, 1000.0):
        kr.set_seed(0)
        model = build(fit_target_transform(y * factor), x.shape[1])
        history = model.fit((x, y * factor), epochs=2, shuffle=False, **NO_TB)
        losses.append(history.history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-3)


def test_auto_log_transform_for_a_skewed_positive_target():
    rng = np.random.default_rng(0)
    skewed = np.exp(rng.normal(3.0, 1.0, 500))  # log-normal: prices, incomes
    stats = fit_target_transform(skewed)
    assert stats["log"] == [True]
    assert fit_target_transform(skewed, "none")["log"] == [False]
    symmetric = rng.normal(50.0, 5.0, 500)
    assert fit_target_transform(symmetric)["log"] == [False]
    assert fit_target_transform(-skewed)["log"] == [False]  # negative: never
    # The layer inverts the transform: standardized zero is the log-mean.
    layer = kr.layers.TargetScale(**stats)
    value = float(np.asarray(layer(np.zeros((1, 1), "float32")))[0, 0])
    np.testing.assert_allclose(value, np.expm1(stats["mean"][0]), rtol=1e-5)


def test_several_targets_and_summary_name_the_targets(diabetes):
    (x, y), (x_test, _) = diabetes
    targets = np.stack([y, np.log1p(y) * 10], axis=1)
    stats = fit_target_transform(targets, target_names=["progression", "log"])
    model = build(stats, x.shape[1], 2, target_names=["progression", "log"])
    model.fit((x[:64], targets[:64]), epochs=1, **NO_TB)
    frame = model.predict_values(x_test[:4])
    assert list(frame.columns) == ["progression", "log"]
    assert model.get_config()["target_transform"] == stats
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    assert "progression: standardized" in lines[-1]
    # TargetScale round-trips through its config (templates save it).
    layer = kr.layers.TargetScale(**stats)
    clone = kr.layers.TargetScale.from_config(layer.get_config())
    z = np.random.default_rng(0).normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(np.asarray(clone(z)), np.asarray(layer(z)))


def test_interpret_reports_metrics_worst_rows_and_plot(tmp_path, diabetes):
    (x, y), (x_test, y_test) = diabetes
    model = build(fit_target_transform(y), x.shape[1])
    model.fit((x, y), epochs=3, **NO_TB)
    found = model.interpret((x_test, y_test), output_dir=str(tmp_path), top_k=3)
    pred = model.predict(x_test, verbose=0)[:, 0]
    np.testing.assert_allclose(
        found.metrics["target"]["rmse"], np.sqrt(np.mean((pred - y_test) ** 2))
    )
    assert len(found.worst) == 3
    assert abs(found.worst[0]["residual"]) >= abs(found.worst[-1]["residual"])
    assert (tmp_path / "regression.png").stat().st_size > 1000


def test_fit_without_epochs_stops_and_restores_the_best_epoch(diabetes):
    (x, y), _ = diabetes
    kr.set_seed(0)
    model = build(fit_target_transform(y), x.shape[1])
    model.auto_patience = 3
    model.compile(optimizer=keras.optimizers.Adam(0.05))  # overfits quickly
    history = model.fit((x, y), seed=0, **NO_TB)
    val = history.history["val_loss"]
    assert len(val) < model.auto_max_epochs  # stopped early
    assert int(np.argmin(val)) == len(val) - 1 - model.auto_patience
    # The weights are the best epoch's: re-scoring the held-out split (the
    # same seeded split) gives the best validation loss, not the last one.
    from keras_recipes.data.pipeline import split

    _, val_data = split(model.to_data((x, y)), 0.1, seed=0)
    score = model.evaluate((val_data.x, val_data.y), verbose=0)["loss"]
    np.testing.assert_allclose(score, min(val), rtol=1e-4)


@pytest.mark.parametrize(
    "y, error, match",
    [
        (np.array([1.0, np.nan, 2.0]), ValueError, r"1 rows hold NaN.*\[1\]"),
        (np.array([1.0, np.inf]), ValueError, "finite"),
        (np.array(["a", "b"]), TypeError, "must hold numbers"),
        (np.array([3.0, 3.0]), ValueError, "single value"),
    ],
)
def test_bad_targets_are_named(y, error, match):
    with pytest.raises(error, match=match):
        fit_target_transform(y)


def test_target_count_and_transform_checks():
    with pytest.raises(ValueError, match="2 target"):
        encode_targets("y", np.zeros((3, 3)), num_targets=2)
    with pytest.raises(ValueError, match="factory"):
        check_target_transform("auto", 1)
    with pytest.raises(ValueError, match="'mean', 'std' and 'log'"):
        check_target_transform({"mean": [0.0]}, 1)
    with pytest.raises(ValueError, match="needs targets >= 0"):
        fit_target_transform(np.array([-1.0, 2.0]), "log")


def test_class_weight_is_refused(diabetes):
    (x, y), _ = diabetes
    model = build(fit_target_transform(y), x.shape[1])
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit((x, y), epochs=1, class_weight={0: 1.0}, **NO_TB)


def test_classifier_factories_refuse_a_continuous_target():
    train, _ = kr.datasets.load_penguins()
    frame = train.dropna(subset=["body_mass_g"])
    with pytest.raises(ValueError, match="kr.tabular_regressor"):
        kr.tabular_classifier(data=frame, target="body_mass_g")
    with pytest.raises(ValueError, match="not whole.*kr.text_regressor"):
        kr.text_classifier(data=(["a b", "c d", "e f"], [0.5, 1.0, 2.0]))
    (x, y), _ = kr.datasets.load_digits()
    with pytest.raises(ValueError, match="kr.image_regressor"):
        kr.image_classifier(data=(x[:300], np.arange(300)))
    # Many classes given as strings are still a classifier's to learn.
    names = np.array([f"c{i % 40}" for i in range(300)])
    assert kr.image_classifier(data=(x[:300], names), width=4).num_classes == 40
