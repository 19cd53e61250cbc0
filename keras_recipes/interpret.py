"""`model.interpret(data)`: where a classifier goes wrong.

Confusion matrix (array + PNG), per-class precision/recall/F1
(scikit-learn), the most-confused class pairs and the top-loss examples.
"""

import os

import numpy as np

from keras_recipes import validation


def confusion_matrix_figure(matrix, class_names=None, title="Confusion matrix"):
    """Renders a confusion matrix with matplotlib (Agg, no pyplot state).

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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matrix = np.asarray(matrix)
    n = len(matrix)
    names = [str(c) for c in (class_names or range(n))]
    size = min(12, 2 + 0.5 * n)
    figure = Figure(figsize=(size, size))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046)
    axes.set_xticks(range(n), names, rotation=45, ha="right")
    axes.set_yticks(range(n), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    if n <= 30:
        limit = matrix.max() / 2 if matrix.size else 0
        for i in range(n):
            for j in range(n):
                axes.text(
                    j,
                    i,
                    f"{matrix[i, j]:g}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if matrix[i, j] > limit else "black",
                )
    figure.tight_layout()
    return figure


def figure_to_png(figure):
    """Encodes a matplotlib figure as PNG bytes."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class Interpretation:
    """What `interpret` found.

    Attributes:
        class_names: class names (or index strings).
        confusion_matrix: `(n, n)` int array, rows = true, columns = predicted.
        report: scikit-learn `classification_report` as a dict.
        report_text: the same report as text.
        most_confused: list of `(true, predicted, count)`, most frequent first.
        top_losses: list of dicts (`index`, `loss`, `true`, `predicted`,
            `probability`), highest loss first.
        accuracy: overall accuracy.
        plot_path: the confusion-matrix PNG (or `None`).
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        pairs = ", ".join(f"{t}->{p}: {c}" for t, p, c in self.most_confused[:3])
        return (
            f"Interpretation(accuracy={self.accuracy:.4f}, "
            f"classes={len(self.class_names)}, most_confused=[{pairs}], "
            f"plot_path={self.plot_path!r})"
        )


def class_predictions(model, x, y, batch_size, caller):
    """Returns `(probabilities, int64 true class indices)` of a classifier.

    Raises a `ValueError` naming `caller` when the model does not output one
    probability per class. Labels may be indices or one-hot rows.
    """
    probs, labels = _collect(model, x, y, batch_size)
    if probs.ndim != 2 or probs.shape[-1] < 2:
        raise ValueError(
            f"`{caller}` needs a classifier with one probability per class. "
            f"Received: predictions of shape {probs.shape}"
        )
    labels = labels.reshape(len(labels), -1)
    labels = labels.argmax(-1) if labels.shape[-1] > 1 else labels[:, 0]
    return probs, labels.astype("int64")


def _collect(model, x, y, batch_size):
    """Returns `(probabilities, class indices)` for any accepted input."""
    import keras
    import tensorflow as tf

    from keras_recipes.data.pipeline import Data
    from keras_recipes.tasks.task import Task

    if isinstance(model, Task):
        data = model.to_data(x, y, "x")
        if data.dataset is None:
            probs = model.predict(
                Data(x=data.x, loader=data.loader, info=data.info),
                batch_size=batch_size,
                verbose=0,
            )
            return np.asarray(probs), np.asarray(data.y)
        dataset = model.make_dataset(data)
    elif isinstance(x, tf.data.Dataset):
        dataset = x
    else:
        if y is None and isinstance(x, tuple) and len(x) == 2:
            x, y = x
        if y is None:
            raise ValueError("Labels are missing: pass `(x, y)`. Received: y=None")
        probs = model.predict(x, batch_size=batch_size, verbose=0)
        return np.asarray(probs), validation.encode_labels("y", y)
    probs, labels = [], []
    for batch in dataset:
        if not isinstance(batch, tuple) or len(batch) < 2:
            raise ValueError(
                "`x` as a tf.data.Dataset must yield (inputs, labels) pairs. "
                f"Received: elements of type {type(batch).__name__}"
            )
        probs.append(np.asarray(keras.Model.predict_on_batch(model, batch[0])))
        labels.append(np.asarray(batch[1]))
    return np.concatenate(probs), np.concatenate(labels)


def interpret(model, x=None, y=None, batch_size=None, top_k=10, output_dir="auto"):
    """Explains a classifier's errors on labelled data.

    Args:
        model: a classifier (a `kr.tasks.Task` or a `keras.Model` with a
            softmax/probability output).
        x: labelled data: `(x, y)`, arrays, `kr.data.Data` or a batched
            `tf.data.Dataset` of `(inputs, labels)`.
        y: labels when `x` holds only inputs.
        batch_size: prediction batch size.
        top_k: how many top-loss examples and confused pairs to return.
        output_dir: folder for `confusion_matrix.png`; `"auto"` writes under
            `tb_logs/<task>/interpret-<run>/`; `None` writes nothing.

    Returns:
        An `Interpretation`.
    """
    from sklearn.metrics import classification_report
    from sklearn.metrics import confusion_matrix

    from keras_recipes import utils

    validation.check_int("top_k", top_k, minimum=1)
    probs, labels = class_predictions(model, x, y, batch_size, caller="interpret")
    n = probs.shape[-1]
    names = getattr(model, "class_names", None) or [str(i) for i in range(n)]
    names = [str(c) for c in names]
    predicted = probs.argmax(-1)
    matrix = confusion_matrix(labels, predicted, labels=list(range(n)))
    report = classification_report(
        labels,
        predicted,
        labels=list(range(n)),
        target_names=names,
        output_dict=True,
        zero_division=0,
    )
    report_text = classification_report(
        labels,
        predicted,
        labels=list(range(n)),
        target_names=names,
        zero_division=0,
    )
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")
    most_confused = []
    for flat in order[:top_k]:
        i, j = divmod(int(flat), n)
        if off[i, j] == 0:
            break
        most_confused.append((names[i], names[j], int(off[i, j])))
    p_true = np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0)
    losses = -np.log(p_true)
    top = np.argsort(-losses, kind="stable")[:top_k]
    top_losses = [
        {
            "index": int(i),
            "loss": float(losses[i]),
            "true": names[labels[i]],
            "predicted": names[predicted[i]],
            "probability": float(probs[i, predicted[i]]),
        }
        for i in top
    ]
    plot_path = None
    if output_dir == "auto":
        task = getattr(model, "task_name", None) or model.name
        output_dir = os.path.join(
            utils.tb_root(), task, f"interpret-{utils.run_name()}"
        )
    if output_dir is not None:
        utils.check_writable_dir("output_dir", output_dir)
        plot_path = os.path.join(output_dir, "confusion_matrix.png")
        png = figure_to_png(confusion_matrix_figure(matrix, names))
        with utils.atomic_path(plot_path) as tmp, open(tmp, "wb") as file:
            file.write(png)
    return Interpretation(
        class_names=names,
        confusion_matrix=matrix,
        report=report,
        report_text=report_text,
        most_confused=most_confused,
        top_losses=top_losses,
        accuracy=float((predicted == labels).mean()),
        plot_path=plot_path,
    )


__all__ = ["Interpretation", "confusion_matrix_figure", "interpret"]
