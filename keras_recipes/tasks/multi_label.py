"""Multi-label classification: tags as users hold them, sigmoid heads, thresholds.

What `multi_label=True` adds to a classifier (`kr.tasks.Classifier` calls
it; the templates use `head_activation`): reading the labels in any of the
forms users hold them in,

- a list of tag lists, one per sample: `[["drama", "romance"], []]`
  (tags are strings; an empty list is a sample without a tag);
- a 0/1 (or boolean) matrix `(samples, tags)`, or a DataFrame of 0/1
  columns (its column names become the tag names);

into a float32 0/1 matrix, with a `ValueError` naming the argument for
mixed forms, unseen tags, values other than 0/1, a column without any tag
and single labels (one label per sample is ambiguous for a multi-label
model). Also: the per-tag decision thresholds (`tune_thresholds` picks the
F1-best one per tag on validation data) and `decode_tags`, probabilities to
lists of tags.
"""

import keras
import numpy as np

from keras_recipes import validation

DEFAULT_THRESHOLD = 0.5
# Candidate thresholds of `tune_thresholds`: a coarse grid, so a tag's
# threshold does not chase single validation samples.
THRESHOLD_GRID = tuple(float(t) for t in np.round(np.arange(0.05, 0.96, 0.05), 2))

_LIST_TYPES = (list, tuple, set, frozenset, np.ndarray)
_FORMS_HINT = (
    "a list of tag lists (`[['drama', 'romance'], []]`) or a 0/1 matrix (samples, tags)"
)


def head_activation(multi_label):
    """The output activation of a classifier head.

    Example:

    >>> head_activation(False), head_activation(True)
    ('softmax', 'sigmoid')
    """
    return "sigmoid" if check_multi_label(multi_label) else "softmax"


def check_multi_label(multi_label):
    """Checks the `multi_label` constructor argument (a bool)."""
    if not isinstance(multi_label, bool | np.bool_):
        raise TypeError(
            "`multi_label` must be True or False. "
            f"Received: multi_label={multi_label!r}"
        )
    return bool(multi_label)


def check_thresholds(thresholds, num_tags, name="thresholds"):
    """Checks per-tag thresholds: `None`, one number, or one per tag.

    Returns:
        `None` or a list of `num_tags` floats in `(0, 1)`.

    Example:

    >>> check_thresholds(0.3, 2)
    [0.3, 0.3]
    >>> check_thresholds([0.2, 1.5], 2)
    Traceback (most recent call last):
    ...
    ValueError: `thresholds[1]` must be < 1.0. Received: thresholds[1]=1.5
    """
    if thresholds is None:
        return None
    if isinstance(thresholds, int | float | np.number) and not isinstance(
        thresholds, bool
    ):
        thresholds = [thresholds] * int(num_tags)
    if not isinstance(thresholds, list | tuple | np.ndarray) or len(thresholds) != int(
        num_tags
    ):
        raise ValueError(
            f"`{name}` must be a number or a list of {num_tags} numbers (one "
            f"per tag). Received: {name}={validation._short(thresholds)}"
        )
    out = []
    for i, value in enumerate(thresholds):
        value = validation.check_float(
            f"{name}[{i}]", value, minimum=0.0, maximum=1.0, include_max=False
        )
        if value <= 0.0:
            raise ValueError(
                f"`{name}[{i}]` must be > 0.0. Received: {name}[{i}]={value}"
            )
        out.append(value)
    return out


def check_no_class_weight(multi_label, class_weight):
    """`class_weight` weighs one class per sample: not for multi-label models."""
    if multi_label and class_weight is not None:
        raise ValueError(
            "`class_weight` does not apply to a multi_label=True model (a "
            "sample has several tags or none); leave it None. "
            f"Received: class_weight={validation._short(class_weight)}"
        )


# ------------------------------------------------------------------ labels
def labels_array(name, y):
    """Raw labels as a numpy array, a list of tag lists as a 1-D object array.

    `validation.as_array` refuses ragged nested lists (the single-label
    path); tag lists of different lengths are this module's to read.
    """
    if hasattr(y, "columns"):  # a DataFrame of 0/1 columns
        return y
    if hasattr(y, "to_numpy") and getattr(y, "ndim", 1) == 1:  # a Series
        y = y.to_numpy()
    if isinstance(y, list | tuple) or (
        isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 1
    ):
        values = list(y)
        nested = [v for v in values if isinstance(v, _LIST_TYPES)]
        ragged = len({len(v) for v in nested}) > 1 or len(nested) != len(values)
        named = any(isinstance(t, str) for v in nested for t in v)
        empty = all(len(v) == 0 for v in nested)
        if nested and (ragged or named or empty):  # tag lists, not a 0/1 matrix
            array = np.empty(len(values), dtype=object)
            array[:] = values
            return array
    return validation.as_array(name, y)


def _form(name, y):
    """`("lists", [set of tags per row])` or `("matrix", float array, names)`."""
    names = None
    if hasattr(y, "columns"):  # a DataFrame: its columns name the tags
        names = [str(c) for c in y.columns]
        y = y.to_numpy()
    y = labels_array(name, y)
    validation.check_not_empty(name, y)
    if y.ndim == 2 and y.dtype != object:
        return "matrix", _check_matrix(name, y), names
    if y.ndim == 2:  # object matrix: 0/1 numbers stored as objects
        try:
            matrix = y.astype("float64")
        except (TypeError, ValueError):
            raise ValueError(
                f"`{name}` must be {_FORMS_HINT} for a multi_label=True model. "
                f"Received: a {y.shape} array of non-numeric values"
            ) from None
        return "matrix", _check_matrix(name, matrix), names
    if y.ndim != 1:
        raise ValueError(
            f"`{name}` must be {_FORMS_HINT} for a multi_label=True model. "
            f"Received: {name} with shape {y.shape}"
        )
    values = y.tolist()
    is_list = [isinstance(v, _LIST_TYPES) for v in values]
    if not any(is_list):
        raise ValueError(
            f"`{name}` holds one label per sample, but the model is "
            f"multi_label=True: pass {_FORMS_HINT} (e.g. `[[label] for label in "
            f"y]`), or use multi_label=False for single-label classes. "
            f"Received: {name}[:3]={values[:3]}"
        )
    if not all(is_list):
        first = next(i for i, flag in enumerate(is_list) if not flag)
        raise ValueError(
            f"`{name}` mixes label forms: some samples are tag lists, others "
            f"are not (use [] for a sample without a tag). Received: "
            f"{name}[{first}]={validation._short(values[first])}"
        )
    rows = []
    for i, tags in enumerate(values):
        tags = list(np.asarray(tags, dtype=object).ravel()) if len(tags) else []
        for tag in tags:
            if not isinstance(tag, str):
                raise TypeError(
                    f"`{name}` tags must be strings (the tag names). Received: "
                    f"{name}[{i}] holds {validation._short(tag)} of type "
                    f"{type(tag).__name__}"
                )
        rows.append(set(tags))
    return "lists", rows, None


def _check_matrix(name, matrix):
    if matrix.dtype.kind == "b":
        return matrix.astype("float32")
    if matrix.dtype.kind not in "iuf":
        raise ValueError(
            f"`{name}` as a matrix must hold 0/1 values (one column per tag). "
            f"Received: {name} of dtype {matrix.dtype}"
        )
    validation.check_finite(name, matrix)
    bad = (matrix != 0) & (matrix != 1)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{name}` as a multi-label matrix must hold only 0 and 1 (one "
            f"column per tag). Received: {name}[{where}]={matrix[where]!r}"
        )
    return matrix.astype("float32")


def infer_tags(name, y):
    """Infers `(num_tags, tag_names)` from raw multi-label training labels.

    Tag lists give their sorted tag names; a DataFrame its column names; a
    plain 0/1 matrix its column count and no names. Labels without any tag
    at all raise (nothing to learn).

    Example:

    >>> infer_tags("y", [["drama", "romance"], [], ["comedy"]])
    (3, ['comedy', 'drama', 'romance'])
    >>> infer_tags("y", np.array([[0, 1], [1, 1]]))
    (2, None)
    """
    form, value, names = _form(name, y)
    if form == "lists":
        names = sorted(set().union(*value))
        if not names:
            raise ValueError(
                f"`{name}` holds no tag: every sample's tag list is empty, so "
                f"there is nothing to learn. Received: {len(value)} empty lists"
            )
        return len(names), names
    if not value.any():
        raise ValueError(
            f"`{name}` holds no tag: every value of the 0/1 matrix is 0, so "
            f"there is nothing to learn. Received: {name} with shape "
            f"{value.shape}, all 0"
        )
    return int(value.shape[1]), names


def infer_classes(name, y, multi_label, regressor=None):
    """`(num_classes, class_names)` of a factory's training labels.

    `infer_tags` for a multi-label model, else `validation.infer_classes`
    (which names `regressor` for a target that looks continuous).
    """
    if multi_label:
        return infer_tags(name, y)
    return validation.infer_classes(name, y, regressor=regressor)


def encode_tags(name, y, class_names=None, num_tags=None):
    """Raw multi-label labels -> a float32 `(samples, tags)` 0/1 matrix.

    Args:
        name: argument name used in messages.
        y: a list of tag lists, a 0/1 matrix or a DataFrame of 0/1 columns.
        class_names: the model's tag names; tag lists are mapped through it
            (a tag not among them raises).
        num_tags: the model's number of tags (the matrix width).

    Example:

    >>> encode_tags("y", [["b"], [], ["a", "b"]], class_names=["a", "b"])
    array([[0., 1.],
           [0., 0.],
           [1., 1.]], dtype=float32)
    """
    form, value, names = _form(name, y)
    if num_tags is None and class_names is not None:
        num_tags = len(class_names)
    if form == "lists":
        if class_names is None:
            raise ValueError(
                f"`{name}` holds tag names but the model has no tag names "
                "(`class_names`); pass its 0/1 matrix instead. Received: "
                f"{name}[:3]={[sorted(r) for r in value[:3]]}"
            )
        index = {str(c): i for i, c in enumerate(class_names)}
        unknown = sorted(set().union(*value) - set(index))
        if unknown:
            raise ValueError(
                f"`{name}` holds tags the model was not trained on (its tags "
                f"are {list(class_names)}). Received unknown tags: {unknown[:5]}"
            )
        matrix = np.zeros((len(value), len(index)), dtype="float32")
        for row, tags in enumerate(value):
            matrix[row, [index[t] for t in tags]] = 1.0
        return matrix
    if num_tags is not None and value.shape[1] != int(num_tags):
        raise ValueError(
            f"`{name}` must have one column per tag: {num_tags} for this model"
            f"{f' {list(class_names)}' if class_names else ''}. "
            f"Received: {name} with shape {value.shape}"
        )
    if names is not None and class_names is not None:
        if names != [str(c) for c in class_names]:
            raise ValueError(
                f"`{name}` columns must be the model's tags {list(class_names)}, "
                f"in that order. Received columns: {names}"
            )
    return value


def looks_multi_label(y):
    """Whether raw labels are tag lists or a 2-D 0/1 matrix (for hints)."""
    try:
        form = _form("y", y)[0]
    except (ValueError, TypeError):
        return False
    return form in ("lists", "matrix")


# -------------------------------------------------------- compile defaults
def default_loss(label_smoothing=0.0):
    """Binary cross-entropy on each tag's sigmoid output."""
    return keras.losses.BinaryCrossentropy(label_smoothing=float(label_smoothing))


def default_metrics(num_tags):
    """Micro and macro F1 (at 0.5) and the mean per-tag ROC AUC.

    Reported as `f1_micro`, `f1_macro` and `auc` (`val_f1_micro`, ... on
    validation data; `kr.tune(objective="val_f1_micro")` maximises it).
    """
    return [
        keras.metrics.F1Score(average="micro", threshold=0.5, name="f1_micro"),
        keras.metrics.F1Score(average="macro", threshold=0.5, name="f1_macro"),
        keras.metrics.AUC(multi_label=True, num_labels=int(num_tags), name="auc"),
    ]


# --------------------------------------------------------------- decisions
def thresholds_or_default(thresholds, num_tags):
    """The thresholds as a float array, 0.5 per tag when unset."""
    if thresholds is None:
        return np.full(int(num_tags), DEFAULT_THRESHOLD, dtype="float32")
    return np.asarray(thresholds, dtype="float32")


def decode_tags(probs, thresholds=None, class_names=None):
    """Probabilities -> one list of tags per sample (tag indices without names).

    Example:

    >>> decode_tags(np.array([[0.9, 0.2], [0.1, 0.4]]), [0.5, 0.3], ["a", "b"])
    [['a'], ['b']]
    """
    probs = np.asarray(probs)
    on = probs >= thresholds_or_default(thresholds, probs.shape[-1])
    if class_names is None:
        return [np.flatnonzero(row).tolist() for row in on]
    return [[class_names[i] for i in np.flatnonzero(row)] for row in on]


def f1_scores(y_true, predicted):
    """Per-tag F1 of 0/1 matrices (0 for a tag never true nor predicted)."""
    y_true = np.asarray(y_true, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = (y_true & predicted).sum(0)
    fp = (~y_true & predicted).sum(0)
    fn = (y_true & ~predicted).sum(0)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def tune_thresholds(y_true, probs, grid=THRESHOLD_GRID):
    """Each tag's F1-best threshold on validation data.

    A tag without a positive validation sample keeps 0.5; ties go to the
    threshold closest to 0.5.

    Args:
        y_true: `(samples, tags)` 0/1 matrix.
        probs: `(samples, tags)` predicted probabilities.
        grid: candidate thresholds.

    Returns:
        A list of one float per tag.

    Example:

    >>> y = np.array([[1], [1], [0], [0]])
    >>> tune_thresholds(y, np.array([[0.3], [0.4], [0.1], [0.2]]))
    [0.3]
    """
    y_true = np.asarray(y_true, dtype=bool)
    probs = np.asarray(probs)
    grid = np.asarray(grid, dtype="float64")
    scores = np.stack([f1_scores(y_true, probs >= t) for t in grid])  # (grid, tags)
    best = []
    order = np.argsort(np.abs(grid - DEFAULT_THRESHOLD), kind="stable")
    for tag in range(y_true.shape[1]):
        if not y_true[:, tag].any():
            best.append(DEFAULT_THRESHOLD)
            continue
        column = scores[order, tag]
        best.append(float(grid[order[int(np.argmax(column))]]))
    return best
