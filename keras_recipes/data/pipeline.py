"""One tf.data pipeline for every kind of input."""

import glob
import hashlib
import os

import keras
import numpy as np
import tensorflow as tf

from keras_recipes import validation
from keras_recipes.validation import num_samples

AUTOTUNE = tf.data.AUTOTUNE
# `make_dataset`'s parallel maps keep the input order (benchmarks compare).
DETERMINISTIC_ORDER = True

# The latest shuffle pass `make_dataset(first_pass=)` (`fit(initial_epoch=)`)
# can continue at.
MAX_FIRST_PASS = 100_000


class Data:
    """Training data plus what a factory can infer from it.

    Adapters (`kr.data.from_numpy`, `kr.data.image_folder`, ...) return a
    `Data`. It holds either in-memory samples `x` (numpy array, dict of
    arrays or array of file paths) with optional labels `y`, or a batched
    `tf.data.Dataset`, or a `source`: a file or folder streamed in chunks
    (`kr.data.csv(..., streaming=True)`, see `keras_recipes/data/streaming.py`).
    `loader` maps one element of `x` to a tensor inside tf.data (for
    example: decode an image file).

    Args:
        x: samples, or `None` when `dataset` is given.
        y: labels (raw: strings or integers), or `None`.
        dataset: a batched `tf.data.Dataset` yielding `(x, y)` or `x`.
        class_names: list of class names, when known.
        loader: optional `fn(x_element) -> tensor` run in tf.data.
        info: dict of inferred metadata (e.g. `{"image_shape": (8, 8, 1)}`).
        source: a `kr.data` stream (`keras_recipes.data.streaming.Stream`)
            read in chunks, or `None`.
    """

    def __init__(
        self,
        x=None,
        y=None,
        dataset=None,
        class_names=None,
        loader=None,
        info=None,
        source=None,
    ):
        if sum(v is not None for v in (x, dataset, source)) != 1:
            raise ValueError(
                "Data needs exactly one of `x`, `dataset` or `source`. "
                f"Received: x={type(x).__name__}, dataset={type(dataset).__name__}, "
                f"source={type(source).__name__}"
            )
        self.x = x
        self.y = y
        self.dataset = dataset
        self.class_names = None if class_names is None else list(class_names)
        self.loader = loader
        self.info = dict(info or {})
        self.source = source

    def __len__(self):
        if self.x is None:
            kind = "streamed" if self.source is not None else "tf.data-backed"
            raise TypeError(f"The length of a {kind} `Data` is unknown.")
        return num_samples(self.x)

    def __repr__(self):
        if self.source is not None:
            size = f"streamed from {self.source.name!r}"
        else:
            size = "tf.data" if self.x is None else f"{len(self)} samples"
        return f"<kr.data.Data {size} classes={self.class_names} info={self.info}>"

    def take(self, indices):
        """Returns a new `Data` holding only the samples at `indices`."""
        return Data(
            x=take(self.x, indices),
            y=None if self.y is None else take(self.y, indices),
            class_names=self.class_names,
            loader=self.loader,
            info=self.info,
        )


def cardinality(dataset):
    """Batches per pass of a `tf.data.Dataset`; `None` if unknown or infinite."""
    count = int(dataset.cardinality())
    return count if count >= 0 else None


def take(x, indices):
    """Indexes an array or a dict of column arrays."""
    if isinstance(x, dict):
        return {k: np.asarray(v)[indices] for k, v in x.items()}
    return np.asarray(x)[indices]


def predict_by_batches(predict_on_batch, x, batch_size, verbose="auto"):
    """`predict_on_batch` over consecutive slices of `x`, concatenated.

    What `kr.tasks.Task.predict` runs for in-memory inputs instead of Keras'
    predict loop (same numbers, less overhead per call). With
    `verbose="auto"` Keras' progress bar shows for more than one batch.
    """
    x = take(x, slice(None))  # lists to arrays once, not per batch
    count = num_samples(x)
    steps = -(-count // batch_size)
    if verbose == "auto":  # Keras' bar, but not for a single batch
        verbose = 1 if steps > 1 else 0
    bar = keras.utils.Progbar(steps, verbose=verbose, unit_name="step")
    outputs = []
    for step, start in enumerate(range(0, count, batch_size)):
        outputs.append(predict_on_batch(take(x, slice(start, start + batch_size))))
        if verbose:
            bar.update(step + 1)
    return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *outputs)


def split(data, validation_split, seed=None, stratify=True):
    """Splits in-memory `Data` into train and validation parts.

    The split is shuffled with `seed` and, when labels are given, stratified
    so every class appears on both sides where it can. With `seed=None` the
    shuffle's seed is drawn from numpy's global random state, which
    `kr.set_seed` (`np.random.seed`) sets: a seeded program splits the same
    way each run (a bare `np.random.default_rng(None)` would not).

    Streamed data (`data.source`) is split without reading it: each row goes
    to validation when a seeded hash of its index falls below
    `validation_split` (not stratified; the same rows for any chunk size).

    Returns:
        `(train_data, val_data)`.
    """
    validation.check_float(
        "validation_split",
        validation_split,
        minimum=0.0,
        maximum=1.0,
        include_max=False,
    )
    if data.source is not None:  # rows held out by a seeded hash of their index
        train, val = data.source.split(validation_split, seed)
        return (
            Data(source=train, class_names=data.class_names, info=data.info),
            Data(source=val, class_names=data.class_names, info=data.info),
        )
    if data.x is None:
        raise ValueError(
            "`validation_split` needs in-memory data (arrays, DataFrames, "
            "folders); a tf.data.Dataset cannot be split. Pass "
            "`validation_data=` instead. Received: x=tf.data.Dataset"
        )
    n = len(data)
    n_val = int(round(n * validation_split))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"`validation_split` leaves an empty side: {n} samples split "
            f"{n - n_val}/{n_val}. Received: validation_split={validation_split}"
        )
    if seed is None:
        seed = int(np.random.randint(2**31 - 1))
    rng = np.random.default_rng(seed)
    y = data.y
    if stratify and y is not None and np.ndim(y) == 1:
        y = np.asarray(y)
        val_idx = []
        for label in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == label))
            k = int(round(len(members) * validation_split))
            val_idx.extend(members[:k].tolist())
        val_idx = np.array(sorted(val_idx), dtype="int64")
        if len(val_idx) == 0 or len(val_idx) == n:
            val_idx = np.sort(rng.permutation(n)[:n_val])
    else:
        val_idx = np.sort(rng.permutation(n)[:n_val])
    mask = np.ones(n, dtype=bool)
    mask[val_idx] = False
    train_idx = np.flatnonzero(mask)
    return data.take(train_idx), data.take(val_idx)


def make_dataset(
    x,
    y=None,
    *,
    batch_size=32,
    shuffle=False,
    seed=None,
    loader=None,
    map_fn=None,
    cache=True,
    drop_remainder=False,
    sample_weight=None,
    cache_mapped=False,
    first_pass=0,
):
    """Builds a batched, prefetched `tf.data.Dataset` from in-memory samples.

    The order is: slices -> `loader` (parallel, per element) -> cache ->
    shuffle (seeded, reshuffled each epoch) -> batch -> `map_fn` (parallel,
    per batch) -> prefetch. With `cache_mapped=True`, `map_fn` runs before
    the cache instead (on batches, split back into samples), so only the
    first pass pays for it.

    The shuffle is seeded and reshuffles on every pass: each iterator opened
    on the dataset draws the next permutation of one sequence fixed by `seed`.
    `first_pass=k` starts that sequence at its k-th permutation, so a training
    run interrupted after k passes continues in the order it would have had
    (`Task.fit(initial_epoch=k)` relies on it).

    tf.data's autotuning is off for these datasets
    (`tf.data.Options().autotune.enabled = False`): the parallel maps run on
    as many threads as the machine has cores and the prefetch buffer sizes
    itself. With autotuning on, destroying the iterator Keras makes for each
    `fit`/`evaluate` call sometimes took 0.4-1.2 s after the last step (2-core
    CPU); in-epoch speed and file decoding were the same either way
    (`benchmarks/README.md`, Settled questions).

    Args:
        x: numpy array, dict of arrays, or array of file paths.
        y: optional labels (already encoded).
        batch_size: samples per batch.
        shuffle: whether to shuffle each epoch.
        seed: shuffle seed.
        loader: optional per-element map (e.g. decode an image file).
        map_fn: optional per-batch map, called as `map_fn(x)` or
            `map_fn(x, y)` to match the elements.
        cache: `True` caches the loaded elements in memory, `False` streams
            (loads them again each pass), a folder path caches them in files
            there (named by a hash of `x`, so the same samples reuse them in
            a later `fit` or process; one process at a time per folder).
        drop_remainder: drop the last incomplete batch.
        sample_weight: optional per-sample weights.
        cache_mapped: apply `map_fn` once, before the cache (needs `cache`).
            Only for a deterministic `map_fn` whose output for a sample does
            not depend on the other samples of its batch (fixed-length
            vectorization, say): later epochs see the first pass's output.
        first_pass: with `shuffle`, the index of the permutation the first
            iterator gets (0: the first one); later iterators get the
            following ones. At most `MAX_FIRST_PASS` (100 000).

    Returns:
        A `tf.data.Dataset`.

    Example:

    >>> import numpy as np
    >>> ds = make_dataset(np.zeros((10, 3)), np.arange(10), batch_size=4)
    >>> [int(xb.shape[0]) for xb, yb in ds]
    [4, 4, 2]

    Continuing a shuffled sequence at its third pass:

    >>> full = make_dataset(np.arange(6), shuffle=True, seed=1)
    >>> passes = [[int(v) for b in full for v in b] for _ in range(3)]
    >>> later = make_dataset(np.arange(6), shuffle=True, seed=1, first_pass=2)
    >>> [int(v) for b in later for v in b] == passes[2]
    True
    """
    validation.check_batch_size(batch_size)
    # Each skipped pass opens one iterator (~ms): bounded, so a typo such as
    # `initial_epoch=10**12` is an error instead of a hang.
    first_pass = validation.check_int(
        "first_pass", first_pass, minimum=0, maximum=MAX_FIRST_PASS
    )
    parts = [x]
    if y is not None:
        parts.append(y)
    if sample_weight is not None:
        parts.append(sample_weight)
    ds = tf.data.Dataset.from_tensor_slices(tuple(parts) if len(parts) > 1 else x)
    if loader is not None:
        ds = _map_loader(ds, loader, len(parts) > 1, num_samples(x))
    if cache_mapped and map_fn is not None and cache:
        ds = ds.batch(int(batch_size)).map(map_fn, num_parallel_calls=AUTOTUNE)
        # `unbatch` forgets the length, which Keras and `Task.fit` read for
        # the steps per epoch (progress bar, "auto" steps per execution); a
        # mirrored fit without it trained differently from one device.
        ds = ds.unbatch().apply(tf.data.experimental.assert_cardinality(num_samples(x)))
        map_fn = None
    if isinstance(cache, str | os.PathLike):
        ds = ds.cache(_cache_file(cache, x))
    elif cache:
        ds = ds.cache()
    if shuffle:
        n = num_samples(x)
        ds = ds.shuffle(
            min(max(n, 1), 50_000), seed=seed, reshuffle_each_iteration=True
        )
        for _ in range(first_pass):
            # Opening an iterator draws the next permutation's seeds from the
            # shuffle's seed generator (shared by every dataset built on this
            # one); nothing is read.
            iter(ds)
    ds = ds.batch(int(batch_size), drop_remainder=drop_remainder)
    if map_fn is not None:
        ds = ds.map(map_fn, num_parallel_calls=AUTOTUNE)
    options = tf.data.Options()
    # Batches leave the parallel maps in order, also for a shuffle seeded
    # only by `kr.set_seed` (TensorFlow's global seed): in completion order,
    # thread timing would reorder the batches of a seeded run (cost: within
    # noise, benchmarks/reproducibility.py).
    options.experimental_deterministic = DETERMINISTIC_ORDER
    options.autotune.enabled = False  # see the docstring: teardown stalls
    ds = ds.with_options(options)
    return ds.prefetch(AUTOTUNE)


def _map_loader(ds, loader, with_rest, count):
    """`ds.map(loader)` on the first component; tolerant with `on_error`."""
    on_error = getattr(loader, "on_error", None)
    if on_error is None:
        if with_rest:
            return ds.map(
                lambda a, *rest: (loader(a), *rest), num_parallel_calls=AUTOTUNE
            )
        return ds.map(loader, num_parallel_calls=AUTOTUNE)

    def one(*element):
        # A one-element dataset whose failure is dropped, then the fallback:
        # `take(1)` keeps the loaded element, else `on_error`'s (run only
        # then). tf.data has no try/except; this is one.
        def fallback(a, *rest):
            return (on_error(a), *rest) if with_rest else on_error(a)

        def load(a, *rest):
            return (loader(a), *rest) if with_rest else loader(a)

        single = tf.data.Dataset.from_tensors(element if with_rest else element[0])
        loaded = single.map(load).ignore_errors()
        return loaded.concatenate(single.map(fallback)).take(1)

    threads = max(1, os.cpu_count() or 1)
    ds = ds.interleave(
        one, cycle_length=threads, num_parallel_calls=threads, deterministic=True
    )
    # One element per input, always: the length stays known (Keras' steps).
    return ds.apply(tf.data.experimental.assert_cardinality(count))


def _cache_file(folder, x):
    """A cache file prefix in `folder` named by the samples `x` (paths)."""
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha1(np.asarray(x).tobytes()).hexdigest()[:16]
    prefix = os.path.join(folder, f"cache-{digest}")
    if not os.path.exists(prefix + ".index"):
        # A run killed mid-pass leaves its lock and partial files: TensorFlow
        # would refuse the prefix ("concurrent caching iterator") forever.
        for stale in glob.glob(glob.escape(prefix) + "*"):
            os.remove(stale)
    return prefix
