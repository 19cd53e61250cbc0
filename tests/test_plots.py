"""Tests of `kr.plots` (keras_recipes/plots.py).

The CLI side (`keras-recipes demo` / `train` write `training_curves.png` and
`confusion_matrix.png`) is asserted on the runs tests/test_cli.py and
tests/test_templates.py already make, so no extra training happens here.
"""

import os

import keras
import matplotlib.image
import numpy as np
import pytest

import keras_recipes as kr

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_side=100):
    assert os.path.isfile(path), path
    with open(path, "rb") as file:
        assert file.read(8) == PNG_MAGIC
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[-1] in (3, 4), pixels.shape
    assert min(pixels.shape[:2]) >= min_side, pixels.shape
    # Not a blank canvas: something was drawn.
    assert pixels[..., :3].std() > 0.01
    leftovers = [f for f in os.listdir(os.path.dirname(path)) if ".tmp" in f]
    assert not leftovers, leftovers


def tiny_history():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.integers(0, 2, 32)
    return model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)


def test_plot_history_from_fit(tmp_path):
    history = tiny_history()
    path = str(tmp_path / "curves.png")
    assert kr.plots.plot_history(history, path) == path
    assert_png(path)
    # Overwrites atomically; a subset of metrics works too.
    again = kr.plots.plot_history(history.history, path, metrics=["accuracy"])
    assert_png(again)


@pytest.mark.parametrize(
    "history, path, kwargs, error, match",
    [
        ({"loss": [1.0]}, "curves.jpg", {}, ValueError, r"end in '.png'.*curves.jpg"),
        ({"loss": [1.0]}, 3, {}, TypeError, r"`path` must be a file path"),
        ([1.0, 0.5], "c.png", {}, TypeError, r"`history` must be the History"),
        ({"loss": []}, "c.png", {}, ValueError, r"holds no epochs"),
        (
            {"loss": [1.0], "accuracy": [0.5]},
            "c.png",
            {"metrics": ["acuracy"]},
            ValueError,
            r"Did you mean 'accuracy'",
        ),
        ({"loss": [1.0]}, "c.png", {"metrics": "loss"}, TypeError, r"list of names"),
    ],
)
def test_plot_history_rejects_bad_args(tmp_path, history, path, kwargs, error, match):
    if isinstance(path, str):
        path = str(tmp_path / path)
    with pytest.raises(error, match=match):
        kr.plots.plot_history(history, path, **kwargs)
    assert not os.listdir(tmp_path)


def test_confusion_matrix_from_labels(tmp_path):
    path = str(tmp_path / "cm.png")
    y_true = ["cat", "dog", "dog", "bird"]
    y_pred = ["cat", "dog", "cat", "bird"]
    assert kr.plots.plot_confusion_matrix(y_true, y_pred, path) == path
    assert_png(path)
    # Integer labels, class names, normalisation, one-hot predictions.
    one_hot = np.eye(3)[[0, 1, 1, 2]]
    out = kr.plots.plot_confusion_matrix(
        [0, 1, 2, 2],
        one_hot,
        str(tmp_path / "n.png"),
        class_names=["a", "b", "c"],
        normalize="true",
    )
    assert_png(out)


@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, error, match",
    [
        ([0, 1], [0], {}, ValueError, r"same length.*2 true labels and 1"),
        ([0, 1], [0, 1], {"normalize": "rows"}, ValueError, r"normalize"),
        ("ab", [0, 1], {}, TypeError, r"`y_true` must be a sequence"),
        ([0, -1], [0, 1], {}, ValueError, r"class indices >= 0.*-1"),
        ([0, 2], [0, 1], {"class_names": ["a", "b"]}, ValueError, r"up to 2"),
        (["a", "b"], ["a", "c"], {"class_names": ["a", "b"]}, ValueError, r"\['c'\]"),
        ([0.5, 1.0], [0, 1], {}, ValueError, r"class indices or names"),
        ([], [], {}, ValueError, r"must not be empty"),
    ],
)
def test_confusion_matrix_rejects_bad_args(
    tmp_path, y_true, y_pred, kwargs, error, match
):
    with pytest.raises(error, match=match):
        kr.plots.plot_confusion_matrix(
            y_true, y_pred, str(tmp_path / "cm.png"), **kwargs
        )
    assert not os.listdir(tmp_path)


def test_confusion_matrix_from_a_model_uses_its_class_names(tmp_path, monkeypatch):
    seen = {}
    original = kr.plots.confusion_matrix_figure

    def spy(matrix, names, title):
        seen["matrix"], seen["names"] = matrix, names
        return original(matrix, names, title=title)

    monkeypatch.setattr(kr.plots, "confusion_matrix_figure", spy)
    texts = np.array(["red fox", "big dog", "old oak", "tall pine"] * 4)
    labels = np.array(["animal", "animal", "plant", "plant"] * 4)
    model = kr.text_classifier(data=(texts, labels), embedding_dim=4, units=4, seed=0)
    path = kr.plots.plot_confusion_matrix(
        model, (texts, labels), str(tmp_path / "cm.png")
    )
    assert_png(path)
    assert seen["names"] == ["animal", "plant"]
    assert seen["matrix"].sum() == len(texts)
    np.testing.assert_array_equal(seen["matrix"].sum(axis=1), [8, 8])


def test_plot_lr_finder_writes_the_range_test(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2))
    result = kr.callbacks.lr_find(
        model,
        x,
        x.sum(axis=1, keepdims=True),
        start_lr=1e-4,
        end_lr=1.0,
        num_steps=12,
        batch_size=8,
        plot_path=None,
    )
    path = kr.plots.plot_lr_finder(result, str(tmp_path / "lr.png"))
    assert path == str(tmp_path / "lr.png")
    assert_png(path)
    with pytest.raises(TypeError, match="LRFinderResult"):
        kr.plots.plot_lr_finder({"learning_rates": [1e-3]}, str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="end in '.png'"):
        kr.plots.plot_lr_finder(result, str(tmp_path / "lr.svg"))


def test_history_panels_have_integer_epoch_ticks_and_y_labels(tmp_path, monkeypatch):
    # Defects of issue #36: 4 epochs were ticked 1.0, 1.5, ..., 4.0 (an
    # epoch 2.5 does not exist) and no panel named its y-axis.
    figures = []
    monkeypatch.setattr(kr.plots, "save_png", lambda fig, p: figures.append(fig))
    history = {
        "loss": [1.1, 0.8, 0.6, 0.5],
        "val_loss": [1.2, 1.0, 0.8, 0.7],
        "accuracy": [0.4, 0.6, 0.7, 0.8],
    }
    kr.plots.plot_history(history, str(tmp_path / "h.png"))
    (figure,) = figures
    figure.canvas.draw()
    assert [a.get_ylabel() for a in figure.axes] == ["loss", "accuracy"]
    for axes in figure.axes:
        assert axes.get_xlabel() == "epoch"
        low, high = axes.get_xlim()
        ticks = [t for t in axes.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
        assert min(ticks) >= 1  # epochs numbered as Keras prints them
        assert axes.lines[0].get_xdata()[0] == 1


@pytest.mark.parametrize("n", [2, 3, 12, 40])
def test_confusion_matrix_is_sized_to_its_classes(n):
    names = [f"class {i}" for i in range(n)]
    figure = kr.plots.confusion_matrix_figure(np.eye(n, dtype=int) * 5, names)
    width, height = figure.get_size_inches() * figure.dpi
    # Issue #36: a 3-class matrix was a cramped 350 px square.
    assert min(width, height) >= 500, (width, height)
    assert width / n >= 25 or width >= 1900, (width, n)  # room per class
    labels = figure.axes[0].get_xticklabels()
    assert all(label.get_rotation() == 45 for label in labels)
    three = [f"class {i}" for i in range(3)]
    twelve = [f"class {i}" for i in range(12)]
    small = kr.plots.confusion_matrix_figure(np.eye(3, dtype=int) * 5, three)
    big = kr.plots.confusion_matrix_figure(np.eye(12, dtype=int), twelve)
    assert big.get_size_inches()[0] > small.get_size_inches()[0]
    long_names = [f"a rather long class name {i}" for i in range(3)]
    wide = kr.plots.confusion_matrix_figure(np.eye(3, dtype=int), long_names)
    assert wide.get_size_inches()[0] > small.get_size_inches()[0]
    short = kr.plots.confusion_matrix_figure(np.eye(3, dtype=int), ["a", "b", "c"])
    assert all(t.get_rotation() == 0 for t in short.axes[0].get_xticklabels())
    counts = [t for t in short.axes[0].texts]
    assert len(counts) == 9 and min(t.get_fontsize() for t in counts) >= 10


def test_lr_finder_figure_without_a_suggestion(tmp_path):
    lrs = list(np.logspace(-6, 0, 30))
    figure = kr.plots.lr_finder_figure(lrs, [0.1] * 30, None)
    assert "no learning rate suggested" in figure.axes[0].get_title()
    assert not figure.axes[0].lines[1:]  # no suggestion line
