"""`kr.tabular_regressor`: raw table rows in, values in the target's units out.

Real data no one here wrote: the Palmer penguins' body mass (grams) from
their species, island, sex, bill and flipper sizes (`palmerpenguins`, CC0).
"""

import keras
import numpy as np
import pandas as pd
import pytest
from task_checks import check_config_round_trip

import keras_recipes as kr
from keras_recipes.tasks.tabular_regressor import TabularRegressor

FIT = dict(verbose=0, tensorboard=False)
SMALL = dict(hidden_units=[64, 64], ensemble_size=4)


@pytest.fixture(scope="module")
def penguins():
    return kr.datasets.load_penguins_body_mass()


@pytest.fixture(scope="module")
def trained(penguins):
    train, _ = penguins
    model = kr.tabular_regressor(data=train, seed=0, **SMALL)
    model.fit(train, epochs=40, seed=0, **FIT)
    return model


def _rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_beats_predicting_the_mean_by_a_clear_margin(trained, penguins):
    train, test = penguins
    predicted = trained.predict_values(test)
    assert list(predicted.columns) == ["body_mass_g"]
    ours = _rmse(predicted["body_mass_g"], test["body_mass_g"])
    mean = _rmse(train["body_mass_g"].mean(), test["body_mass_g"])
    assert ours < 0.6 * mean, (ours, mean)
    metrics = trained.evaluate(test, verbose=0)
    assert metrics["rmse"] == pytest.approx(ours, rel=1e-3)
    assert metrics["r2"] > 0.6


def test_keras_save_load_gives_equal_predictions(trained, penguins, tmp_path):
    _, test = penguins
    path = str(tmp_path / "mass.keras")
    trained.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, TabularRegressor)
    np.testing.assert_allclose(
        loaded.predict(test, verbose=0), trained.predict(test, verbose=0), rtol=1e-5
    )
    check_config_round_trip(trained, test.head(8))


def test_onnx_export_parity_in_grams(trained, penguins, tmp_path):
    _, test = penguins
    x = test.drop(columns=["body_mass_g"]).head(16)
    report = trained.export(str(tmp_path / "mass.onnx"), format="onnx", samples=x)
    # Grams (~4,000): parity within 1e-5 of the targets' scale, not 1e-5 g.
    assert report.max_abs_error <= 0.1


def test_several_targets_and_log_transform(penguins):
    train, test = penguins
    model = kr.tabular_regressor(
        data=train,
        target=["body_mass_g", "flipper_length_mm"],
        target_transform="log",
        seed=0,
        **SMALL,
    )
    assert model.target_names == ["body_mass_g", "flipper_length_mm"]
    assert model.target_transform["log"] == [True, True]
    model.fit(train, epochs=3, **FIT)
    values = model.predict_values(test)
    assert values.shape == (len(test), 2)
    assert (values.to_numpy() > 0).all()


def test_old_mlp_architecture_still_available(penguins):
    train, test = penguins
    model = kr.tabular_regressor(data=train, architecture="mlp", seed=0)
    assert model.get_layer("bn_0") is not None
    model.fit(train, epochs=2, **FIT)
    assert model.predict(test, verbose=0).shape == (len(test), 1)


def test_bad_targets_raise_before_training(penguins):
    train, _ = penguins
    with pytest.raises(TypeError, match="must hold numbers for a regressor"):
        kr.tabular_regressor(data=train, target="species")
    with pytest.raises(ValueError, match="must be a column of `data`"):
        kr.tabular_regressor(data=train, target="body_mass")
    with pytest.raises(ValueError, match="must not repeat a column"):
        kr.tabular_regressor(data=train, target=["body_mass_g", "body_mass_g"])
    constant = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 5.0, 5.0]})
    with pytest.raises(ValueError, match="single value"):
        kr.tabular_regressor(data=constant, target="y")
    infinite = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, np.inf, 1.0]})
    with pytest.raises(ValueError, match="finite"):
        kr.tabular_regressor(data=infinite, target="y")
    with pytest.raises(ValueError, match="kr.tabular_regressor"):
        kr.tabular_classifier(data=train, target=["species", "sex"])


def test_fit_without_epochs_stops_and_restores_the_best_epoch(penguins):
    from keras_recipes.data.pipeline import split

    train, _ = penguins
    model = kr.tabular_regressor(data=train, seed=0, learning_rate=0.03, **SMALL)
    model.auto_patience = 3  # a high learning rate: validation loss turns soon
    history = model.fit(train, seed=0, **FIT)
    val = history.history["val_loss"]
    assert len(val) < model.auto_max_epochs  # stopped early
    assert int(np.argmin(val)) == len(val) - 1 - model.auto_patience
    # The weights are the best epoch's: the same seeded held-out rows score
    # the best validation loss, not the last one.
    _, held_out = split(model.to_data(train), 0.1, seed=0)
    score = model.evaluate((held_out.x, held_out.y), verbose=0)["loss"]
    np.testing.assert_allclose(score, min(val), rtol=1e-4)
