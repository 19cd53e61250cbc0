"""Seq2SeqTransformer: learning, decoding, masks, persistence, bad input."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import tensorflow as tf
import yaml
from task_checks import TINY_SEQ2SEQ as TINY

import keras_recipes as kr

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_load_dates_is_seeded_and_disjoint():
    (x, y), (x_test, y_test) = kr.datasets.load_dates(num_train=50, num_test=20)
    again = kr.datasets.load_dates(num_train=50, num_test=20)
    assert again == ((x, y), (x_test, y_test))
    assert not set(y) & set(y_test)
    assert all(len(t) == 10 and t[4] == "-" for t in y)
    assert kr.datasets.load_dates(num_train=5, num_test=1, seed=1)[0] != (x[:5], y[:5])


def test_factory_adapts_vocabularies_and_lengths():
    model = kr.seq2seq_transformer(data=(["ab c", "cab"], ["xy", "yyy"]), **TINY)
    assert isinstance(model, kr.tasks.Seq2SeqTransformer)
    assert model.source_vocabulary == ["a", "b", "c", " "]
    assert model.target_vocabulary == ["y", "x"]
    assert model.sequence_length == 8 and model.target_sequence_length == 8
    assert model.output_shape == (None, None, len(model.target_vocabulary) + 4)
    words = kr.seq2seq_transformer(
        data=(["le chat", "le chien"], ["the cat", "the dog"]),
        source_split="whitespace",
        target_split="whitespace",
        **TINY,
    )
    assert words.source_vocabulary == ["le", "chat", "chien"]


def test_learns_dates_and_decodes(trained_translator, dates):
    model, history = trained_translator
    _, (x_test, y_test) = dates
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    # Token accuracy ignores padding: on held-out dates the tiny model is good.
    assert history.history["val_accuracy"][-1] > 0.85, history.history
    scores = model.evaluate_bleu((x_test[:40], y_test[:40]))
    assert scores["num_samples"] == 40
    assert scores["bleu"] > 50, scores
    out = model.translate(x_test[:5], beam_width=3)
    assert len(out) == 5 and all(isinstance(s, str) for s in out)
    assert model.translate(x_test[0]) == model.translate([x_test[0]])


def test_padding_does_not_change_encoder_or_loss(trained_translator, dates):
    model, _ = trained_translator
    _, (x_test, y_test) = dates
    ids = model.vectorize_sources(tf.constant(x_test[:4]))
    encoded, _ = model._encoder_forward(ids, training=False)
    extra = tf.concat([ids, tf.zeros_like(ids)[:, :5]], axis=1)
    model_long = model.source_embedding.sequence_length >= extra.shape[1]
    if model_long:  # position table too short for this check otherwise
        encoded_long, _ = model._encoder_forward(extra, training=False)
        np.testing.assert_allclose(encoded_long[:, : ids.shape[1]], encoded, atol=1e-4)
    # The loss is the mean over real target tokens only.
    inputs, labels, weights = model.preprocess_batch(
        tf.constant(x_test[:8]), tf.constant(y_test[:8])
    )
    assert weights.numpy().sum() == (labels.numpy() != 0).sum() == 8 * 11
    logits = model(inputs).numpy().astype("float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, labels.numpy()[..., None], -1)[..., 0]
    expected = nll[labels.numpy() != 0].mean()
    got = model.evaluate((x_test[:8], y_test[:8]), batch_size=8, verbose=0)["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_fit_on_tf_data_of_raw_strings(trained_translator, dates):
    model, _ = trained_translator
    (x, y), _ = dates
    ds = tf.data.Dataset.from_tensor_slices((x[:64], y[:64])).batch(32)
    history = model.fit(ds, epochs=1, tensorboard=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert set(model.evaluate(ds, verbose=0)) == {"loss", "accuracy"}


def test_pipelines_reuse_one_trace_of_the_vectorization(trained_translator, dates):
    # Each fit/evaluate builds a new pipeline; the batch map is traced once
    # per model and gives what the plain method gives.
    model, _ = trained_translator
    _, (x_test, y_test) = dates
    data = model.to_data((x_test[:40], y_test[:40]))
    fn = model._batch_map()
    assert model._batch_map() is fn
    before = fn.experimental_get_tracing_count()
    batches = [list(model.make_dataset(data, batch_size=16)) for _ in range(3)]
    assert fn.experimental_get_tracing_count() - before <= 1
    assert [len(b) for b in batches] == [3, 3, 3]
    sources = tf.constant(x_test[:40])
    targets = tf.constant(y_test[:40])
    for got, start in zip(batches[2], (0, 16, 32)):
        inputs, labels, weights = model.preprocess_batch(
            sources[start : start + 16], targets[start : start + 16]
        )
        for key in ("encoder_ids", "decoder_ids"):
            np.testing.assert_array_equal(got[0][key], inputs[key])
        np.testing.assert_array_equal(got[1], labels)
        np.testing.assert_array_equal(got[2], weights)
    history = model.fit(
        (x_test[:32], y_test[:32]),
        epochs=1,
        batch_size=16,
        tensorboard=False,
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])
    assert fn.experimental_get_tracing_count() - before <= 1


def test_config_round_trip(trained_translator, dates):
    model, _ = trained_translator
    _, (x_test, y_test) = dates
    config = model.get_config()
    json.dumps(config)
    clone = kr.tasks.Seq2SeqTransformer.from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    ids = model.vectorize_sources(tf.constant(x_test[:4]))
    decoder_ids, _ = model.vectorize_targets(tf.constant(y_test[:4]))
    inputs = {"encoder_ids": ids, "decoder_ids": decoder_ids}
    np.testing.assert_allclose(clone(inputs), model(inputs), atol=1e-5)
    assert clone.translate(x_test[:6]) == model.translate(x_test[:6])
    # Files saved when every task carried class names (before the classifier
    # base) hold `class_names: None`; they still load.
    older = kr.tasks.Seq2SeqTransformer.from_config({**config, "class_names": None})
    assert older.get_config() == config


def test_save_load_fresh_process(trained_translator, dates, tmp_path):
    model, _ = trained_translator
    _, (x_test, y_test) = dates
    sentences = list(x_test[:6])
    path = str(tmp_path / "translator.keras")
    model.save(path)
    inputs = {
        "encoder_ids": model.vectorize_sources(tf.constant(sentences)).numpy(),
        "decoder_ids": model.vectorize_targets(tf.constant(y_test[:6]))[0].numpy(),
    }
    with open(tmp_path / "in.pkl", "wb") as file:
        pickle.dump((sentences, inputs), file)
    script = textwrap.dedent(
        f"""
        import pickle, numpy as np
        import keras_recipes as kr
        model = kr.load_model({path!r})
        with open({str(tmp_path / "in.pkl")!r}, "rb") as f:
            sentences, inputs = pickle.load(f)
        out = dict(
            cls=type(model).__name__,
            greedy=model.translate(sentences),
            beam=model.translate(sentences, beam_width=3),
            logits=model.predict(inputs, verbose=0),
        )
        with open({str(tmp_path / "out.pkl")!r}, "wb") as f:
            pickle.dump(out, f)
        """
    )
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "out.pkl", "rb") as file:
        out = pickle.load(file)
    assert out["cls"] == "Seq2SeqTransformer"
    assert out["greedy"] == model.translate(sentences)
    assert out["beam"] == model.translate(sentences, beam_width=3)
    np.testing.assert_allclose(
        out["logits"], model.predict(inputs, verbose=0), atol=1e-5
    )


def test_bad_input_messages(trained_translator):
    model, _ = trained_translator
    with pytest.raises(
        ValueError,
        match=r"`data\[0\]` and `data\[1\]` must have "
        r"the same number of samples. Received: len\(data\[0\]\)=2, "
        r"len\(data\[1\]\)=1",
    ):
        kr.seq2seq_transformer(data=(["a", "b"], ["x"]), **TINY)
    with pytest.raises(ValueError, match=r"`x` and `y` must have the same number"):
        model.fit((["May 1, 2000", "May 2, 2000"], ["2000-05-01"]), tensorboard=False)
    with pytest.raises(
        ValueError,
        match=r"`data\[1\]` must not contain empty "
        r"strings; found 1 \(first at index 1\)",
    ):
        kr.seq2seq_transformer(data=(["a", "b"], ["x", " "]), **TINY)
    with pytest.raises(ValueError, match=r"`sentences` must not contain empty"):
        model.translate(["May 1, 2000", ""])
    with pytest.raises(
        TypeError,
        match=r"`sentences` must hold strings. "
        r"Received: sentences\[0\]=3",
    ):
        model.translate([3])
    with pytest.raises(
        ValueError,
        match=r"`beam_width` must be >= 1. "
        r"Received: beam_width=0",
    ):
        model.translate(["May 1, 2000"], beam_width=0)
    with pytest.raises(ValueError, match=r"`max_length` must be <= 15"):
        model.translate(["May 1, 2000"], max_length=99)
    # A translator is no classifier: it has no `predict_labels` to refuse.
    assert not hasattr(model, "predict_labels")
    with pytest.raises(ValueError, match="does not export to ONNX"):
        kr.seq2seq_transformer(data=(["a"], ["b"]), activation="gelu")


def test_too_long_sentences_warn_once_and_truncate(trained_translator):
    model, _ = trained_translator
    too_long = ["Wednesday, September 27, 2023 " * 3] * 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model.translate(too_long + ["May 1, 2000"])
    messages = [str(w.message) for w in caught if "truncated" in str(w.message)]
    assert len(messages) == 1, messages
    assert messages[0].startswith(
        f"3 sentence(s) in `sentences` are longer than {model.sequence_length} tokens"
    )
    assert len(out) == 4


def test_model_without_vocabularies():
    model = kr.tasks.Seq2SeqTransformer(
        source_vocabulary_size=12,
        target_vocabulary_size=9,
        sequence_length=6,
        **TINY,
    )
    with pytest.raises(
        ValueError,
        match=r"`translate` needs the model's "
        r"vocabularies, but this model was built without them "
        r"\(source_vocabulary=None, target_vocabulary=None\)",
    ):
        model.translate(["abc"])
    with pytest.raises(ValueError, match=r"Training on strings \(`x`\) needs"):
        model.fit((["abc"], ["x"]), tensorboard=False)
    # Token ids still train and decode.
    rng = np.random.default_rng(0)
    x = {
        "encoder_ids": rng.integers(1, 12, (16, 6)),
        "decoder_ids": rng.integers(1, 9, (16, 6)),
    }
    y = rng.integers(1, 9, (16, 6))
    history = model.fit((x, y), epochs=1, tensorboard=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.generate_ids(x["encoder_ids"][:2], max_length=3).shape == (2, 4)
    with pytest.raises(
        ValueError,
        match=r"`source_vocabulary` or "
        r"`source_vocabulary_size` is required",
    ):
        kr.tasks.Seq2SeqTransformer(target_vocabulary=["a"])


def test_translation_template_matches_the_registry():
    from keras_recipes import recipe as recipe_lib
    from keras_recipes import registry

    with open(os.path.join(REPO, "templates", "translation.yaml")) as file:
        recipe = yaml.safe_load(file)
    recipe_lib.validate(recipe)
    assert recipe["task"] == "seq2seq_transformer"
    assert registry.DEMO_DATASETS["seq2seq_transformer"] == recipe["data"]["dataset"]
    assert registry.get_factory(recipe["task"]) is kr.seq2seq_transformer
    import inspect

    params = inspect.signature(kr.tasks.Seq2SeqTransformer).parameters
    assert set(recipe["model"]) <= set(params)
    assert set(recipe["fit"]) == {"epochs", "batch_size", "validation_split"}
