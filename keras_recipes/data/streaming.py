"""Streaming sources: CSV, JSON-lines and text folders read in chunks.

A file larger than the memory budget is never read whole. `kr.data.csv`,
`kr.data.text_file` and `kr.data.text_folder` return a `kr.data.Data`
whose `source` is one of the streams below when the input is larger than
`memory_budget` bytes (`streaming="auto"`, default 512 MiB; the
`KERAS_RECIPES_MEMORY_BUDGET` environment variable changes it), or always
with `streaming=True`.

A stream yields in-memory pieces of `chunk_rows` rows: `(inputs, labels)`
with labels, the inputs alone without. The tasks turn each piece into
model inputs with the same conversion as in-memory data
(`stream_pipeline.stream_dataset`), so a stream trains, evaluates and
predicts on exactly what the in-memory path would, in batches, with memory
bounded by a few chunks. Reading problems are `ValueError`s (or warnings)
that name the file and the rows:

- an empty file, or a header without rows;
- a row with more fields than the header (an unseen column);
- a column that the first chunk read as numbers and a later chunk holds
  text in (a type change);
- a last line cut short (no final newline and fewer fields than the
  header): a warning, and that row is dropped.

Rows whose label is missing are dropped (counted in `dropped_labels`).
"""

import os

import numpy as np

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data.frames import not_a_file
from keras_recipes.data.frames import truncated_tail
from keras_recipes.data.frames import warn_truncated

DEFAULT_MEMORY_BUDGET = 512 * 2**20
BUDGET_ENV = "KERAS_RECIPES_MEMORY_BUDGET"
CHUNK_ROWS = 100_000
TEXT_FILES_PER_CHUNK = 2_000
STREAMING = ("auto", True, False)
JSON_LINES = (".jsonl", ".ndjson", ".json")


def memory_budget(budget=None):
    """Bytes of input above which `streaming="auto"` streams.

    `None`: the `KERAS_RECIPES_MEMORY_BUDGET` environment variable (bytes)
    if set, else 512 MiB. A CSV read whole by pandas takes one to several
    times its size on disk (strings: ~50-60 bytes per value), so 512 MiB of
    file is a few GiB in memory.

    Example:

    >>> memory_budget(2**20)
    1048576
    """
    if budget is None:
        budget = os.environ.get(BUDGET_ENV) or DEFAULT_MEMORY_BUDGET
        try:
            budget = int(budget)
        except ValueError:
            raise ValueError(
                f"`{BUDGET_ENV}` must be a number of bytes. Received: "
                f"{BUDGET_ENV}={budget!r}"
            ) from None
    return validation.check_int("memory_budget", budget, minimum=0)


def check_streaming(streaming):
    """Validates `streaming=` (`"auto"`, `True` or `False`)."""
    if streaming not in STREAMING or not isinstance(streaming, str | bool):
        raise ValueError(
            f"`streaming` must be 'auto', True or False. Received: "
            f"streaming={streaming!r}"
        )
    return streaming


def wants_stream(size, streaming="auto", budget=None):
    """Whether input of `size` bytes streams under `streaming` and `budget`."""
    check_streaming(streaming)
    if streaming == "auto":
        return size > memory_budget(budget)
    return bool(streaming)


def file_size(path):
    """Size in bytes of `path` (0 when it cannot be read)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def check_file(path, name="path", expected="an existing CSV file"):
    """Raises a `ValueError` unless `path` is a regular, non-empty file."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"`{name}` must be a file path. Received: {name} of type "
            f"{type(path).__name__}"
        )
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(
            f"`{name}` must be {expected}. Received: {name}={path!r} "
            f"({not_a_file(path)})"
        )
    if os.path.getsize(path) == 0:
        raise ValueError(
            f"`{name}` is an empty file (0 bytes): expected a header and rows. "
            f"Received: {name}={path!r}"
        )
    return path


def _row_hash(rows, seed):
    """A uniform number in [0, 1) per row index (splitmix64), chunk-free."""
    with np.errstate(over="ignore"):
        z = rows.astype(np.uint64) + np.uint64(seed % 2**32) * np.uint64(
            0x9E3779B97F4A7C15
        )
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2**53)


class Stream:
    """Base of the streams: chunked pieces, held-out rows, stored errors.

    Subclasses implement `_chunks()`, yielding `(first_row, inputs,
    labels)` for consecutive rows (labels raw, `None` without a label
    column). `split` gives two streams that keep complementary rows, chosen
    by a seeded hash of each row's index (the same rows whatever the chunk
    size).

    Attributes:
        name: what messages call the source (a file or folder path).
        class_names: class names when the source knows them (folders).
        dropped_labels: rows skipped in the last pass for a missing label.
        error: the exception that stopped the last pass, if any (the tasks
            raise it instead of the TensorFlow error that wraps it).
    """

    name = "stream"
    class_names = None
    has_labels = True

    def __init__(self, chunk_rows=CHUNK_ROWS, holdout=None):
        self.chunk_rows = validation.check_int("chunk_rows", chunk_rows, minimum=1)
        self.holdout = holdout
        self.dropped_labels = 0
        self.error = None

    def _chunks(self):
        raise NotImplementedError

    def _copy(self, holdout):
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.holdout, clone.error, clone.dropped_labels = holdout, None, 0
        return clone

    def split(self, fraction, seed=None):
        """`(train, validation)` streams holding out `fraction` of the rows."""
        fraction = validation.check_float(
            "validation_split", fraction, minimum=0.0, maximum=1.0, include_max=False
        )
        if seed is None:  # from numpy's global state, which kr.set_seed sets
            seed = int(np.random.randint(2**31 - 1))
        return (
            self._copy((fraction, int(seed), False)),
            self._copy((fraction, int(seed), True)),
        )

    def pieces(self, with_labels=True):
        """Yields `(first_row, inputs, labels)` (labels `None` without).

        An error while reading is kept in `error` before it propagates (see
        `stream_errors`).
        """
        self.dropped_labels, self.error = 0, None
        try:
            yield from self._pieces(with_labels)
        except Exception as error:
            self.error = error
            raise

    def _pieces(self, with_labels):
        for first, x, y in self._chunks():
            keep = np.ones(_length(x), dtype=bool)
            if self.holdout is not None:
                fraction, seed, held = self.holdout
                rows = np.arange(first, first + len(keep))
                keep = (_row_hash(rows, seed) < fraction) == held
            if with_labels:
                if y is None:
                    raise ValueError(
                        f"{self.name!r} has no label column: name it (`target=` "
                        "or `label=`) to train or evaluate on it."
                    )
                missing = _missing(y)
                self.dropped_labels += int((missing & keep).sum())
                keep &= ~missing
            if not keep.all():
                x = _take(x, keep)
                y = None if y is None else np.asarray(y)[keep]
            if _length(x):
                yield first, x, (y if with_labels else None)


def _length(x):
    return len(x.index) if hasattr(x, "index") else len(x)


def _take(x, mask):
    if hasattr(x, "iloc"):
        return x[mask].reset_index(drop=True)
    return np.asarray(x, dtype=object)[mask]


def _missing(y):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    return pd.isna(pd.Series(np.asarray(y, dtype=object))).to_numpy(dtype=bool)


class CsvStream(Stream):
    """A CSV file read `chunk_rows` rows at a time with pandas.

    Args:
        path: the CSV file.
        target: the label column, or `None`.
        chunk_rows: rows per chunk.
        **read_csv_kwargs: passed to `pandas.read_csv` (not `chunksize`).
    """

    def __init__(self, path, target=None, chunk_rows=CHUNK_ROWS, **read_csv_kwargs):
        super().__init__(chunk_rows)
        # pandas: imported on first use, keeps `import keras_recipes` light.
        import pandas as pd

        for key in ("chunksize", "iterator", "nrows"):
            if key in read_csv_kwargs:
                raise ValueError(
                    f"`{key}` is set by the stream (`chunk_rows`). Received: "
                    f"{key}={read_csv_kwargs[key]!r}"
                )
        self.path = check_file(path)
        self.name = self.path
        self.read_csv_kwargs = read_csv_kwargs
        try:
            with utils.open_regular(self.path) as file:
                header = pd.read_csv(file, nrows=0, **read_csv_kwargs)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            raise ValueError(
                f"`path` has no CSV header line. Received: path={self.path!r}"
            ) from None
        self.columns = [str(c) for c in header.columns]
        if target is not None and target not in self.columns:
            raise ValueError(
                f"`target` must be a column of the CSV file."
                f"{validation.did_you_mean(target, self.columns)} Received: "
                f"target={target!r}; columns are {self.columns}"
            )
        self.target = target
        self.has_labels = target is not None
        sep = read_csv_kwargs.get("sep", read_csv_kwargs.get("delimiter", ","))
        self.truncated = truncated_tail(
            self.path, len(self.columns), sep if isinstance(sep, str) else ","
        )
        if self.truncated is not None:
            warn_truncated(self.path, self.truncated, len(self.columns))

    def with_target(self, target):
        """The same file and options, with `target` as the label column."""
        if target is not None and target not in self.columns:
            raise ValueError(
                f"`target` must be a column of the CSV file."
                f"{validation.did_you_mean(target, self.columns)} Received: "
                f"target={target!r}; columns are {self.columns}"
            )
        clone = self._copy(self.holdout)
        clone.target, clone.has_labels = target, target is not None
        return clone

    def frames(self):
        """Yields `(first_row, DataFrame)` chunks, checked (see the module)."""
        # pandas: imported on first use, keeps `import keras_recipes` light.
        import pandas as pd

        kinds, first, previous = None, 0, None
        with utils.open_regular(self.path) as file:
            reader = pd.read_csv(
                file, chunksize=self.chunk_rows, **self.read_csv_kwargs
            )
            while True:
                try:
                    frame = next(reader)
                except StopIteration:
                    break
                except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
                    text = str(e).strip()[:300]
                    hint = ""
                    if "Expected" in text and "fields" in text:
                        hint = (
                            " A row with more fields than the header adds a "
                            "column the header does not name; fix or remove it."
                        )
                    elif "EOF" in text:
                        hint = " The file ends inside a quoted field (truncated?)."
                    raise ValueError(
                        f"{self.path!r} could not be read after row {first} "
                        f"(rows {first}-{first + self.chunk_rows - 1} of the "
                        f"data, header not counted): {text}.{hint}"
                    ) from None
                frame = frame.rename(columns=str)
                if kinds is None:
                    kinds = _column_kinds(frame)
                else:
                    _check_kinds(self.path, kinds, frame, first)
                if previous is not None:
                    yield previous
                previous = (first, frame)
                first += len(frame)
        if previous is None or first == 0:
            raise ValueError(
                f"`path` holds a header but no rows: expected at least one row. "
                f"Received: path={self.path!r} with columns {self.columns}"
            )
        start, frame = previous
        if self.truncated is not None:
            frame = frame.iloc[:-1]
        if len(frame):
            yield start, frame

    def _chunks(self):
        for first, frame in self.frames():
            if self.target is None:
                yield first, frame, None
            else:
                yield (
                    first,
                    frame.drop(columns=[self.target]),
                    frame[self.target].to_numpy(),
                )


def _column_kinds(frame):
    """`{column: "number" | None}` for columns read as numbers with values."""
    return {
        c: "number" if frame[c].dtype.kind in "iuf" and frame[c].notna().any() else None
        for c in frame.columns
    }


def _check_kinds(path, kinds, frame, first):
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    for column, kind in kinds.items():
        if kind != "number" or column not in frame.columns:
            continue
        series = frame[column]
        if series.dtype.kind in "iufb":
            continue
        parsed = pd.to_numeric(series, errors="coerce")
        bad = np.flatnonzero((parsed.isna() & series.notna()).to_numpy())
        if not len(bad):
            continue
        row = first + int(bad[0])
        raise ValueError(
            f"{path!r} column {column!r} changes type at row {row} (rows "
            f"{first}-{first + len(frame) - 1} of the data, header not counted): "
            f"the first chunk read numbers, this one holds text such as "
            f"{series.iloc[int(bad[0])]!r}. Clean the column, mark such values "
            f"missing (`na_values=[...]`), or read it as text "
            f"(`dtype={{{column!r}: str}}`)."
        )


class TextFileStream(Stream):
    """Texts and labels from a CSV/TSV or JSON-lines file, in chunks.

    Args:
        path: the file; `.jsonl`/`.ndjson`/`.json` are JSON lines, other
            names CSV (`.tsv`: tab-separated).
        text: the text column.
        label: the label column, or `None`.
        chunk_rows: rows per chunk.
    """

    def __init__(self, path, text="text", label="label", chunk_rows=CHUNK_ROWS):
        super().__init__(chunk_rows)
        self.path = check_file(path, expected="an existing CSV or JSON-lines file")
        self.name = self.path
        self.text, self.label = text, label
        self.has_labels = label is not None
        self.json = self.path.lower().endswith(JSON_LINES)
        self.sep = "\t" if self.path.lower().endswith(".tsv") else ","
        if not self.json:
            self.csv = CsvStream(self.path, chunk_rows=chunk_rows, sep=self.sep)
            self._check_columns(self.csv.columns)

    def _check_columns(self, columns):
        for arg, column in (("text", self.text), ("label", self.label)):
            if column is not None and column not in columns:
                raise ValueError(
                    f"`{arg}` must be a column of {self.path!r}."
                    f"{validation.did_you_mean(column, columns)} Received: "
                    f"{arg}={column!r}; columns are {list(columns)}"
                )

    def _frames(self):
        # pandas: imported on first use, keeps `import keras_recipes` light.
        import pandas as pd

        if not self.json:
            self.csv.chunk_rows = self.chunk_rows
            yield from self.csv.frames()
            return
        first = 0
        with utils.open_regular(self.path, "r", encoding="utf-8") as file:
            reader = pd.read_json(file, lines=True, chunksize=self.chunk_rows)
            while True:
                try:
                    frame = next(reader)
                except StopIteration:
                    break
                except ValueError as e:
                    raise ValueError(
                        f"{self.path!r} holds a line that is not JSON in rows "
                        f"{first}-{first + self.chunk_rows - 1} (a truncated "
                        f"last line?): {str(e)[:200]}"
                    ) from None
                if first == 0:
                    self._check_columns([str(c) for c in frame.columns])
                yield first, frame.rename(columns=str)
                first += len(frame)
        if first == 0:
            raise ValueError(
                f"`path` holds no JSON lines. Received: path={self.path!r}"
            )

    def _chunks(self):
        for first, frame in self._frames():
            missing = [c for c in (self.text, self.label) if c and c not in frame]
            if missing:
                raise ValueError(
                    f"{self.path!r} rows {first}-{first + len(frame) - 1} lack "
                    f"column(s) {missing}."
                )
            texts = frame[self.text]
            texts = texts.where(texts.notna(), "").astype(str).to_numpy(dtype=object)
            labels = None if self.label is None else frame[self.label].to_numpy()
            yield first, texts, labels


class TextFolderStream(Stream):
    """A class-per-subfolder folder of `.txt` files, read a chunk at a time."""

    def __init__(
        self,
        directory,
        paths,
        labels,
        class_names,
        encoding="utf-8",
        chunk_rows=TEXT_FILES_PER_CHUNK,
    ):
        super().__init__(chunk_rows)
        self.name = os.fspath(directory)
        self.paths = np.asarray(paths, dtype=object)
        self.labels = np.asarray(labels, dtype="int32")
        self.class_names = list(class_names)
        self.encoding = encoding

    def _chunks(self):
        for first in range(0, len(self.paths), self.chunk_rows):
            texts = []
            for path in self.paths[first : first + self.chunk_rows]:
                try:
                    with utils.open_regular(
                        path, "r", encoding=self.encoding, errors="replace"
                    ) as file:
                        texts.append(file.read())
                except OSError as error:
                    raise ValueError(
                        f"`directory` holds a text file that cannot be read: "
                        f"{os.path.relpath(path, self.name)} "
                        f"({error.strerror or error}). Received: "
                        f"directory={self.name!r}"
                    ) from None
            labels = self.labels[first : first + self.chunk_rows]
            yield first, np.asarray(texts, dtype=object), labels
