"""Verified ONNX export: parity, report, atomic writes, sidecars, no-TF use."""

import json
import logging
import os
import sys

import keras
import numpy as np
import onnxruntime as ort
import pytest
from blocked_imports import run_blocked

import keras_recipes as kr
from keras_recipes.export import onnx as onnx_export
from keras_recipes.export import onnx_preprocess


def tiny_image_model(**kwargs):
    return kr.image_classifier(
        num_classes=3, image_shape=(8, 8, 1), width=8, depth=2, **kwargs
    )


@pytest.fixture(scope="module")
def image_model():
    keras.utils.set_random_seed(0)
    return tiny_image_model()


def test_image_onnx_parity_report_and_dynamic_batch(image_model, digits, tmp_path):
    (x_train, _), (x_test, _) = digits
    path = str(tmp_path / "model.onnx")
    report = image_model.export(path, format="onnx", samples=x_test[:16])
    assert report.route == "tf_function"
    assert report.opset == 17
    assert report.input_names == ["image"]
    assert report.input_shapes == [[None, 8, 8, 1]]
    assert report.output_names == ["predictions"]
    assert report.output_shapes == [[None, 3]]
    assert report.num_samples == 16
    assert report.max_abs_error <= 1e-5
    assert report["max_abs_error"] == report.max_abs_error
    assert report.ort_latency_ms > 0 and report.keras_latency_ms > 0
    assert report.sidecar_path is None
    json.dumps(report.to_dict())
    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = image_model.predict(x_train[:37], verbose=0)
    for rows in (slice(0, 1), slice(0, 37)):
        got = session.run(None, {"image": x_train[rows].astype("float32")})[0]
        np.testing.assert_allclose(got, expected[rows], atol=1e-5)
    # raw uint8 pixels through the dependency-free predictor
    got = onnx_preprocess.OnnxPredictor(path).predict(x_train[:5])
    np.testing.assert_allclose(got, expected[:5], atol=1e-5)


def test_generated_samples_when_none_given(image_model, tmp_path):
    report = onnx_export.export_onnx(image_model, tmp_path / "g.onnx", num_samples=3)
    assert report.num_samples == 3
    assert report.max_abs_error <= 1e-5


def test_failed_parity_leaves_no_file_and_keeps_old_one(
    image_model, tmp_path, monkeypatch
):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous export")
    real = onnx_export.keras_outputs

    def shifted(*args):
        return [o + 1e-3 for o in real(*args)]

    monkeypatch.setattr(onnx_export, "keras_outputs", shifted)
    with pytest.raises(onnx_export.OnnxParityError, match="exceeds tolerance=1e-05"):
        onnx_export.export_onnx(image_model, path, routes=("tf_function",))
    assert path.read_bytes() == b"previous export"
    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]
    # a looser tolerance accepts the same difference
    report = onnx_export.export_onnx(
        image_model, path, routes=("tf_function",), tolerance=1e-2
    )
    assert 5e-4 < report.max_abs_error < 2e-3


def test_invalid_converter_output_is_rejected(image_model, tmp_path):
    # keras.Model.export(format="onnx") traces model(x) without training=False:
    # augmentation ops end up in the graph and the checker refuses them.
    path = tmp_path / "model.onnx"
    with pytest.raises(onnx_export.OnnxExportError, match="StatelessRandomUniform"):
        onnx_export.export_onnx(image_model, path, routes=("keras",))
    assert os.listdir(tmp_path) == []


def test_bad_arguments(image_model, tmp_path):
    with pytest.raises(ValueError, match=r"`filepath` must end with '.onnx'"):
        image_model.export(str(tmp_path / "m.pb"), format="onnx")
    with pytest.raises(ValueError, match="`routes` must be one of"):
        onnx_export.export_onnx(image_model, tmp_path / "m.onnx", routes=("tf",))
    with pytest.raises(ValueError, match="`format` must be one of"):
        image_model.export(str(tmp_path / "m.onnx"), format="onxx")
    with pytest.raises(ValueError, match="`samples` must hold images"):
        image_model.export(
            str(tmp_path / "m.onnx"), format="onnx", samples=np.zeros((2, 5, 5, 1))
        )


def test_mixed_precision_model_is_exported_as_float32(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (6, 8, 8, 1)).astype("float32")
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = tiny_image_model()
        # exported while the global policy is still mixed: the float32 rebuild
        # must not leak into (or depend on) the global policy
        report = model.export(str(tmp_path / "mp.onnx"), format="onnx", samples=x)
        assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.get_layer("stem_conv").compute_dtype == "float16"
    assert report.float32_cast
    # parity is against the float32 computation (the rebuilt model)
    assert report.max_abs_error <= 1e-5
    session = ort.InferenceSession(
        str(tmp_path / "mp.onnx"), providers=["CPUExecutionProvider"]
    )
    assert session.get_inputs()[0].type == "tensor(float)"
    assert session.get_outputs()[0].type == "tensor(float)"
    got = session.run(None, {"image": x})[0]
    # float32 ONNX vs the float16 Keras model: close, not equal
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=2e-2)


def _text_model():
    texts = np.array(
        [
            "good movie",
            "bad movie",
            "great fun",
            "awful plot",
            "Good, GOOD acting!",
            "bad bad bad",
        ]
    )
    vectorize = keras.layers.TextVectorization(
        max_tokens=20, output_sequence_length=6, name="vectorize"
    )
    vectorize.adapt(texts)
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    x = vectorize(inputs)
    x = keras.layers.Embedding(20, 4, name="embed")(x)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, outputs)

    def onnx_core():
        core = onnx_export.split_after(model, "vectorize")
        sidecar = onnx_export.text_vectorization_sidecar(
            vectorize, input_name="text", output_name=core.input.name
        )
        return core, sidecar, "text_tokens"

    model.onnx_core = onnx_core
    return model


def test_text_sidecar_end_to_end_without_tensorflow(tmp_path):
    model = _text_model()
    raw = np.array(
        [
            ["Good movie!"],
            ["bad, BAD plot"],
            ["unknown words here"],
            ["great  fun\tgreat fun great fun great"],
            [""],
        ],
        dtype=object,
    )
    path = str(tmp_path / "text.onnx")
    report = onnx_export.export_onnx(model, path, samples=raw)
    assert report.preprocess == "text_tokens"
    assert report.sidecar_path == str(tmp_path / "text.json")
    assert report.max_abs_error <= 1e-5
    assert report.input_names == ["vectorize_output"]
    with open(report.sidecar_path) as file:
        sidecar = json.load(file)
    assert sidecar["vocabulary"][:2] == ["", "[UNK]"]
    np.testing.assert_array_equal(
        onnx_preprocess.text_tokens(raw, sidecar)["vectorize_output"],
        model.get_layer("vectorize")(raw).numpy(),
    )
    expected = model(raw, training=False).numpy()
    np.save(tmp_path / "expected.npy", expected)
    # Raw strings -> prediction in a process where TensorFlow cannot be imported.
    run_blocked(
        f"""
        import numpy as np
        raw = ["Good movie!", "bad, BAD plot", "unknown words here",
               "great  fun\\tgreat fun great fun great", ""]
        got = module.OnnxPredictor({path!r}).predict(raw)
        want = np.load({str(tmp_path / "expected.npy")!r})
        assert np.abs(got - want).max() <= 1e-5, np.abs(got - want).max()
        assert "tensorflow" not in sys.modules
        print("OK")
        """,
        blocked=("tensorflow", "keras", "keras_recipes"),
        cwd=tmp_path,
        onnx_preprocess=True,
    )


def test_text_vectorization_sidecar_refuses_custom_settings():
    layer = keras.layers.TextVectorization(output_mode="multi_hot", ngrams=2)
    layer.adapt(np.array(["a b"]))
    with pytest.raises(ValueError, match="output_mode='multi_hot', ngrams=2"):
        onnx_export.text_vectorization_sidecar(layer)


def test_tabular_columns_matches_keras_preprocessing():
    ages = np.array([20.0, 35.0, 50.0, 65.0])
    colours = np.array(["red", "blue", "red", "green"])
    norm = keras.layers.Normalization(axis=None)
    norm.adapt(ages)
    lookup = keras.layers.StringLookup()
    lookup.adapt(colours)
    sidecar = {
        "columns": {
            "age_norm": {
                "source": "age",
                "kind": "numeric",
                "mean": float(norm.mean.numpy().squeeze()),
                "variance": float(norm.variance.numpy().squeeze()),
            },
            "colour_id": {
                "source": "colour",
                "kind": "categorical",
                "vocabulary": lookup.get_vocabulary()[1:],
                "num_oov_indices": 1,
            },
        }
    }
    raw = {"age": np.array([20.0, 42.0]), "colour": np.array(["green", "purple"])}
    out = onnx_preprocess.tabular_columns(raw, sidecar)
    np.testing.assert_allclose(
        out["age_norm"][:, 0], norm(raw["age"]).numpy().reshape(-1), rtol=1e-6
    )
    np.testing.assert_array_equal(out["colour_id"][:, 0], lookup(raw["colour"]).numpy())
    with pytest.raises(ValueError, match="Unknown ONNX preprocessing 'nope'"):
        onnx_preprocess.get("nope")


def test_text_classifier_template_sidecar_parity(tmp_path):
    from keras_recipes.tasks.text_classifier import TextClassifier

    model = TextClassifier(
        ["good", "bad", "movie"], num_classes=2, embedding_dim=4, units=4
    )
    raw = ["a good movie", "", "Bad, BAD movie!!", "unknown stuff good"]
    path = str(tmp_path / "text.onnx")
    report = model.export(path, format="onnx", samples=raw)
    assert report.preprocess == "text_tokens"
    assert report.max_abs_error <= 1e-5
    got = onnx_preprocess.OnnxPredictor(path).predict(raw)
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), atol=1e-5)


def test_text_classifier_wide_deep_sidecar_parity(tmp_path):
    """The wide path (bigram hash table, gathers) exports with the sidecar."""
    from keras_recipes.tasks.text_classifier import TextClassifier

    model = TextClassifier(
        ["good", "bad", "movie", "not"],
        num_classes=3,
        embedding_dim=4,
        units=4,
        bigrams=["good movie", "not good", "bad bad"],
        standardize="lower_and_split_punctuation",
    )
    bag = model.core.get_layer("ngram_bag")
    rng = np.random.default_rng(0)
    for weight in (bag.unigram_weights, bag.bigram_weights):  # they start at 0
        weight.assign(rng.normal(size=weight.shape).astype("float32"))
    raw = ["a good movie", "", "not-good, BAD bad movie!!", "movie.good not"]
    path = str(tmp_path / "wide.onnx")
    report = model.export(path, format="onnx", samples=raw)
    assert report.preprocess == "text_tokens"
    assert report.max_abs_error <= 1e-5
    got = onnx_preprocess.OnnxPredictor(path).predict(raw)
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), atol=1e-5)


def test_tabular_classifier_template_string_lookups_via_saved_model(tmp_path, capfd):
    from keras_recipes.tasks.tabular_classifier import TabularClassifier

    features = [
        {
            "name": "size",
            "kind": "numeric",
            "mean": 1.0,
            "variance": 1.0,
            "fill_value": 1.0,
            "missing_indicator": False,
        },
        {"name": "color", "kind": "string_categorical", "vocabulary": ["red", "blue"]},
    ]
    model = TabularClassifier(features, num_classes=2, hidden_units=[8])
    raw = {
        "size": np.array([0.5, 2.0, np.nan]),
        "color": np.array(["red", "green", "blue"]),
    }
    path = str(tmp_path / "tab.onnx")
    # Outside pytest, Python log records reach stderr through the root logger
    # (absl's handler); here pytest's own handlers hold them, so add one.
    to_stderr = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(to_stderr)
    capfd.readouterr()
    try:
        report = model.export(path, format="onnx", samples=raw)
    finally:
        logging.getLogger().removeHandler(to_stderr)
    # A successful export prints none of the converter's chatter: no
    # tracebacks of the failed first route, no "Cannot infer shape" lines.
    printed = capfd.readouterr()
    for noise in ("Traceback", "Cannot infer shape", "make_sure", "table_initializer"):
        assert noise not in printed.err + printed.out, printed.err[-3000:]
    # from_function cannot carry the lookup tables; the SavedModel route can
    assert "LookupTableFindV2" in report.routes_tried["tf_function"]
    assert report.route == "saved_model"
    assert report.input_names == ["color", "size"]
    assert report.max_abs_error <= 1e-5
    got = onnx_preprocess.OnnxPredictor(path).predict(
        {"size": raw["size"].astype("float32"), "color": raw["color"].astype(object)}
    )
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), atol=1e-5)


def test_tabular_penguins_with_integer_category_exports_to_onnx(tmp_path):
    # `year` (3 distinct ints) is inferred integer-categorical; tf2onnx cannot
    # convert int64->int64 hash tables, so the lookup is written with ops.
    train, test = kr.datasets.load_penguins()
    model = kr.tabular_classifier(data=train, target="species", hidden_units=[8])
    assert model.get_layer("lookup_year").__class__.__name__ == (
        "IntegerCategoryLookup"
    )
    x = test.drop(columns=["species"]).head(12).copy()
    x.loc[x.index[0], "year"] = 2031  # unseen category -> OOV in both
    path = str(tmp_path / "penguins.onnx")
    report = model.export(path, format="onnx", samples=x)
    assert report.max_abs_error <= 1e-5
    assert "year" in report.input_names
