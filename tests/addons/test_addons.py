"""`kr.addons`: every TF Addons row resolves; the docs table matches the code."""

import os

import keras
import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.addons import _mapping

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Minimal TFA-style arguments for the carried-over names that need some.
ARGS = {
    "SigmoidFocalCrossEntropy": ((), {}),
    "WeightNormalization": ((keras.layers.Dense(2),), {"data_init": True}),
    "SpectralNormalization": ((keras.layers.Dense(2),), {}),
    "MultiHeadAttention": ((), {"head_size": 4, "num_heads": 2}),
    "AdamW": ((), {"weight_decay": 1e-4, "learning_rate": 1e-3}),
    "SGDW": ((), {"weight_decay": 1e-4}),
    "Lookahead": ((keras.optimizers.Adam(),), {"sync_period": 5}),
    "MultiOptimizer": (([(keras.optimizers.Adam(), keras.layers.Dense(1))],), {}),
    "CyclicalLearningRate": ((1e-4, 1e-2, 10), {}),
    "TriangularCyclicalLearningRate": ((1e-4, 1e-2, 10), {}),
    "Triangular2CyclicalLearningRate": ((1e-4, 1e-2, 10), {}),
    "ExponentialCyclicalLearningRate": ((1e-4, 1e-2, 10), {"gamma": 0.99}),
    "CohenKappa": ((3,), {}),
    "MatthewsCorrelationCoefficient": ((3,), {}),
    "F1Score": ((3,), {"average": "macro"}),
    "FBetaScore": ((3,), {"beta": 2.0}),
    "TimeStopping": ((), {"seconds": 60}),
    "GroupNormalization": ((), {"groups": 2}),
    "AdaptiveAveragePooling1D": ((2,), {}),
    "AdaptiveAveragePooling2D": ((2,), {}),
    "AdaptiveAveragePooling3D": ((2,), {}),
    "AdaptiveMaxPooling1D": ((2,), {}),
    "AdaptiveMaxPooling2D": ((2,), {}),
    "AdaptiveMaxPooling3D": ((2,), {}),
    "MeanMetricWrapper": ((keras.losses.mean_squared_error,), {}),
}


def test_docs_table_matches_the_code():
    with open(os.path.join(REPO, "docs", "addons.md")) as file:
        text = file.read()
    assert _mapping.markdown_table() in text
    rows = [line for line in text.splitlines() if line.startswith("| `tfa.")]
    assert len(rows) == len(_mapping.ENTRIES)


@pytest.mark.parametrize("module,name", sorted(_mapping.ENTRIES))
def test_every_row_resolves(module, name):
    kind, target, _ = _mapping.ENTRIES[(module, name)]
    submodule = getattr(kr.addons, module)
    assert name in submodule.__all__
    if kind == "removed":
        with pytest.raises(kr.addons.NotCarriedOverError) as info:
            getattr(submodule, name)
        assert target in str(info.value) and f"tfa.{module}.{name}" in str(info.value)
        return
    obj = getattr(submodule, name)
    assert callable(obj)
    if name == "sigmoid_focal_crossentropy":
        loss = obj(np.array([[1.0]]), np.array([[0.8]]))
        assert float(loss[0]) == pytest.approx(-0.25 * 0.04 * np.log(0.8), rel=1e-4)
        return
    if module == "activations":
        out = obj(keras.ops.convert_to_tensor(np.linspace(-2, 2, 5, dtype="float32")))
        assert np.all(np.isfinite(np.asarray(out)))
        return
    args, kwargs = ARGS.get(name, ((), {}))
    instance = obj(*args, **kwargs)
    assert isinstance(
        instance,
        keras.layers.Layer
        | keras.losses.Loss
        | keras.metrics.Metric
        | keras.optimizers.Optimizer
        | keras.optimizers.schedules.LearningRateSchedule
        | keras.callbacks.Callback,
    ), (name, instance)


def test_at_least_forty_names_carried_over_and_import_styles():
    carried = [k for k, v in _mapping.ENTRIES.items() if v[0] != "removed"]
    assert len(carried) >= 40
    from keras_recipes.addons import losses as tfa_losses
    from keras_recipes.addons.optimizers import AdamW

    assert isinstance(AdamW(weight_decay=0.01), keras.optimizers.AdamW)
    assert AdamW(0.01).weight_decay == 0.01  # TFA's positional order
    loss = tfa_losses.SigmoidFocalCrossEntropy(alpha=0.25, gamma=2.0)
    y, p = np.array([[1.0], [0.0]]), np.array([[0.8], [0.3]])
    expected = -(0.25 * 0.2**2 * np.log(0.8) + 0.75 * 0.3**2 * np.log(0.7)) / 2
    assert float(loss(y, p)) == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ImportError, match="Use instead: keras_cv.losses.GIoULoss"):
        from keras_recipes.addons.losses import GIoULoss  # noqa: F401
    with pytest.raises(AttributeError):
        kr.addons.layers.NotATfaName  # noqa: B018
    sd = kr.addons.layers.StochasticDepth(survival_probability=0.8)
    assert isinstance(sd, kr.layers.StochasticDepth) and sd.rate == pytest.approx(0.2)


def test_model_built_from_addons_names_saves_and_loads(tmp_path):
    tfa = kr.addons
    inputs = keras.Input((6,))
    h = tfa.layers.WeightNormalization(keras.layers.Dense(4, activation="relu"))(inputs)
    h = keras.layers.Reshape((2, 2))(h)
    h = tfa.layers.GroupNormalization(groups=2)(h)
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    model.compile(
        tfa.optimizers.Lookahead(tfa.optimizers.AdamW(1e-4)),
        tfa.losses.SigmoidFocalCrossEntropy(),
        metrics=[tfa.metrics.F1Score(1, threshold=0.5)],
    )
    x = np.random.default_rng(0).random((16, 6)).astype("float32")
    model.fit(x, (x[:, :1] > 0.5).astype("float32"), epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kr.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    assert type(loaded.optimizer).__name__ == "Lookahead"
