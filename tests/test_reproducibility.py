"""A seeded run repeats: `kr.set_seed(seed)` alone gives the same weights on CPU.

The conditions the README's Reproducibility section states: same machine,
same package versions, same thread settings, in one process or in two. No
`fit(seed=)` and no `deterministic=True` needed for that; `fit(seed=)` only
decouples the shuffle and split from the global seed.
"""

import numpy as np
import pytest

import keras_recipes as kr
from keras_recipes.data import pipeline


@pytest.fixture(scope="module")
def penguins():
    return kr.datasets.load_penguins()


def test_a_split_without_seed_follows_the_global_seed():
    data = pipeline.Data(x=np.arange(100.0)[:, None], y=np.arange(100) % 3)
    splits = []
    for _ in range(2):
        kr.set_seed(5)
        _, val = pipeline.split(data, 0.2)
        splits.append(np.asarray(val.x).ravel())
    np.testing.assert_array_equal(*splits)
    kr.set_seed(6)
    _, other = pipeline.split(data, 0.2)
    assert not np.array_equal(np.asarray(other.x).ravel(), splits[0])


def test_two_seeded_tabular_runs_give_identical_weights(penguins):
    train, _ = penguins
    runs = []
    for _ in range(2):
        kr.set_seed(0)
        model = kr.tabular_classifier(data=train, target="species")
        model.fit(
            train,
            epochs=2,
            batch_size=16,
            validation_split=0.2,
            verbose=0,
            tensorboard=False,
        )
        runs.append(model.get_weights())
    for first, second in zip(*runs, strict=True):
        np.testing.assert_array_equal(first, second)
