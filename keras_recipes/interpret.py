"""`model.interpret(data)`: where a classifier (or a regressor) goes wrong.

Confusion matrix (array + PNG), per-class precision/recall/F1
(scikit-learn), the most-confused class pairs and the top-loss examples.
The predictions come from `keras_recipes.predictions`, the PNG is drawn by
`kr.plots` (`confusion_matrix_figure`, also reachable here).
"""

import os

import numpy as np

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.plots import confusion_matrix_figure
from keras_recipes.plots import regression_figure
from keras_recipes.plots import save_png
from keras_recipes.predictions import class_predictions
from keras_recipes.predictions import collect


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
    # scikit-learn is optional and slow to import: loaded on first use.
    from sklearn.metrics import classification_report
    from sklearn.metrics import confusion_matrix

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
        save_png(confusion_matrix_figure(matrix, names), plot_path)
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


class RegressionInterpretation(Interpretation):
    """What `interpret_regression` found.

    Attributes:
        target_names: the targets' names.
        metrics: per target, a dict of `rmse`, `mae` and `r2`.
        worst: list of dicts (`index`, `target`, `true`, `predicted`,
            `residual`), largest absolute residual first.
        plot_path: the predicted-vs-true and residuals PNG (or `None`).
    """

    def __repr__(self):
        scores = ", ".join(
            f"{name}: rmse={m['rmse']:.4g} r2={m['r2']:.3f}"
            for name, m in self.metrics.items()
        )
        return f"RegressionInterpretation({scores}, plot_path={self.plot_path!r})"


def interpret_regression(
    model, x=None, y=None, batch_size=None, top_k=10, output_dir="auto"
):
    """Explains a regressor's errors on data with targets.

    Args:
        model: a regressor (`kr.tasks.Regressor` or a `keras.Model` that
            outputs one value per target).
        x: data with targets: `(x, y)`, arrays, a frame holding the target
            column, `kr.data.Data` or a batched `tf.data.Dataset`.
        y: targets when `x` holds only inputs.
        batch_size: prediction batch size.
        top_k: how many of the worst rows to return.
        output_dir: folder for `regression.png`; `"auto"` writes under
            `tb_logs/<task>/interpret-<run>/`; `None` writes nothing.

    Returns:
        A `RegressionInterpretation`.
    """
    validation.check_int("top_k", top_k, minimum=1)
    predicted, truth = collect(model, x, y, batch_size)
    predicted = np.asarray(predicted, "float64").reshape(len(predicted), -1)
    truth = np.asarray(truth, "float64").reshape(len(truth), -1)
    if truth.shape != predicted.shape:
        raise ValueError(
            "`interpret` needs one true value per predicted target. Received: "
            f"targets of shape {truth.shape} for predictions {predicted.shape}"
        )
    k = predicted.shape[1]
    names = list(getattr(model, "target_names", None) or range(k))
    names = [str(n) for n in names]
    residual = truth - predicted
    metrics = {}
    for j, name in enumerate(names):
        spread = np.sum((truth[:, j] - truth[:, j].mean()) ** 2)
        metrics[name] = {
            "rmse": float(np.sqrt(np.mean(residual[:, j] ** 2))),
            "mae": float(np.mean(np.abs(residual[:, j]))),
            "r2": float(1.0 - np.sum(residual[:, j] ** 2) / spread)
            if spread > 0
            else float("nan"),
        }
    flat = np.argsort(-np.abs(residual), axis=None, kind="stable")[:top_k]
    worst = []
    for index in flat:
        i, j = divmod(int(index), k)
        worst.append(
            {
                "index": i,
                "target": names[j],
                "true": float(truth[i, j]),
                "predicted": float(predicted[i, j]),
                "residual": float(residual[i, j]),
            }
        )
    plot_path = None
    if output_dir == "auto":
        task = getattr(model, "task_name", None) or model.name
        output_dir = os.path.join(
            utils.tb_root(), task, f"interpret-{utils.run_name()}"
        )
    if output_dir is not None:
        utils.check_writable_dir("output_dir", output_dir)
        plot_path = os.path.join(output_dir, "regression.png")
        save_png(regression_figure(truth, predicted, names), plot_path)
    return RegressionInterpretation(
        target_names=names, metrics=metrics, worst=worst, plot_path=plot_path
    )


__all__ = [
    "Interpretation",
    "RegressionInterpretation",
    "confusion_matrix_figure",
    "interpret",
    "interpret_regression",
]
