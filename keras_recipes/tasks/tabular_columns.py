"""Tabular column kinds: raw-value conversion and kind inference.

The column-level work behind `TabularPreprocessor`: what each kind of
column (numeric, boolean, integer-categorical, string-categorical) accepts
as raw values and turns them into, and how a DataFrame's columns get their
kind and statistics. numpy and pandas only; no Keras.
"""

import warnings

import numpy as np

from keras_recipes import validation

NUMERIC = "numeric"
BOOLEAN = "boolean"
INTEGER = "integer_categorical"
STRING = "string_categorical"
KINDS = (NUMERIC, BOOLEAN, INTEGER, STRING)
# Integer columns with at most this many distinct values are categorical.
MAX_INTEGER_CATEGORIES = 10
# Quantile bins per numeric column for the piecewise-linear encoding
# ("On Embeddings for Numerical Features", Gorishniy et al. 2022).
NUMERIC_BINS = 32
# The token that stands for a missing value in string-categorical columns
# (what an empty CSV field reads as when served raw).
MISSING_TOKEN = ""
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def check_names(arg, names):
    """`None`, one column name or a list of names -> a list of names."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list | tuple) or not all(
        isinstance(n, str) for n in names
    ):
        raise TypeError(
            f"`{arg}` must be a list of column names. Received: {arg}={names!r}"
        )
    return list(names)


# ------------------------------------------------------------ raw conversion
def integer_sentinel(vocabulary):
    """An integer outside the vocabulary: OOV token, and missing at predict."""
    return int(min(min(vocabulary), 0) - 1)


def is_missing(value):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def category_text(value):
    if is_missing(value):
        return MISSING_TOKEN
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def category_texts(values):
    """`category_text` of every value, vectorized when they are all strings.

    Example:

    >>> category_texts(np.array(["a", None, 2.0], dtype=object)).tolist()
    ['a', '', '2']
    """
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    missing = series.isna().to_numpy()
    if pd.api.types.infer_dtype(series[~missing], skipna=False) == "string":
        out = series.to_numpy(dtype=object, copy=True)
        out[missing] = MISSING_TOKEN
        return out
    return np.array([category_text(v) for v in values], dtype=object)


def _first_bad(values, bad_mask):
    return values[np.flatnonzero(bad_mask)[0]]


def to_float(name, column, values, kind_text="numeric"):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    values = np.asarray(values)
    if values.dtype.kind in "fiub":
        out = values.astype("float64")
    else:
        series = pd.Series(values, dtype=object)
        missing = series.map(is_missing).to_numpy(dtype=bool)
        parsed = pd.to_numeric(series.where(~missing, np.nan), errors="coerce")
        bools = series.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(bool)
        bad = (parsed.isna().to_numpy() & ~missing) | bools
        if bad.any():
            bad_value = _first_bad(values, bad)
            raise ValueError(
                f"`{name}` column {column!r} is {kind_text} but holds non-numeric "
                f"values ({int(bad.sum())}, e.g. {bad_value!r}). Clean the column, "
                f"mark missing values as NaN (e.g. `pd.read_csv(..., "
                f"na_values=[{str(bad_value)!r}])`), or treat it as categorical."
            )
        out = parsed.to_numpy(dtype="float64")
    if np.isinf(out).any():
        raise ValueError(
            f"`{name}` column {column!r} must not contain infinite values. "
            f"Received: {int(np.isinf(out).sum())} infinite value(s)"
        )
    return out


def to_boolean(name, column, values):
    values = np.asarray(values)
    if values.dtype.kind in "fiub":
        out = values.astype("float64")
        good = np.isnan(out) | np.isin(out, (0.0, 1.0))
    else:
        out = np.full(len(values), np.nan)
        good = np.ones(len(values), dtype=bool)
        for i, v in enumerate(values):
            if is_missing(v):
                continue
            text = str(v).strip().lower()
            if isinstance(v, bool | np.bool_):
                out[i] = float(v)
            elif text in _TRUE:
                out[i] = 1.0
            elif text in _FALSE:
                out[i] = 0.0
            else:
                good[i] = False
    if not good.all():
        raise ValueError(
            f"`{name}` column {column!r} is boolean but holds other values, e.g. "
            f"{_first_bad(values, ~good)!r}. Expected True/False, 1/0, "
            f"'true'/'false', 'yes'/'no' or missing."
        )
    return out


def convert_column(name, column, kind, values, spec=None):
    """Raw values of one column -> the array the model's input takes."""
    values = np.asarray(values)
    if values.ndim != 1:
        values = values.reshape(len(values), -1)
        if values.shape[1] != 1:
            raise ValueError(
                f"`{name}` column {column!r} must hold one value per row. "
                f"Received shape {values.shape}"
            )
        values = values[:, 0]
    if kind == NUMERIC:
        return to_float(name, column, values).astype("float32")
    if kind == BOOLEAN:
        return to_boolean(name, column, values).astype("float32")
    if kind == STRING:
        if values.dtype.kind == "U":
            return values.astype(object)
        return category_texts(values)
    # Integer-categorical: unseen, missing or non-integral -> OOV sentinel.
    floats = to_float(name, column, values, kind_text="integer-categorical")
    sentinel = integer_sentinel(spec["vocabulary"])
    whole = ~np.isnan(floats) & (np.mod(np.nan_to_num(floats), 1) == 0)
    return np.where(whole, np.nan_to_num(floats), sentinel).astype("int64")


# ------------------------------------------------------------------ inference
def infer_features(
    frame,
    numeric=None,
    categorical=None,
    ignore=None,
    max_categories=1000,
    name="data",
):
    """Infers column kinds and computes their statistics from a DataFrame.

    Integer columns with at most `MAX_INTEGER_CATEGORIES` distinct values are
    integer-categorical, other numeric columns numeric; boolean columns
    (`bool` dtype or only True/False values) boolean; strings
    string-categorical. All-missing columns are dropped with a warning, as
    are string columns whose every value is distinct (identifiers). Numeric
    statistics (mean, variance, median fill value) and vocabularies (most
    frequent first, at most `max_categories`) come from `frame` only.

    Args:
        frame: a DataFrame of feature columns (target already removed).
        numeric: column names forced to be numeric.
        categorical: column names forced to be categorical.
        ignore: column names to leave out.
        max_categories: largest vocabulary kept per categorical column; rarer
            categories map to the OOV index.
        name: argument name used in messages.

    Returns:
        `(features, ignored)`: the list of feature specs for
        `TabularClassifier(features=...)` and the list of ignored columns.

    Example:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1.5, 2.5, None], "b": ["x", "y", "x"]})
    >>> features, ignored = infer_features(frame)
    >>> [(f["name"], f["kind"]) for f in features]
    [('a', 'numeric'), ('b', 'string_categorical')]
    """
    validation.check_int("max_categories", max_categories, minimum=1)
    columns = [str(c) for c in frame.columns]
    lists = {}
    for arg, value in (
        ("numeric", numeric),
        ("categorical", categorical),
        ("ignore", ignore),
    ):
        lists[arg] = check_names(arg, value)
        for column in lists[arg]:
            if column not in columns:
                raise ValueError(
                    f"`{arg}` names a column that is not in `{name}`."
                    f"{validation.did_you_mean(column, columns)} Received: "
                    f"{column!r}; columns are {columns}"
                )
    both = sorted(set(lists["numeric"]) & set(lists["categorical"]))
    if both:
        raise ValueError(
            f"A column cannot be both `numeric` and `categorical`. Received: {both}"
        )
    ignored = list(lists["ignore"])
    features = []
    for column in columns:
        if column in ignored:
            continue
        series = frame[column]
        present = series[~series.isna()]
        if len(present) == 0:
            warnings.warn(
                f"`{name}` column {column!r} holds only missing values; dropping it.",
                stacklevel=4,
            )
            ignored.append(column)
            continue
        if column in lists["numeric"]:
            kind = NUMERIC
        elif column in lists["categorical"]:
            kind = _categorical_kind(series)
        else:
            kind = _infer_kind(name, column, series, present)
            if kind is None:
                ignored.append(column)
                continue
        features.append(_column_spec(name, column, kind, series, max_categories))
    if not features:
        raise ValueError(
            f"`{name}` has no usable feature columns. Received: columns "
            f"{columns}, ignored {ignored}"
        )
    return features, ignored


def _categorical_kind(series):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return INTEGER
    return STRING


def _is_boolean(series, present):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return True
    return series.dtype == object and all(
        isinstance(v, bool | np.bool_) for v in present.tolist()
    )


def _infer_kind(name, column, series, present):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if _is_boolean(series, present):
        return BOOLEAN
    dtype = series.dtype
    if (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        warnings.warn(
            f"`{name}` column {column!r} holds dates/times, which are not "
            f"supported as features; dropping it. Derive numeric columns "
            f"(e.g. day of week) to use it.",
            stacklevel=5,
        )
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        return STRING
    if pd.api.types.is_numeric_dtype(dtype):
        if (
            pd.api.types.is_integer_dtype(dtype)
            and not series.isna().any()
            and present.nunique() <= MAX_INTEGER_CATEGORIES
        ):
            return INTEGER
        return NUMERIC
    values = present.tolist()
    if all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool)
        for v in values
    ):
        return NUMERIC
    parsed = pd.to_numeric(present.astype(str), errors="coerce")
    numeric_share = float(parsed.notna().mean())
    if 0.9 <= numeric_share < 1.0:
        bad = present[parsed.isna().to_numpy()].iloc[0]
        raise ValueError(
            f"`{name}` column {column!r} looks numeric but holds non-numeric "
            f"strings such as {bad!r}. Mark them missing (e.g. "
            f"`pd.read_csv(..., na_values=[{bad!r}])`), or pass "
            f"`categorical=[{column!r}]` or `ignore=[{column!r}]`."
        )
    if numeric_share == 1.0:
        return NUMERIC
    if len(present) >= 20 and present.nunique() == len(present):
        warnings.warn(
            f"`{name}` column {column!r} has a distinct value in every row (an "
            f"identifier?); dropping it. Pass `categorical=[{column!r}]` to keep "
            f"it.",
            stacklevel=5,
        )
        return None
    return STRING


def quantile_edges(values, num_bins=NUMERIC_BINS):
    """Distinct quantile bin edges of `values` (a list), or `None` if < 2.

    Example:

    >>> quantile_edges(np.arange(9.0), num_bins=4)
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    values = np.asarray(values, "float64")
    num_bins = int(min(num_bins, max(len(values) - 1, 1)))
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, num_bins + 1)))
    if len(edges) < 2:
        return None
    return [float(e) for e in edges]


def _column_spec(name, column, kind, series, max_categories):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    values = series.to_numpy()
    if kind in (NUMERIC, BOOLEAN):
        converted = (
            to_float(name, column, values)
            if kind == NUMERIC
            else to_boolean(name, column, values)
        )
        present = converted[~np.isnan(converted)]
        variance = float(np.var(present))
        spec = {
            "name": column,
            "kind": kind,
            "mean": float(np.mean(present)),
            "variance": variance if variance > 0 else 1.0,
            "fill_value": float(np.median(present)),
            "missing_indicator": bool(np.isnan(converted).any()),
        }
        if kind == NUMERIC:
            edges = quantile_edges(present)
            if edges is not None:
                spec["bins"] = edges
        return spec
    if kind == INTEGER:
        counts = pd.Series(values.astype("int64")).value_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        vocab = [int(v) for v, _ in ordered[:max_categories]]
    else:
        texts = pd.Series(category_texts(values))
        counts = texts.value_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        vocab = [str(v) for v, _ in ordered[:max_categories]]
    return {"name": column, "kind": kind, "vocabulary": vocab}
