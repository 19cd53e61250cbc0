import numpy as np
import pytest

import keras_recipes as kr


def test_split_is_stratified_seeded_and_disjoint():
    x = np.arange(100)[:, None]
    y = np.array([0] * 80 + [1] * 20)
    data = kr.data.from_numpy(x, y)
    train, val = kr.data.split(data, 0.25, seed=3)
    assert len(train) + len(val) == 100
    assert set(train.x[:, 0]).isdisjoint(val.x[:, 0])
    assert (val.y == 1).sum() == 5 and (val.y == 0).sum() == 20
    again, _ = kr.data.split(data, 0.25, seed=3)
    np.testing.assert_array_equal(train.x, again.x)


@pytest.mark.parametrize("bad", [1.0, -0.1, 0.999])
def test_split_rejects_bad_fractions(bad):
    data = kr.data.from_numpy(np.zeros((10, 2)), np.arange(10) % 2)
    with pytest.raises(ValueError, match="validation_split"):
        kr.data.split(data, bad)


def test_make_dataset_shuffles_with_seed_and_keeps_all_samples():
    x = np.arange(50)
    a = [
        int(v)
        for b in kr.data.make_dataset(x, batch_size=8, shuffle=True, seed=1)
        for v in b
    ]
    b = [
        int(v)
        for b in kr.data.make_dataset(x, batch_size=8, shuffle=True, seed=1)
        for v in b
    ]
    assert a == b and sorted(a) == list(range(50)) and a != list(range(50))


def test_make_dataset_first_pass_continues_the_shuffle_sequence():
    # A run stopped after k passes continues in its order from first_pass=k,
    # also when the pipeline has a loader in front of the cache.
    x = np.arange(30)
    kwargs = dict(batch_size=8, shuffle=True, seed=4, loader=lambda v: v + 100)
    full = kr.data.make_dataset(x, **kwargs)
    passes = [[int(v) for b in full for v in b] for _ in range(4)]
    later = kr.data.make_dataset(x, first_pass=2, **kwargs)
    assert [[int(v) for b in later for v in b] for _ in range(2)] == passes[2:]
    assert len({tuple(p) for p in passes}) == 4  # a new permutation each pass
    with pytest.raises(ValueError, match="Received: first_pass=-1"):
        kr.data.make_dataset(x, first_pass=-1)
    with pytest.raises(TypeError, match="Received: first_pass=1.5"):
        kr.data.make_dataset(x, first_pass=1.5)


def test_make_dataset_turns_tf_data_autotune_off_and_loads_in_parallel():
    # Autotune on made the iterator teardown at the end of fit/evaluate
    # stall for up to ~1 s (benchmarks/README.md); the loader still
    # runs in parallel without it, and every sample arrives once.
    x = np.arange(40)
    ds = kr.data.make_dataset(
        x, x % 2, batch_size=8, shuffle=True, seed=0, loader=lambda v: v * 2
    )
    assert ds.options().autotune.enabled is False
    seen = sorted(int(v) for xb, _ in ds for v in xb)
    assert seen == [2 * v for v in range(40)]


def test_cache_mapped_maps_on_the_first_pass_only():
    # A deterministic per-sample map applied before the cache: same batches
    # as mapping every batch, reshuffled each epoch, and run on one pass only.
    import tensorflow as tf

    calls = tf.Variable(0)

    def map_fn(x, y, w):
        calls.assign_add(1)
        return {"double": x * 2, "same": x}, y + 1, w * 0.5

    x, y, w = np.arange(20), np.arange(20) % 3, np.ones(20, "float32")

    def build(cache_mapped, shuffle=False):
        return kr.data.make_dataset(
            x,
            y,
            batch_size=8,
            sample_weight=w,
            map_fn=map_fn,
            shuffle=shuffle,
            seed=0,
            cache_mapped=cache_mapped,
        )

    plain = [tf.nest.map_structure(np.asarray, b) for b in build(False)]
    calls.assign(0)
    ds = build(True)
    assert int(ds.cardinality()) == int(build(False).cardinality()) == 3
    for _ in range(3):
        mapped = [tf.nest.map_structure(np.asarray, b) for b in ds]
        assert len(mapped) == len(plain) == 3
        for got, expected in zip(mapped, plain):
            tf.nest.map_structure(np.testing.assert_array_equal, got, expected)
    assert int(calls.numpy()) == 3  # the 3 batches of the first pass
    shuffled = build(True, shuffle=True)
    epochs = [[int(v) for xb, _, _ in shuffled for v in xb["same"]] for _ in range(2)]
    assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(20))
    assert epochs[0] != epochs[1]
    first = next(iter(shuffled))[0]
    np.testing.assert_array_equal(first["double"], first["same"] * 2)


def test_dict_inputs_and_length_mismatch():
    ds = kr.data.make_dataset(
        {"a": np.zeros(5), "b": np.ones(5)}, np.arange(5), batch_size=2
    )
    xb, yb = next(iter(ds))
    assert set(xb) == {"a", "b"}
    with pytest.raises(ValueError, match=r"len\(x\)=3, len\(y\)=2"):
        kr.data.from_numpy(np.zeros((3, 2)), [0, 1])


def test_text_folder(tmp_path):
    for name, texts in {"neg": ["bad", "awful"], "pos": ["good"]}.items():
        (tmp_path / name).mkdir()
        for i, t in enumerate(texts):
            (tmp_path / name / f"{i}.txt").write_text(t)
    data = kr.data.text_folder(str(tmp_path))
    assert data.class_names == ["neg", "pos"]
    assert sorted(data.x.tolist()) == ["awful", "bad", "good"]


def test_pandas_and_csv_target_typo(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "species": ["x", "y"]})
    data = kr.data.from_pandas(frame, target="species")
    assert list(data.x) == ["a"] and data.y.tolist() == ["x", "y"]
    with pytest.raises(ValueError, match="Did you mean 'species'"):
        kr.data.from_pandas(frame, target="specis")
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False)
    assert kr.data.csv(str(path), target="species").y.tolist() == ["x", "y"]
    with pytest.raises(ValueError, match="existing CSV"):
        kr.data.csv(str(tmp_path / "nope.csv"))
