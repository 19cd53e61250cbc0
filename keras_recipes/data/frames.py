"""The package's one reader of DataFrames and CSV files.

`kr.data.from_pandas`/`kr.data.csv` and the tabular template's data path
(`kr.tabular_classifier`, `TabularClassifier.fit/predict`) read tables
through these functions, so a CSV path, a DataFrame or a dict of columns
means the same thing everywhere.
"""

import csv
import os
import warnings

import numpy as np

from keras_recipes import utils


def read_csv(path, name="path", expected="an existing CSV file", **read_csv_kwargs):
    """Reads a CSV file with pandas, after checking that it exists.

    Args:
        path: a `str` or `os.PathLike` path.
        name: argument name used in messages.
        expected: what the argument may be, for the message when the file
            does not exist.
        **read_csv_kwargs: passed to `pandas.read_csv`.

    Returns:
        A `pandas.DataFrame`.
    """
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(
            f"`{name}` must be {expected}. Received: {name}={path!r} "
            f"({not_a_file(path)})"
        )
    try:
        # Checked again on the open file: a path swapped for a FIFO after
        # the check above raises instead of blocking `read_csv`.
        with utils.open_regular(path) as file:
            frame = pd.read_csv(file, **read_csv_kwargs)
        sep = read_csv_kwargs.get("sep", read_csv_kwargs.get("delimiter", ","))
        if isinstance(sep, str) and len(sep) == 1 and len(frame):
            cut = truncated_tail(path, len(frame.columns), sep)
            if cut is not None:
                warn_truncated(path, cut, len(frame.columns), len(frame) - 1)
                frame = frame.iloc[:-1]
        return frame
    except OSError as error:
        raise ValueError(
            f"`{name}` must be a readable CSV file. Received: {name}={path!r} "
            f"({error.strerror or error})"
        ) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ValueError(
            f"`{name}` could not be read as a CSV file ({type(e).__name__}: "
            f"{str(e)[:200]}). Received: {name}={path!r}"
        ) from None


def truncated_tail(path, num_columns, sep=","):
    """Fields of the last line when it is cut short, else `None`.

    A last line is cut short when the file does not end with a newline and
    that line has fewer fields than the header (a copy or download that
    stopped mid-row). A last line without a newline but with every field is
    complete. Compressed files are not checked.
    """
    if str(path).lower().endswith((".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")):
        return None
    with utils.open_regular(path) as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - 65536))
        tail = file.read()
    if not tail or tail.endswith(b"\n") or tail.endswith(b"\r"):
        return None
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    fields = next(csv.reader([last], delimiter=sep), [])
    return fields if len(fields) < num_columns else None


def warn_truncated(path, fields, num_columns, row=None, stacklevel=3):
    """Warns that `path`'s last line (data row `row`, 0-based) is cut short."""
    where = "its last line" if row is None else f"its last line (data row {row})"
    warnings.warn(
        f"{path!r} ends mid-row: {where} has {len(fields)} of {num_columns} "
        "fields and no final newline (a truncated copy?). Dropping that row.",
        stacklevel=stacklevel,
    )


def not_a_file(path):
    """Why an existing-or-not `path` is no regular file, for messages."""
    if os.path.isdir(path):
        return "a folder, not a file"
    if os.path.islink(path) and not os.path.exists(path):
        return "a broken symbolic link"
    if os.path.exists(path):
        return "not a regular file: a FIFO, socket or device"
    return "file not found"


def to_frame(x, name="x"):
    """DataFrame, dict of columns (lists/arrays/scalars) or CSV path -> DataFrame.

    A `pandas.Series` is one row indexed by column name; a dict of scalars is
    one row. Column names become strings; duplicated names raise.

    Args:
        x: a DataFrame, a Series (one row), a dict of columns or a CSV path.
        name: argument name used in messages.

    Returns:
        A `pandas.DataFrame` with string column names.

    Example:

    >>> frame = to_frame({"a": 1.5, 7: 2})
    >>> frame.shape, frame.columns.tolist()
    ((1, 2), ['a', '7'])
    """
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if x is None:
        raise ValueError(f"`{name}` is required. Received: {name}=None")
    if isinstance(x, str | os.PathLike):
        return read_csv(
            x, name, expected="a DataFrame, a dict of columns or an existing CSV file"
        )
    if isinstance(x, pd.Series):  # one row, indexed by column name
        return x.to_frame().T.infer_objects()
    if isinstance(x, pd.DataFrame):
        frame = x
    elif isinstance(x, dict):
        if x and all(np.ndim(v) == 0 for v in x.values()):
            x = {k: [v] for k, v in x.items()}  # one row of scalars
        try:
            frame = pd.DataFrame({str(k): list(np.ravel(v)) for k, v in x.items()})
        except ValueError as error:
            lengths = {str(k): len(np.ravel(v)) for k, v in x.items()}
            raise ValueError(
                f"`{name}` columns must all have the same length. "
                f"Received lengths {lengths} ({error})"
            ) from None
    else:
        raise TypeError(
            f"`{name}` must be a pandas DataFrame, a dict of columns or a CSV "
            f"path. Received: {name} of type {type(x).__name__}"
        )
    if frame.columns.duplicated().any():
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(f"`{name}` has duplicated column names: {dupes}")
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    return frame


def frame_columns(frame):
    """A DataFrame's columns as a dict `{str(name): numpy array}`.

    Example:

    >>> import pandas as pd
    >>> frame_columns(pd.DataFrame({1: [0.5], "b": ["x"]}))
    {'1': array([0.5]), 'b': array(['x'], dtype=object)}
    """
    return {str(c): frame[c].to_numpy() for c in frame.columns}
