"""Shared test setup: one TF session for the whole suite, 2 logical CPUs."""

import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorBoard logs of the tests go to a temp dir, never into the repo.
os.environ.setdefault("KERAS_RECIPES_TB_DIR", tempfile.mkdtemp(prefix="kr-test-tb-"))

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPU devices, configured before TF initialises, so that
# MirroredStrategy tests run in this same process.
_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0],
        [
            tf.config.LogicalDeviceConfiguration(),
            tf.config.LogicalDeviceConfiguration(),
        ],
    )
except RuntimeError:  # already initialised (e.g. doctest imported TF first)
    pass

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _seed():
    import keras

    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture(scope="session")
def digits():
    import keras_recipes as kr

    return kr.datasets.load_digits()
