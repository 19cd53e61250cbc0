"""Seq2seq ONNX export: encoder/decoder graphs, sidecar, TF-free translation."""

import argparse
import json
import os

import numpy as np
import pytest
from blocked_imports import run_blocked
from task_checks import TINY_SEQ2SEQ as TINY

import keras_recipes as kr
from keras_recipes.export import cli as export_cli
from keras_recipes.export import onnx as onnx_export
from keras_recipes.export import onnx_preprocess
from keras_recipes.tasks.seq2seq_transformer import Seq2SeqTransformer


@pytest.fixture(scope="module")
def trained():
    (x, y), (x_test, _) = kr.datasets.load_dates(num_train=400, num_test=24, seed=3)
    kr.set_seed(0)
    model = kr.seq2seq_transformer(data=(x, y), seed=0, **TINY)
    model.fit((x, y), epochs=4, batch_size=32, seed=0, tensorboard=False, verbose=0)
    return model, x_test


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    model, x_test = trained
    out = tmp_path_factory.mktemp("seq2seq_onnx")
    report = model.export(
        str(out / "translator.onnx"), format="onnx", samples=x_test[:12]
    )
    return report, out


def test_report_files_and_sidecar(trained, exported):
    model, _ = trained
    report, out = exported
    assert sorted(os.listdir(out)) == [
        "translator.decoder.onnx",
        "translator.encoder.onnx",
        "translator.json",
    ]
    assert report.path == report.sidecar_path == str(out / "translator.json")
    assert report.files["encoder"] == str(out / "translator.encoder.onnx")
    assert report.route == "tf_function" and report.opset == 17
    assert report.input_names == {
        "encoder": ["encoder_ids"],
        "decoder": ["decoder_ids", "encoded", "encoder_mask"],
    }
    assert report.output_names == {
        "encoder": ["encoded", "encoder_mask"],
        "decoder": ["logits"],
    }
    # dynamic batch and sequence axes everywhere
    assert report.input_shapes["encoder"] == [[None, None]]
    assert report.output_shapes["decoder"] == [[None, None, 15]]
    assert report.num_samples == 12
    assert report.max_abs_error <= 1e-5
    assert report.first_step_max_abs_error <= 1e-5
    assert report.decoded_exact_match == 1.0
    assert report.max_length == model.target_sequence_length - 1
    assert report.ort_latency_ms > 0 and report.keras_latency_ms > 0
    json.dumps(report.to_dict())
    with open(report.sidecar_path) as file:
        sidecar = json.load(file)
    assert sidecar["source_tokens"] == ["", "[UNK]", "[START]", "[END]"] + (
        model.source_vocabulary
    )
    assert sidecar["target_tokens"][4:] == model.target_vocabulary
    assert sidecar["source_split"] == "character"
    assert sidecar["sequence_length"] == model.sequence_length
    assert sidecar["encoder"] == "translator.encoder.onnx"


def test_translate_onnx_without_tensorflow_equals_keras(trained, exported, tmp_path):
    model, x_test = trained
    _, out = exported
    # all 24 test sentences: 12 were never seen by the export's own check
    want = model.translate(x_test)
    want_short = model.translate(x_test[:5], max_length=4)
    assert len(set(want)) > 5  # a model that says something
    with open(tmp_path / "data.json", "w") as file:
        json.dump({"x": x_test, "want": want, "want_short": want_short}, file)
    run_blocked(
        f"""
        data = json.load(open({str(tmp_path / "data.json")!r}))
        got = module.translate_onnx({str(out)!r}, data["x"])
        assert got == data["want"], (got, data["want"])
        short = module.translate_onnx(
            {str(out / "translator.onnx")!r}, data["x"][:5], max_length=4)
        assert short == data["want_short"], (short, data["want_short"])
        assert not any(m.split(".")[0] in ("tensorflow", "keras")
                       for m in sys.modules)
        print("OK")
        """,
        blocked=("tensorflow", "keras", "keras_recipes"),
        cwd=tmp_path,
        onnx_preprocess=True,
    )


def test_onnx_greedy_ids_equal_keras_and_bad_max_length(trained, exported):
    model, x_test = trained
    _, out = exported
    translator = onnx_preprocess.OnnxTranslator(out / "translator.json")
    ids = onnx_preprocess.seq2seq_source_ids(x_test, translator.sidecar)
    np.testing.assert_array_equal(
        ids["encoder_ids"], model.vectorize_sources(x_test).numpy()
    )
    np.testing.assert_array_equal(
        translator.generate_ids(ids["encoder_ids"], batch_size=5),
        model.generate_ids(ids["encoder_ids"]),
    )
    limit = model.target_sequence_length - 1
    with pytest.raises(
        ValueError,
        match=rf"`max_length` must be an integer in "
        rf"\[1, {limit}\]. Received: max_length=99",
    ):
        translator.translate(["May 1, 2001"], max_length=99)
    with pytest.raises(ValueError, match="must not contain empty strings"):
        translator.translate(["May 1, 2001", " "])


def test_decoding_mismatch_raises_and_writes_nothing(trained, tmp_path, monkeypatch):
    model, x_test = trained
    real = onnx_preprocess.OnnxTranslator.generate_ids

    def off_by_one(self, *args, **kwargs):
        ids = real(self, *args, **kwargs)
        ids[0, 1] = ids[0, 1] + 1
        return ids

    monkeypatch.setattr(onnx_preprocess.OnnxTranslator, "generate_ids", off_by_one)
    with pytest.raises(
        onnx_export.OnnxParityError,
        match="ONNX greedy decoding differs from Keras on 1 of 3",
    ):
        model.export(
            str(tmp_path / "t.onnx"),
            format="onnx",
            samples=x_test[:3],
            routes=("tf_function",),
        )
    assert os.listdir(tmp_path) == []


def test_tokenizer_matches_keras_vectorization():
    model = Seq2SeqTransformer(
        source_vocabulary=["ab", "c", "é", "[UNK]x"],
        target_vocabulary=["x"],
        sequence_length=5,
        source_split="whitespace",
        embedding_dim=8,
        num_heads=2,
        intermediate_dim=8,
        num_encoder_layers=1,
        num_decoder_layers=1,
    )
    sentences = [
        "ab c",
        "  ab\tc\nab ",
        "ab\u00a0c c",
        "[UNK] [START] é",
        "c c c c c c c ab",
        "zzz ab",
    ]
    _, _, sidecar = model.onnx_decoder_graphs()
    np.testing.assert_array_equal(
        onnx_preprocess.seq2seq_source_ids(sentences, sidecar)["encoder_ids"],
        model.vectorize_sources(sentences).numpy(),
    )
    chars = ["ab", "e\u0301a", "\U0001f600c"]
    model_chars = Seq2SeqTransformer.from_config(
        dict(
            model.get_config(),
            source_split="character",
            source_vocabulary=["a", "b", "c", "e"],
        )
    )
    _, _, sidecar = model_chars.onnx_decoder_graphs()
    np.testing.assert_array_equal(
        onnx_preprocess.seq2seq_source_ids(chars, sidecar)["encoder_ids"],
        model_chars.vectorize_sources(chars).numpy(),
    )


def test_export_cli_on_seq2seq_model(trained, tmp_path, capsys):
    model, x_test = trained
    model_path = str(tmp_path / "dates.keras")
    model.save(model_path)
    args = argparse.Namespace(model=model_path, format="onnx", output=None)
    info = export_cli.export_command(args)
    assert info["path"] == str(tmp_path / "dates.json")
    assert info["decoded_exact_match"] == 1.0
    printed = capsys.readouterr().out
    assert "dates.encoder.onnx" in printed and "dates.decoder.onnx" in printed
    assert "decode to the same token ids as Keras" in printed
    assert onnx_preprocess.translate_onnx(
        tmp_path / "dates.onnx", x_test[:6]
    ) == model.translate(x_test[:6])


def test_mixed_precision_seq2seq_exports_float32_graphs(tmp_path):
    import keras

    (x, y), (x_test, _) = kr.datasets.load_dates(num_train=50, num_test=4, seed=1)
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = kr.seq2seq_transformer(data=(x, y), seed=0, **TINY)
        report = model.export(
            str(tmp_path / "mp.onnx"),
            format="onnx",
            samples=x_test,
            routes=("tf_function",),
        )
        assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.get_layer("encoder_0").compute_dtype == "float16"
    assert report.float32_cast
    # parity (<= 1e-5, exact ids) is against the float32 rebuild of the model
    assert report.max_abs_error <= 1e-5 and report.decoded_exact_match == 1.0
    translator = onnx_preprocess.OnnxTranslator(tmp_path)
    types = [o.type for o in translator.encoder.get_outputs()]
    assert types == ["tensor(float)", "tensor(bool)"]
    assert translator.decoder.get_outputs()[0].type == "tensor(float)"
