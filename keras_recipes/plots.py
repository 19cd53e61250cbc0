"""`kr.plots`: every figure of the package (training curves, confusion
matrix, LR range test), as PNG.

The `plot_*` functions render with matplotlib's Agg canvas (no pyplot, no
display, no global state), write the PNG atomically (temporary file +
rename) and return its path. In a notebook, show a plot with
`IPython.display.Image(path)`. The figure builders below them
(`confusion_matrix_figure`, `lr_finder_figure`) and `figure_to_png` are what
`kr.interpret`, the `ConfusionMatrixImage` callback and
`LRFinderResult.plot` draw with.

matplotlib is imported inside the function that makes a figure (`_figure`),
so `import keras_recipes` does not pay for it.
"""

import io
import math
import os

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.predictions import class_predictions


def _figure(figsize):
    """A matplotlib `Figure` on an Agg canvas (no pyplot state)."""
    # matplotlib is optional and slow to import: loaded on the first figure.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure


def _integer_ticks(axis):
    """Ticks of `axis` at whole numbers only (epochs are counted, not measured)."""
    # matplotlib is optional and slow to import: loaded on the first figure.
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _check_path(path):
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            "`path` must be a file path ending in '.png'. "
            f"Received: path={path!r} (of type {type(path).__name__})"
        )
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ValueError(
            f"`path` must end in '.png' (the plot is a PNG). Received: path={path!r}"
        )
    return path


def save_png(figure, path):
    """Writes a matplotlib figure to `path` as PNG, atomically; returns `path`."""
    with utils.atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def figure_to_png(figure):
    """Encodes a matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_history(history, path, metrics=None, title=None):
    """Plots training curves: the loss and each metric, train vs validation.

    One panel per quantity (`loss` first); the validation curve
    (`val_<name>`) is drawn next to the training one when it was logged.
    Epochs are numbered from 1, as Keras prints them, on whole-number ticks;
    the y-axis of each panel is labelled with the quantity's name.

    Args:
        history: the `keras.callbacks.History` returned by `fit`, or its
            `.history` dict (`{"loss": [...], "val_loss": [...], ...}`).
        path: the PNG file to write (must end in `.png`).
        metrics: optional list of names to plot (default: every logged
            quantity without the `val_` prefix).
        title: optional figure title.

    Returns:
        `path`.

    Example:

    >>> import tempfile
    >>> history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
    ...            "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    >>> out = os.path.join(tempfile.mkdtemp(), "curves.png")
    >>> plot_history(history, out) == out and os.path.getsize(out) > 0
    True
    """
    path = _check_path(path)
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(
            "`history` must be the History returned by `fit` or its `.history` "
            f"dict. Received: history of type {type(history).__name__}"
        )
    if not logs or not any(len(v) for v in logs.values()):
        raise ValueError(
            "`history` holds no epochs: train for at least one epoch first. "
            f"Received: history={logs!r}"
        )
    names = [k for k in logs if not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]
    if metrics is None:
        metrics = sorted(names, key=lambda k: (k != "loss", names.index(k)))
    else:
        if isinstance(metrics, str) or not isinstance(metrics, list | tuple):
            raise TypeError(
                f"`metrics` must be a list of names. Received: metrics={metrics!r}"
            )
        for name in metrics:
            if name not in names:
                raise ValueError(
                    f"`metrics` names {name!r}, which `history` did not log."
                    f"{validation.did_you_mean(name, names)} Logged: {names}. "
                    f"Received: metrics={list(metrics)!r}"
                )
        metrics = list(metrics)
    if not metrics:
        raise ValueError(f"`metrics` must not be empty. Received: metrics={metrics!r}")

    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    figure = _figure((4.5 * columns, 3.5 * rows))
    for index, name in enumerate(metrics):
        axes = figure.add_subplot(rows, columns, index + 1)
        for key, label, style in ((name, "train", "-"), (f"val_{name}", "val", "--")):
            values = [float(v) for v in logs.get(key, [])]
            if values:
                epochs = range(1, len(values) + 1)
                axes.plot(epochs, values, style, marker="o", markersize=3, label=label)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        _integer_ticks(axes.xaxis)
        axes.grid(alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_png(figure, path)


def plot_confusion_matrix(
    model_or_labels,
    data_or_predictions,
    path,
    class_names=None,
    normalize=None,
    batch_size=None,
    title="Confusion matrix",
):
    """Plots a confusion matrix (rows: true class, columns: predicted class).

    Two ways to call it:

    - `plot_confusion_matrix(model, data, path)`: predicts `data` (labelled
      data in any form the model's `evaluate` takes: `(x, y)`, a DataFrame
      with the target column, `kr.data.Data`, a `tf.data.Dataset` of
      `(inputs, labels)`); class names come from the model.
    - `plot_confusion_matrix(y_true, y_pred, path)`: two label sequences
      (class indices or names).

    The counts come from scikit-learn's `confusion_matrix`.

    Args:
        model_or_labels: a classifier (`keras.Model` with one probability per
            class), or the true labels.
        data_or_predictions: labelled data for the model, or the predicted
            labels.
        path: the PNG file to write (must end in `.png`).
        class_names: tick labels (default: the model's `class_names`, the
            sorted label names, or the class indices).
        normalize: `None` (counts), `"true"` (rows sum to 1), `"pred"`
            (columns sum to 1) or `"all"`.
        batch_size: prediction batch size (model form only).
        title: figure title.

    Returns:
        `path`.

    Example:

    >>> import tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "cm.png")
    >>> plot_confusion_matrix(["cat", "dog", "dog"], ["cat", "dog", "cat"],
    ...                       out) == out
    True
    """
    # scikit-learn is optional and slow to import: loaded on first use.
    from sklearn.metrics import confusion_matrix

    path = _check_path(path)
    if normalize is not None:
        validation.check_choice("normalize", normalize, ("true", "pred", "all"))
    if isinstance(model_or_labels, keras.Model):
        model = model_or_labels
        probs, y_true = class_predictions(
            model,
            data_or_predictions,
            None,
            batch_size,
            caller="plot_confusion_matrix",
        )
        y_pred = probs.argmax(-1)
        n = probs.shape[-1]
        names = class_names or getattr(model, "class_names", None)
        names = [str(c) for c in (names or range(n))]
        if len(names) != n:
            raise ValueError(
                f"`class_names` must have one name per class ({n}). "
                f"Received: class_names={class_names!r}"
            )
        index = list(range(n))
    else:
        y_true = _as_labels("y_true", model_or_labels)
        y_pred = _as_labels("y_pred", data_or_predictions)
        if len(y_true) != len(y_pred):
            raise ValueError(
                "`y_true` and `y_pred` must have the same length. Received: "
                f"{len(y_true)} true labels and {len(y_pred)} predictions"
            )
        if len(y_true) == 0:
            raise ValueError("`y_true` must not be empty. Received: 0 labels")
        if y_true.dtype.kind in "OUS" or y_pred.dtype.kind in "OUS":
            y_true, y_pred = y_true.astype(str), y_pred.astype(str)
            index = list(class_names or sorted(set(y_true) | set(y_pred)))
            index = [str(c) for c in index]
            unknown = sorted(str(c) for c in (set(y_true) | set(y_pred)) - set(index))
            if unknown:
                raise ValueError(
                    f"`class_names` is missing labels that occur: {unknown}. "
                    f"Received: class_names={class_names!r}"
                )
            names = index
        else:
            if np.min(y_true) < 0 or np.min(y_pred) < 0:
                raise ValueError(
                    "Integer labels must be class indices >= 0. Received: "
                    f"a label of {min(np.min(y_true), np.min(y_pred))}"
                )
            n = int(max(np.max(y_true), np.max(y_pred))) + 1
            if class_names is not None:
                if len(class_names) < n:
                    raise ValueError(
                        f"`class_names` must name every class index up to {n - 1}. "
                        f"Received: class_names={class_names!r}"
                    )
                n = len(class_names)
            index = list(range(n))
            names = [str(c) for c in (class_names or index)]
    matrix = confusion_matrix(y_true, y_pred, labels=index, normalize=normalize)
    if normalize is not None:
        matrix = np.round(matrix, 2)
    figure = confusion_matrix_figure(matrix, names, title=title)
    return save_png(figure, path)


def _as_labels(name, values):
    if isinstance(values, str) or not hasattr(values, "__len__"):
        raise TypeError(
            f"`{name}` must be a sequence of labels (class indices or names). "
            f"Received: {name} of type {type(values).__name__}"
        )
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[-1] > 1:  # one-hot / probabilities
        array = array.argmax(-1)
    if array.ndim != 1:
        raise ValueError(
            f"`{name}` must be 1-D labels (or 2-D one-hot). "
            f"Received: {name} of shape {array.shape}"
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(
                f"`{name}` must hold class indices or names. Received: "
                f"non-integer values such as {array[array != np.round(array)][:1]}"
            )
        array = array.astype("int64")
    return array


def plot_lr_finder(result, path):
    """Plots an LR range test: smoothed loss vs learning rate (log scale).

    Writes the same plot as `LRFinderResult.plot` (it is what it calls), with
    the suggested learning rate marked.

    Args:
        result: the `LRFinderResult` returned by `model.lr_find(data)` or
            `kr.callbacks.lr_find`.
        path: the PNG file to write (must end in `.png`).

    Returns:
        `path`.

    Example:

    >>> import tempfile
    >>> from keras_recipes.callbacks.lr_finder import LRFinderResult
    >>> lrs = list(np.logspace(-5, 0, 20))
    >>> result = LRFinderResult(lrs, [2.0 - i / 20 for i in range(20)], 1e-3)
    >>> out = os.path.join(tempfile.mkdtemp(), "lr.png")
    >>> plot_lr_finder(result, out) == out
    True
    """
    path = _check_path(path)
    # Duck-typed: `LRFinderResult` lives in `callbacks.lr_finder`, which draws
    # with this module (so this module does not import it back).
    if not all(
        hasattr(result, name)
        for name in ("learning_rates", "losses", "suggested_lr", "plot")
    ):
        raise TypeError(
            "`result` must be the LRFinderResult returned by `model.lr_find`. "
            f"Received: result of type {type(result).__name__}"
        )
    if not result.learning_rates:
        raise ValueError(
            f"`result` holds no points of the range test. Received: result={result!r}"
        )
    result.plot(path)
    return path


def confusion_matrix_figure(matrix, class_names=None, title="Confusion matrix"):
    """Renders a confusion matrix with matplotlib (Agg, no pyplot state).

    The figure grows with the number of classes and the length of their
    names (at least 6 x 5.5 in, i.e. 600 x 550 px; at most 20 in a side);
    long or many x tick labels are rotated, and each cell shows its count
    (up to 30 classes) in a font sized to the cell.

    Args:
        matrix: `(n, n)` counts, rows = true class, columns = predicted.
        class_names: optional tick labels.
        title: figure title.

    Returns:
        A `matplotlib.figure.Figure` (attached to an Agg canvas).

    Example:

    >>> figure = confusion_matrix_figure(np.array([[3, 1], [0, 4]]), ["a", "b"])
    >>> len(figure.axes) >= 1
    True
    """
    matrix = np.asarray(matrix)
    n = len(matrix)
    names = [str(c) for c in (class_names or range(n))]
    longest = max((len(name) for name in names), default=1)
    # Sized to be read: at least 6 in (600 px at matplotlib's 100 dpi), 0.6 in
    # per class, plus room for the tick labels; capped at 20 in.
    label_room = min(0.09 * longest, 3.0)
    cells = max(4.0, 0.6 * n)
    figure = _figure(
        (min(20.0, cells + label_room + 2.0), min(20.0, cells + label_room + 1.5))
    )
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    tick_size = 11 if n <= 10 else 9 if n <= 25 else 7
    if longest > 3 or n > 10:  # long or many labels collide unless rotated
        axes.set_xticks(
            range(n), names, rotation=45, ha="right", rotation_mode="anchor"
        )
    else:
        axes.set_xticks(range(n), names)
    axes.set_yticks(range(n), names)
    axes.tick_params(labelsize=tick_size)
    axes.set_xlabel("predicted", fontsize=12)
    axes.set_ylabel("true", fontsize=12)
    axes.set_title(title, fontsize=13)
    if n <= 30:
        limit = matrix.max() / 2 if matrix.size else 0
        count_size = 12 if n <= 6 else 10 if n <= 12 else 8 if n <= 20 else 6
        for i in range(n):
            for j in range(n):
                axes.text(
                    j,
                    i,
                    f"{matrix[i, j]:g}",
                    ha="center",
                    va="center",
                    fontsize=count_size,
                    color="white" if matrix[i, j] > limit else "black",
                )
    figure.tight_layout()
    return figure


def lr_finder_figure(learning_rates, losses, suggested_lr):
    """Renders an LR range test: smoothed loss vs learning rate (log scale).

    Args:
        learning_rates: learning rates tried (one per batch).
        losses: smoothed losses.
        suggested_lr: the suggested learning rate, marked by a red line, or
            `None` (no suggestion: the title says so).

    Returns:
        A `matplotlib.figure.Figure` (attached to an Agg canvas).

    Example:

    >>> lrs = list(np.logspace(-5, 0, 20))
    >>> figure = lr_finder_figure(lrs, [2.0 - i / 20 for i in range(20)], 1e-3)
    >>> figure.axes[0].get_xscale()
    'log'
    """
    figure = _figure((6, 4))
    axes = figure.add_subplot()
    axes.plot(learning_rates, losses)
    axes.set_xscale("log")
    if suggested_lr is not None:
        axes.axvline(
            suggested_lr,
            color="red",
            linestyle="--",
            label=f"suggested {suggested_lr:.2e}",
        )
        axes.legend()
    else:
        axes.set_title("no clear descent: no learning rate suggested")
    finite = [v for v in losses if math.isfinite(v)]
    if finite:
        low = min(finite)
        axes.set_ylim(
            low - 0.05 * abs(low),
            max(finite[: len(finite) // 2 + 1] + [low]) * 1.5 + 1e-8,
        )
    axes.set_xlabel("learning rate (log scale)")
    axes.set_ylabel("smoothed loss")
    figure.tight_layout()
    return figure


__all__ = ["plot_confusion_matrix", "plot_history", "plot_lr_finder"]


def regression_figure(y_true, y_pred, target_names=None, title=None):
    """Predicted vs true values and residuals, one row of two plots per target.

    The left plot scatters predictions against true values with the
    diagonal of perfect predictions; the right one plots the residuals
    (true - predicted) against the predictions, with the zero line: a
    pattern there (a curve, a funnel) is what the model misses.

    Args:
        y_true: `(n,)` or `(n, k)` true values.
        y_pred: predictions of the same shape.
        target_names: optional names, one per target.
        title: optional figure title.

    Returns:
        A `matplotlib.figure.Figure` (attached to an Agg canvas).

    Example:

    >>> figure = regression_figure(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.9, 3.2]))
    >>> len(figure.axes)
    2
    """
    y_true = np.asarray(y_true, dtype="float64").reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype="float64").reshape(len(y_pred), -1)
    k = y_true.shape[1]
    names = list(target_names or [f"target_{j}" for j in range(k)])
    figure = _figure((11.0, 4.5 * min(k, 4)))
    for j in range(min(k, 4)):  # the first four targets: readable, bounded
        truth, pred = y_true[:, j], y_pred[:, j]
        left = figure.add_subplot(min(k, 4), 2, 2 * j + 1)
        left.scatter(truth, pred, s=8, alpha=0.5)
        low, high = (
            float(min(truth.min(), pred.min())),
            float(max(truth.max(), pred.max())),
        )
        left.plot([low, high], [low, high], color="black", linewidth=1)
        left.set_xlabel(f"true {names[j]}")
        left.set_ylabel(f"predicted {names[j]}")
        left.set_title("predicted vs true")
        right = figure.add_subplot(min(k, 4), 2, 2 * j + 2)
        right.scatter(pred, truth - pred, s=8, alpha=0.5)
        right.axhline(0.0, color="black", linewidth=1)
        right.set_xlabel(f"predicted {names[j]}")
        right.set_ylabel("residual (true - predicted)")
        right.set_title("residuals")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
