"""Input checks shared by every template.

Each check raises a `ValueError` (or `TypeError`) that names the argument, what
was expected and what was received, in the Keras style, so that bad data never
reaches `fit` and never surfaces as a TensorFlow traceback.
"""

import difflib
import inspect

import numpy as np


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(name, choices):
    """Returns ' Did you mean 'x'?' for the closest choice, or ''."""
    match = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f" Did you mean '{match[0]}'?" if match else ""


def check_choice(name, value, choices):
    """Checks that `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {sorted(choices)}.{did_you_mean(value, choices)}"
            f" Received: {name}={_short(value)}"
        )
    return value


def check_int(name, value, minimum=None, maximum=None):
    """Checks an integer argument and returns it as a Python `int`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"`{name}` must be an integer. Received: {name}={_short(value)} "
            f"of type {type(value).__name__}"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}. Received: {name}={value}")
    return value


def check_float(name, value, minimum=None, maximum=None, include_max=True):
    """Checks a real-valued argument and returns it as a Python `float`."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={_short(value)} "
            f"of type {type(value).__name__}"
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite. Received: {name}={value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value}")
    if maximum is not None:
        bad = value > maximum if include_max else value >= maximum
        if bad:
            op = "<=" if include_max else "<"
            raise ValueError(
                f"`{name}` must be {op} {maximum}. Received: {name}={value}"
            )
    return value


def check_not_empty(name, array):
    """Checks that an array-like holds at least one sample."""
    if len(array) == 0:
        raise ValueError(
            f"`{name}` is empty: expected at least one sample. "
            f"Received: {name} with shape {tuple(np.shape(array))}"
        )


def check_same_length(x_name, x, y_name, y):
    """Checks that inputs and labels hold the same number of samples.

    A dict (of columns or named inputs) counts the samples of its first value.
    """
    x_len, y_len = num_samples(x), num_samples(y)
    if x_len != y_len:
        raise ValueError(
            f"`{x_name}` and `{y_name}` must have the same number of samples. "
            f"Received: len({x_name})={x_len}, len({y_name})={y_len}"
        )


def num_samples(x):
    """Number of samples in an array, a list or a dict of columns."""
    if isinstance(x, dict):
        return len(next(iter(x.values()))) if x else 0
    return len(x)


def check_finite(name, array):
    """Checks a numeric array holds no NaN or infinite value."""
    array = np.asarray(array)
    if array.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(array)
    if bad.any():
        first = np.argwhere(bad)[0]
        index = first[0] if array.ndim == 1 else tuple(int(i) for i in first)
        raise ValueError(
            f"`{name}` must not contain NaN or infinite values; found "
            f"{int(bad.sum())} (first at index {index}). "
            f"Received: {name}[{index}]={array[tuple(first)]!r}"
        )


def check_rank(name, array, ranks, what="array"):
    """Checks the rank (number of dimensions) of an array."""
    ndim = np.ndim(array)
    if ndim not in ranks:
        expected = " or ".join(str(r) for r in ranks)
        raise ValueError(
            f"`{name}` must be a {what} of rank {expected}. "
            f"Received: {name} with shape {tuple(np.shape(array))} (rank {ndim})"
        )


def as_array(name, values):
    """Converts array-likes (lists, pandas) to numpy, rejecting ragged input."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"`{name}` must be a rectangular array: all samples need the same "
            f"shape. Received: {name} with samples of different shapes ({error})"
        ) from None
    if (
        array.dtype == object
        and array.ndim == 1
        and len(array)
        and np.ndim(array[0]) > 0
    ):
        shapes = sorted({np.shape(a) for a in array}, key=str)[:3]
        raise ValueError(
            f"`{name}` must be a rectangular array: all samples need the same "
            f"shape. Received: {name} with sample shapes {shapes}"
        )
    return array


def encode_labels(name, y, class_names=None, num_classes=None):
    """Validates class labels and returns them as `int32` class indices.

    Args:
        name: argument name used in error messages.
        y: 1D labels: integers in `[0, num_classes)`, integral floats, strings
            or booleans. A `(n, 1)` column is accepted and flattened.
        class_names: optional list of class names. String labels are mapped
            through it; unknown names raise.
        num_classes: optional number of classes for the range check.

    Returns:
        A numpy `int32` array of class indices.
    """
    y = as_array(name, y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1D array of class labels (one per sample). "
            f"Received: {name} with shape {y.shape}"
        )
    check_not_empty(name, y)
    if y.dtype.kind in "OUS":
        labels = [str(v) for v in y]
        if class_names is None:
            raise ValueError(
                f"`{name}` holds string labels but the model has no class names. "
                f"Received: {name}[:3]={labels[:3]}"
            )
        index = {str(c): i for i, c in enumerate(class_names)}
        unknown = sorted({v for v in labels if v not in index})
        if unknown:
            raise ValueError(
                f"`{name}` holds labels that are not among the model's classes "
                f"{list(class_names)}. Received unknown labels: {unknown[:5]}"
            )
        return np.asarray([index[v] for v in labels], dtype="int32")
    if y.dtype.kind == "b":
        y = y.astype("int32")
    if y.dtype.kind == "f":
        check_finite(name, y)
        if not np.all(np.equal(np.mod(y, 1), 0)):
            bad = y[np.mod(y, 1) != 0][0]
            raise ValueError(
                f"`{name}` must hold integer class indices; float labels must be "
                f"whole numbers. Received: a label of {float(bad)}"
            )
    if y.dtype.kind not in "iuf":
        raise TypeError(
            f"`{name}` must hold integer or string class labels. "
            f"Received: {name} of dtype {y.dtype}"
        )
    y = y.astype("int64")
    if y.min() < 0:
        raise ValueError(
            f"`{name}` must hold class indices >= 0. Received: a label of {y.min()}"
        )
    if class_names is not None and num_classes is None:
        num_classes = len(class_names)
    if num_classes is not None and y.max() >= num_classes:
        raise ValueError(
            f"`{name}` must hold class indices in [0, {num_classes}) for a model "
            f"with num_classes={num_classes}. Received: a label of {y.max()}"
        )
    return y.astype("int32")


# A numeric classification target with more distinct values than this, and
# more than `CONTINUOUS_FRACTION` of its rows distinct, looks continuous.
CONTINUOUS_MIN_VALUES = 30
CONTINUOUS_FRACTION = 0.1


def check_not_continuous(name, y, regressor):
    """Refuses a classifier's numeric target that looks like a quantity.

    A target looks continuous when it holds numbers that are not whole, or
    whole numbers with more than `CONTINUOUS_MIN_VALUES` (30) distinct values
    that are also more than `CONTINUOUS_FRACTION` (10 %) of the rows (a body
    mass in grams, a price): a classifier would build one class per value.
    The error names `regressor`, the factory to use instead. String and
    boolean labels always pass (the way to train a classifier on many
    numeric classes anyway).

    Example:

    >>> check_not_continuous("target", np.array([0, 1, 2]), "kr.tabular_regressor")
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iuf" or y.size == 0:
        return
    values = y.ravel()
    if y.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        if finite.size and np.any(finite != np.round(finite)):
            example = finite[finite != np.round(finite)][0]
            raise ValueError(
                f"`{name}` holds numbers that are not whole (e.g. {example!r}): "
                f"it looks like a regression target. Use `{regressor}` to "
                "predict a quantity, or pass class labels (strings or integer "
                f"class indices). Received: {name} of dtype {y.dtype}"
            )
    distinct = len(np.unique(values))
    if distinct > CONTINUOUS_MIN_VALUES and distinct > CONTINUOUS_FRACTION * len(
        values
    ):
        raise ValueError(
            f"`{name}` has {distinct} distinct numbers in {len(values)} rows: it "
            f"looks like a quantity, not classes (a classifier would build "
            f"{distinct} classes). Use `{regressor}` to predict a quantity, or "
            "pass the classes as strings to train a classifier on them anyway. "
            f"Received: {name} with values from {values.min()} to {values.max()}"
        )


def infer_classes(name, y, regressor=None):
    """Infers `(num_classes, class_names)` from raw labels.

    String (or boolean) labels give sorted class names; integer labels give
    `num_classes = max + 1` and no names. Fewer than 2 classes raises. With
    `regressor` (the factory to suggest), a numeric target that looks
    continuous raises (see `check_not_continuous`).
    """
    y = as_array(name, y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    check_not_empty(name, y)
    if regressor is not None:
        check_not_continuous(name, y, regressor)
    if y.dtype.kind in "OUSb":
        if y.dtype.kind == "O":
            kinds = {type(v).__name__ for v in y.tolist()}
            if not all(isinstance(v, str) for v in y.tolist()):
                raise TypeError(
                    f"`{name}` mixes label types; use all strings or all integers. "
                    f"Received: {name} with types {sorted(kinds)}"
                )
        names = sorted({str(v) for v in y.tolist()})
        if len(names) < 2:
            raise ValueError(
                f"`{name}` must hold at least 2 distinct classes to train a "
                f"classifier. Received: only {names}"
            )
        return len(names), names
    y = encode_labels(name, y)
    num_classes = int(y.max()) + 1
    if len(np.unique(y)) < 2:
        raise ValueError(
            f"`{name}` must hold at least 2 distinct classes to train a "
            f"classifier. Received: only class {int(y[0])}"
        )
    return max(num_classes, 2), None


def check_known_arguments(cls, kwargs, allowed):
    """Refuses keyword arguments `cls` does not take (typos, old names).

    Args:
        cls: the class being built; its `__init__` names the valid arguments.
        kwargs: the keyword arguments left after its own.
        allowed: names that pass through to a base class (`name`, ...).
    """
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        params = [
            p
            for p in inspect.signature(cls.__init__).parameters
            if p not in ("self", "args", "kwargs")
        ]
        raise TypeError(
            f"{cls.__name__} got an unexpected argument "
            f"`{unknown[0]}`.{did_you_mean(unknown[0], params)} "
            f"Valid arguments: {params}. "
            f"Received: {unknown[0]}={kwargs[unknown[0]]!r}"
        )


# Sanity bounds on model sizes: far above what the templates are for, low
# enough that a config value such as `num_classes=10**12` (a typo, or a
# crafted model file) is refused before any layer allocates weights.
MAX_CLASSES = 100_000
MAX_VOCABULARY = 1_000_000  # tokens of a vocabulary, or its size
MAX_UNITS = 16_384  # units, embedding and intermediate sizes, channels
MAX_LAYERS = 64  # stacked layers or blocks of one kind
MAX_SEQUENCE_LENGTH = 65_536
MAX_IMAGE_SIDE = 16_384  # pixels per side of an input image


def check_size(name, value, maximum, minimum=1):
    """Checks a model size argument (units, classes, length...) and its bound.

    Like `check_int`, and says that the upper bound is a sanity bound.

    Args:
        name: argument name used in error messages.
        value: the size.
        maximum: the largest size accepted (one of the `MAX_*` bounds).
        minimum: the smallest size accepted.

    Returns:
        The size as a Python `int`.

    Example:

    >>> check_size("num_classes", 10, MAX_CLASSES, minimum=2)
    10
    >>> check_size("units", 10**12, MAX_UNITS)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `units` must be <= 16384 (a sanity bound ...). Received: units=10...
    """
    value = check_int(name, value, minimum=minimum)
    if value > maximum:
        raise ValueError(
            f"`{name}` must be <= {maximum} (a sanity bound on model size: "
            f"larger values exhaust memory). Received: {name}={value}"
        )
    return value


# The largest `batch_size` accepted anywhere (fit, evaluate, predict,
# translate, `kr.data.make_dataset`): 2**24 samples, far above any batch that
# fits in memory, far below the values that overflow TensorFlow's int64
# shapes or ask tf.data for a buffer of that many elements.
MAX_BATCH_SIZE = 2**24


def check_batch_size(batch_size, name="batch_size"):
    """Checks a batch size: an integer in `[1, MAX_BATCH_SIZE]`.

    Example:

    >>> check_batch_size(32)
    32
    >>> check_batch_size(10**12)
    Traceback (most recent call last):
    ...
    ValueError: `batch_size` must be <= 16777216. Received: batch_size=1000000000000
    """
    return check_int(name, batch_size, minimum=1, maximum=MAX_BATCH_SIZE)


def check_class_weight(name, class_weight, num_classes=None, class_names=None):
    """Checks a `fit(class_weight=...)` dict; returns `{int index: float}`.

    Keys are class indices (integers) or, when `class_names` is given, class
    names. Weights are finite numbers >= 0, not all 0. With `num_classes`
    known every class in `[0, num_classes)` needs a weight (Keras' tf.data
    path fails mid-epoch on a label without one) and no other key is allowed.

    Args:
        name: argument name used in messages.
        class_weight: the dict given by the user.
        num_classes: number of classes of the model, when known.
        class_names: the model's class names, when it has them.

    Returns:
        A dict `{class index: weight}` with Python `int` keys and `float`
        values, ready for `keras.Model.fit`.

    Example:

    >>> check_class_weight("class_weight", {"b": 2, "a": 1}, 2, ["a", "b"])
    {1: 2.0, 0: 1.0}
    >>> check_class_weight("class_weight", {0: 1.0}, num_classes=3)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ... classes [1, 2] have none. Received: class_weight={0: 1.0}
    """
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"`{name}` must be a dict mapping each class (index or name) to a "
            f"weight. Received: {name}={_short(class_weight)} of type "
            f"{type(class_weight).__name__}"
        )
    if not class_weight:
        raise ValueError(
            f"`{name}` must give a weight to at least one class. Received: {name}={{}}"
        )
    names = {str(c): i for i, c in enumerate(class_names or [])}
    if class_names is not None and num_classes is None:
        num_classes = len(class_names)
    weights = {}
    for key, weight in class_weight.items():
        if isinstance(key, str) and key in names:
            index = names[key]
        elif isinstance(key, int | np.integer) and not isinstance(key, bool):
            index = int(key)
        elif isinstance(key, str):
            known = f"; the classes are {list(class_names)}" if class_names else ""
            raise ValueError(
                f"`{name}` names a class the model does not have{known}."
                f"{did_you_mean(key, names)} Received: {name} key {key!r}"
            )
        else:
            raise TypeError(
                f"`{name}` keys must be class indices (integers) or class "
                f"names. Received: {name} key {_short(key)} of type "
                f"{type(key).__name__}"
            )
        if index < 0 or (num_classes is not None and index >= num_classes):
            bound = "" if num_classes is None else f" in [0, {num_classes})"
            raise ValueError(
                f"`{name}` keys must be class indices{bound}. "
                f"Received: {name} key {index}"
            )
        if index in weights:
            raise ValueError(
                f"`{name}` gives class {index} two weights (by index and by "
                f"name). Received: {name}={_short(class_weight)}"
            )
        weights[index] = check_float(f"{name}[{key!r}]", weight, minimum=0.0)
    if num_classes is not None:
        missing = sorted(set(range(num_classes)) - set(weights))
        if missing:
            raise ValueError(
                f"`{name}` must give a weight to every class: classes "
                f"{missing[:10]}{' ...' if len(missing) > 10 else ''} have none. "
                f"Received: {name}={_short(class_weight)}"
            )
    if not any(weights.values()):
        raise ValueError(
            f"`{name}` weights are all 0: nothing would be learned. "
            f"Received: {name}={_short(class_weight)}"
        )
    return weights
