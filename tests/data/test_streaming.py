"""Streamed CSV / JSON-lines / text folders: same results as in memory (#40)."""

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest

import keras_recipes as kr
from keras_recipes.data import streaming

FIT = dict(verbose=0, tensorboard=False)
TINY_TEXT = dict(units=8, embedding_dim=8, sequence_length=8, seed=0)


@pytest.fixture(scope="module")
def penguins_csv(tmp_path_factory):
    train, test = kr.datasets.load_penguins()
    folder = tmp_path_factory.mktemp("penguins")
    train_path, test_path = folder / "train.csv", folder / "test.csv"
    train.to_csv(train_path, index=False)
    test.to_csv(test_path, index=False)
    return str(train_path), str(test_path), test


def stream(path, chunk_rows=37):
    return kr.data.csv(path, target="species", streaming=True, chunk_rows=chunk_rows)


def test_auto_streams_only_above_the_budget(penguins_csv, monkeypatch):
    train_path, _, _ = penguins_csv
    size = os.path.getsize(train_path)
    assert kr.data.csv(train_path, memory_budget=size).source is None
    assert kr.data.csv(train_path, memory_budget=size - 1).source is not None
    monkeypatch.setenv(streaming.BUDGET_ENV, "10")
    assert kr.data.csv(train_path).source is not None
    with pytest.raises(ValueError, match=r"streaming.*Received: streaming='yes'"):
        kr.data.csv(train_path, streaming="yes")


def test_streamed_statistics_equal_in_memory(penguins_csv):
    train_path, _, _ = penguins_csv
    memory = kr.tabular_classifier(data=train_path, target="species", seed=0)
    streamed = kr.tabular_classifier(data=stream(train_path), seed=0)
    assert streamed.class_names == memory.class_names
    assert [f["name"] for f in streamed.features] == memory.feature_names
    for got, want in zip(streamed.features, memory.features):
        assert got["kind"] == want["kind"]
        if "vocabulary" in want:
            assert got["vocabulary"] == want["vocabulary"]
        else:  # merged over 8 chunks of 37 rows: equal up to rounding
            for key in ("mean", "variance"):
                np.testing.assert_allclose(got[key], want[key], rtol=1e-12)
            assert got["fill_value"] == want["fill_value"]
            assert got["missing_indicator"] == want["missing_indicator"]


def test_streamed_predict_and_evaluate_equal_in_memory(penguins_csv):
    train_path, test_path, test = penguins_csv
    model = kr.tabular_classifier(data=train_path, target="species", seed=0)
    model.fit(train_path, epochs=2, seed=0, **FIT)
    in_memory = model.predict(test, verbose=0)
    streamed = model.predict(stream(test_path, chunk_rows=10), verbose=0)
    np.testing.assert_allclose(streamed, in_memory, atol=1e-6)
    want = model.evaluate(test_path, verbose=0)
    got = model.evaluate(stream(test_path, chunk_rows=10), verbose=0)
    assert got == pytest.approx(want, abs=1e-6)


def test_streamed_fit_learns(penguins_csv):
    train_path, test_path, test = penguins_csv
    kr.set_seed(0)
    model = kr.tabular_classifier(data=stream(train_path), seed=0)
    history = model.fit(stream(train_path), epochs=20, validation_split=0.2, **FIT)
    assert "val_loss" in history.history
    accuracy = model.evaluate(stream(test_path), verbose=0)["accuracy"]
    majority = test["species"].value_counts(normalize=True).max()
    assert accuracy > majority + 0.2


def test_streamed_split_is_a_partition_for_any_chunk_size(penguins_csv):
    train_path, _, _ = penguins_csv

    def kept(source):
        pieces = source.pieces()
        return np.concatenate([x["bill_length_mm"].to_numpy() for _, x, _ in pieces])

    source = stream(train_path).source
    train, val = source.split(0.25, seed=3)
    a_train, a_val = kept(train), kept(val)
    train.chunk_rows = val.chunk_rows = 11
    assert np.array_equal(kept(train), a_train, equal_nan=True)
    assert np.array_equal(kept(val), a_val, equal_nan=True)
    assert len(a_train) + len(a_val) == len(kept(source))
    assert 0.1 < len(a_val) / (len(a_train) + len(a_val)) < 0.4


def test_a_tf_dataset_still_works(penguins_csv):
    train_path, _, _ = penguins_csv
    model = kr.tabular_classifier(data=train_path, target="species", seed=0)
    data = model.to_data(train_path)
    ds = kr.data.make_dataset(data.x, data.y, batch_size=32)
    model.fit(ds, epochs=1, **FIT)


def test_truncated_last_line_warns_and_is_dropped(tmp_path, penguins_csv):
    train_path, _, _ = penguins_csv
    text = open(train_path).read()
    cut = tmp_path / "cut.csv"
    cut.write_text(text + "Adelie,Torgersen,39.1")  # 3 of 8 fields
    with pytest.warns(UserWarning, match=r"cut\.csv' ends mid-row.*3 of 8 fields"):
        frame = kr.data.csv(str(cut), streaming=False)
    assert len(frame) == text.count("\n") - 1
    with pytest.warns(UserWarning, match=r"ends mid-row"):
        source = stream(str(cut)).source
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = sum(len(x) for _, x, _ in source.pieces())
    assert rows == len(frame)


def write_texts(folder, texts, labels):
    csv_path = folder / "reviews.csv"
    pd.DataFrame({"review": texts, "y": labels}).to_csv(csv_path, index=False)
    jsonl_path = folder / "reviews.jsonl"
    with open(jsonl_path, "w") as file:
        for text, label in zip(texts, labels):
            file.write(json.dumps({"review": text, "y": label}) + "\n")
    for i, (text, label) in enumerate(zip(texts, labels)):
        (folder / "f" / label).mkdir(parents=True, exist_ok=True)
        (folder / "f" / label / f"{i:03d}.txt").write_text(text)
    return str(csv_path), str(jsonl_path), str(folder / "f")


def test_streamed_text_equals_in_memory(tmp_path):
    (x, y), _ = kr.datasets.load_wordnet_glosses()
    x, y = list(x[:300]), [str(v) for v in np.asarray(y)[:300]]
    csv_path, jsonl_path, folder = write_texts(tmp_path, x, y)
    memory = kr.text_classifier(data=(x, y), **TINY_TEXT)
    for data in (
        kr.data.text_file(csv_path, text="review", label="y", streaming=True,
                          chunk_rows=41),
        kr.data.text_file(jsonl_path, text="review", label="y", streaming=True,
                          chunk_rows=41),
        kr.data.text_folder(folder, streaming=True),
    ):  # fmt: skip
        model = kr.text_classifier(data=data, **TINY_TEXT)
        assert model.vocabulary == memory.vocabulary
        assert model.class_names == memory.class_names
    model.set_weights(memory.get_weights())
    streamed = model.predict(
        kr.data.text_file(jsonl_path, text="review", label="y", streaming=True,
                          chunk_rows=41), verbose=0,
    )  # fmt: skip
    np.testing.assert_allclose(streamed, memory.predict(x, verbose=0), atol=1e-6)
    in_memory = kr.data.text_file(csv_path, text="review", label="y")
    assert in_memory.source is None and list(in_memory.x) == x
    model.fit(kr.data.text_folder(folder, streaming=True), epochs=1, **FIT)


def test_mid_epoch_errors_name_the_file_and_rows(tmp_path, penguins_csv):
    train_path, _, _ = penguins_csv
    model = kr.tabular_classifier(data=stream(train_path), hidden_units=[4], seed=0)
    frame = pd.read_csv(train_path)
    frame.loc[200, "species"] = "Emperor"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(ValueError, match=r"Emperor.*bad\.csv', rows 185-221"):
        model.fit(stream(str(bad)), epochs=1, **FIT)
