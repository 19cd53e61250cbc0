"""The tf.data side of streamed data: batches of converted chunks.

`stream_dataset` turns a `kr.data` stream (`keras_recipes/data/streaming.py`)
into the batched `tf.data.Dataset` that `fit`, `evaluate` and `predict` read;
`stream_errors` raises a chunk's own error instead of TensorFlow's wrapper.
"""

import contextlib
import itertools
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_recipes.data.streaming import Stream
from keras_recipes.data.streaming import _length


def _spec(array):
    array = np.asarray(array)
    dtype = tf.string if array.dtype.kind in "OUS" else tf.as_dtype(array.dtype)
    return tf.TensorSpec((None, *array.shape[1:]), dtype)


def _to_tensors(x):
    return keras.tree.map_structure(
        lambda a: (
            np.asarray(a).astype(bytes)
            if np.asarray(a).dtype.kind in "OU"
            else np.asarray(a)
        ),
        x,
    )


def stream_dataset(
    stream, convert, batch_size, shuffle=False, seed=None, with_labels=True
):
    """A batched `tf.data.Dataset` over a stream, converting each chunk.

    Each chunk goes through `convert(inputs, labels)` (the task's own
    checks and conversion, the in-memory path's), then is shuffled within
    the chunk (with `shuffle`: a seeded permutation per pass and chunk),
    and cut into batches of `batch_size` (`rebatch`, across chunks). Memory
    holds a few chunks. A `ValueError`/`TypeError` while reading or
    converting names the source and rows, and is kept in `stream.error` so
    the task raises it instead of TensorFlow's wrapped error.

    Args:
        stream: a `Stream`.
        convert: `fn(inputs, labels) -> (x, y)` of numpy arrays (`x` an
            array or a dict of arrays; `y` `None` without labels).
        batch_size: rows per batch.
        shuffle: shuffle rows within each chunk, differently each pass.
        seed: shuffle seed (`None`: drawn from numpy's global state).
        with_labels: yield `(x, y)` batches, else `x`.

    Returns:
        A `tf.data.Dataset` of unknown length.
    """
    if shuffle and seed is None:
        seed = int(np.random.randint(2**31 - 1))
    passes = itertools.count()

    def converted():
        pass_index = next(passes)
        stream.error = None
        try:
            for first, x, y in stream.pieces(with_labels):
                try:
                    x, y = convert(x, y)
                except (ValueError, TypeError) as error:
                    raise type(error)(
                        f"{error} (in {stream.name!r}, rows {first}-"
                        f"{first + _length(x) - 1} of the data)"
                    ) from None
                if shuffle:
                    rng = np.random.default_rng([seed, pass_index, first])
                    order = rng.permutation(_rows(x))
                    x = keras.tree.map_structure(
                        lambda a, order=order: np.asarray(a)[order], x
                    )
                    y = None if y is None else np.asarray(y)[order]
                yield (x, y)
        except Exception as error:  # kept: raised by the task, not by TF
            stream.error = error
            raise

    def generate():
        for x, y in converted():
            x = _to_tensors(x)
            yield (x, np.asarray(y)) if with_labels else x

    peek = converted()
    first_x, first_y = next(peek)  # one chunk, for the element signature
    peek.close()
    signature = keras.tree.map_structure(_spec, first_x)
    if with_labels:
        signature = (signature, _spec(first_y))
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    ds = ds.prefetch(1).rebatch(int(batch_size))
    return ds.prefetch(tf.data.AUTOTUNE)


def _rows(x):
    return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


@contextlib.contextmanager
def stream_errors(*sources):
    """Raises a stream's own error instead of TensorFlow's wrapped one.

    A `ValueError` raised while reading a chunk mid-epoch reaches Keras as a
    `tf.errors.OpError` with a Python traceback in its text; this raises the
    original exception (file and rows named) in its place. `sources` are
    `Stream`s or `kr.data.Data` (others are skipped). For streamed
    data it also hides Keras' "Your input ran out of data" warning, which
    Keras gives at the end of every pass over data of unknown length.
    """
    sources = [getattr(s, "source", s) for s in sources]
    sources = [s for s in sources if isinstance(s, Stream)]
    with warnings.catch_warnings():
        if sources:
            warnings.filterwarnings(
                "ignore", message="Your input ran out of data", category=UserWarning
            )
        try:
            yield
        except tf.errors.OpError:
            for source in sources:
                if source.error is not None:
                    raise source.error from None
            raise
