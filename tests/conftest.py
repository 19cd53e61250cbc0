"""Shared test setup: one TF session for the whole suite, 2 logical CPUs."""

import atexit
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorBoard logs of the tests go to a temp dir, never into the repo, and
# the process that made it removes it at exit (xdist workers inherit it).
if "KERAS_RECIPES_TB_DIR" not in os.environ:
    _tb_dir = tempfile.mkdtemp(prefix="kr-test-tb-")
    os.environ["KERAS_RECIPES_TB_DIR"] = _tb_dir
    atexit.register(shutil.rmtree, _tb_dir, ignore_errors=True)

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


@pytest.fixture(scope="session")
def dates():
    import keras_recipes as kr

    return kr.datasets.load_dates(num_train=1200, num_test=100, seed=3)


@pytest.fixture(scope="session")
def trained_translator(dates):
    """A tiny `Seq2SeqTransformer` trained on `dates`, and its history."""
    from task_checks import TINY_SEQ2SEQ

    import keras_recipes as kr

    (x, y), _ = dates
    kr.set_seed(0)
    model = kr.seq2seq_transformer(data=(x, y), seed=0, **TINY_SEQ2SEQ)
    history = model.fit(
        (x, y),
        epochs=8,
        batch_size=32,
        validation_split=0.1,
        seed=0,
        tensorboard=False,
        verbose=0,
    )
    return model, history


# The bad-input corpus reports its share of clear errors in the summary.
_CORPUS_CASES = {"clear": 0, "total": 0}


def pytest_runtest_logreport(report):
    if report.when == "call" and "test_bad_input_corpus.py::test_bad_input[" in (
        report.nodeid
    ):
        _CORPUS_CASES["total"] += 1
        _CORPUS_CASES["clear"] += int(report.passed)


def pytest_terminal_summary(terminalreporter):
    clear, total = _CORPUS_CASES["clear"], _CORPUS_CASES["total"]
    if total:
        terminalreporter.write_line(
            f"bad-input corpus: {clear} of {total} bad inputs end in a clear error "
            f"({100 * clear / total:.1f}%, goal 100%)"
        )
