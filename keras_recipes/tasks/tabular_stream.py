"""The tabular factory's one pass over a CSV streamed in chunks.

`kr.tabular_classifier(data=...)` on a streamed CSV (`kr.data.csv(path,
streaming=True)`, or a file larger than the memory budget) never holds the
file: it reads it once, a chunk at a time, and computes what
`infer_features` computes from an in-memory frame:

- column kinds: from the first chunk (`chunk_rows` rows, 100 000 by
  default), with `infer_features`' rules; a later chunk whose values do
  not fit that kind (text in a numeric column) raises a `ValueError`
  naming the file and rows;
- numeric and boolean columns: mean and variance over every row, merged
  chunk by chunk (Chan et al.'s parallel update of Welford's sums); the
  missing-value indicator from every row; the fill value (median) from a
  uniform reservoir sample of 100 000 values per column, so exact for
  columns with at most that many values;
- categorical columns: value counts over every row; a counter holds at most
  `20 * max_categories` distinct values, and when it grows past that the
  rarest half is pruned (so vocabularies are exact unless a column has
  more distinct values than that);
- the labels: their distinct values over every row (at most 10 000).

On a file that fits one chunk, the specs equal the in-memory ones.
"""

import os
import warnings

import numpy as np

from keras_recipes import validation
from keras_recipes.data import streaming
from keras_recipes.data.pipeline import Data
from keras_recipes.tasks.tabular_columns import BOOLEAN
from keras_recipes.tasks.tabular_columns import INTEGER
from keras_recipes.tasks.tabular_columns import NUMERIC
from keras_recipes.tasks.tabular_columns import category_texts
from keras_recipes.tasks.tabular_columns import infer_features
from keras_recipes.tasks.tabular_columns import to_boolean
from keras_recipes.tasks.tabular_columns import to_float

RESERVOIR_SIZE = 100_000
COUNTER_FACTOR = 20
MAX_LABELS = 10_000


class _Moments:
    """Streaming mean/variance/missing/median of a numeric or boolean column."""

    def __init__(self, spec, seed):
        self.spec = spec
        self.n, self.mean, self.m2 = 0, 0.0, 0.0
        self.any_missing = False
        self.reservoir = np.empty(RESERVOIR_SIZE)
        self.filled = 0
        self.seen = 0
        self.rng = np.random.default_rng(seed)

    def update(self, name, values):
        column = self.spec["name"]
        if self.spec["kind"] == NUMERIC:
            converted = to_float(name, column, values)
        else:
            converted = to_boolean(name, column, values)
        missing = np.isnan(converted)
        self.any_missing |= bool(missing.any())
        present = converted[~missing]
        count = len(present)
        if not count:
            return
        mean = float(np.mean(present))
        m2 = float(np.sum((present - mean) ** 2))
        if self.n == 0:
            self.n, self.mean, self.m2 = count, mean, m2
        else:
            total = self.n + count
            delta = mean - self.mean
            self.mean += delta * count / total
            self.m2 += m2 + delta * delta * self.n * count / total
            self.n = total
        self._sample(present)

    def _sample(self, values):
        """Algorithm R, vectorized: a uniform sample of every value seen."""
        take = min(RESERVOIR_SIZE - self.filled, len(values))
        self.reservoir[self.filled : self.filled + take] = values[:take]
        self.filled += take
        rest = values[take:]
        if len(rest):
            seen = self.seen + take + np.arange(len(rest))
            slots = self.rng.integers(0, seen + 1)
            kept = slots < RESERVOIR_SIZE
            self.reservoir[slots[kept]] = rest[kept]
        self.seen += len(values)

    def result(self):
        variance = self.m2 / self.n
        return {
            "name": self.spec["name"],
            "kind": self.spec["kind"],
            "mean": float(self.mean),
            "variance": float(variance) if variance > 0 else 1.0,
            "fill_value": float(np.median(self.reservoir[: self.filled])),
            "missing_indicator": self.any_missing,
        }


class _Counts:
    """Streaming value counts of a categorical column, capped in size."""

    def __init__(self, spec, max_categories):
        self.spec = spec
        self.max_categories = max_categories
        self.counts = {}
        self.pruned = False

    def update(self, name, values):
        # pandas: imported on first use, keeps `import keras_recipes` light.
        import pandas as pd

        if self.spec["kind"] == INTEGER:
            floats = to_float(name, self.spec["name"], values, "integer-categorical")
            whole = floats[~np.isnan(floats)]
            whole = whole[np.mod(whole, 1) == 0].astype("int64")
            counted = pd.Series(whole).value_counts()
        else:
            counted = pd.Series(category_texts(values)).value_counts()
        counts = self.counts
        for value, count in counted.items():
            counts[value] = counts.get(value, 0) + int(count)
        cap = COUNTER_FACTOR * self.max_categories
        if len(counts) > cap:
            kept = sorted(counts.items(), key=lambda kv: -kv[1])[: cap // 2]
            self.counts = dict(kept)
            self.pruned = True

    def result(self):
        ordered = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        cast = int if self.spec["kind"] == INTEGER else str
        vocab = [cast(v) for v, _ in ordered[: self.max_categories]]
        spec = self.spec
        return {"name": spec["name"], "kind": spec["kind"], "vocabulary": vocab}


def scan_stream(
    stream,
    numeric=None,
    categorical=None,
    ignore=None,
    max_categories=1000,
    seed=0,
):
    """One pass over a labelled stream: column specs and the distinct labels.

    Args:
        stream: a `kr.data` CSV stream with a `target`.
        numeric: column names forced to be numeric.
        categorical: column names forced to be categorical.
        ignore: column names to leave out.
        max_categories: largest vocabulary kept per categorical column.
        seed: seed of the median's reservoir sample.

    Returns:
        `(features, ignored, labels)`: the specs, as `infer_features` gives
        them, the ignored columns and an array of the distinct labels.
    """
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    validation.check_int("max_categories", max_categories, minimum=1)
    accumulators, ignored, labels = None, [], set()
    for first, frame, y in stream.pieces(with_labels=True):
        last = first + len(frame) - 1
        if accumulators is None:
            # Kinds (and the columns ignored) from the first chunk.
            features, ignored = infer_features(
                frame,
                numeric=numeric,
                categorical=categorical,
                ignore=ignore,
                max_categories=max_categories,
            )
            accumulators = [
                _Moments(spec, seed)
                if spec["kind"] in (NUMERIC, BOOLEAN)
                else _Counts(spec, max_categories)
                for spec in features
            ]
        for accumulator in accumulators:
            column = accumulator.spec["name"]
            if column not in frame.columns:
                raise ValueError(
                    f"{stream.name!r} rows {first}-{last} lack column {column!r}."
                )
            try:
                accumulator.update("data", frame[column].to_numpy())
            except (ValueError, TypeError) as error:
                raise type(error)(
                    f"{error} (in {stream.name!r}, rows {first}-{last} of the "
                    "data; column kinds come from the first chunk)"
                ) from None
        labels.update(pd.unique(np.asarray(y, dtype=object)).tolist())
        if len(labels) > MAX_LABELS:
            raise ValueError(
                f"`target` column {stream.target!r} of {stream.name!r} holds more "
                f"than {MAX_LABELS} distinct values by row {last}: not class "
                "labels."
            )
    if accumulators is None:
        raise ValueError(
            f"`data` holds no labelled rows: every label of {stream.name!r} is "
            f"missing. Received: target={stream.target!r}"
        )
    if stream.dropped_labels:
        warnings.warn(
            f"Dropping {stream.dropped_labels} row(s) of {stream.name!r} whose "
            f"label (`{stream.target}`) is missing.",
            stacklevel=3,
        )
    features = [accumulator.result() for accumulator in accumulators]
    return features, ignored, np.asarray(sorted(labels))


def training_stream(data, target, required=True):
    """The CSV stream `data` names, with labels from `target`, or `None`.

    A `kr.data.Data` with a CSV `source`, or a CSV path larger than the
    memory budget, streams; anything else is read in memory. Without
    `required`, a file that lacks the `target` column streams unlabelled
    (to predict on).
    """
    source = None
    if isinstance(data, Data) and isinstance(data.source, streaming.CsvStream):
        source = data.source
    elif isinstance(data, str | os.PathLike):
        if streaming.wants_stream(streaming.file_size(data)):
            source = streaming.CsvStream(data)
    if source is None:
        return None
    target = target or source.target
    if not required and target not in source.columns:
        return source.with_target(None)
    if target is None:
        raise ValueError(
            "`target` is required: name the label column of `data`. Received: "
            f"target=None; columns are {source.columns}"
        )
    if target != source.target:
        source = source.with_target(target)
    return source
