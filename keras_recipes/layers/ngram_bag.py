"""`NgramBag`: a linear bag of unigrams and known bigrams over token ids."""

import keras
import numpy as np
from keras import ops

from keras_recipes import validation

_PRIME = 2_147_483_647  # 2**31 - 1: keys are reduced mod it before hashing
_HASHES = ((1_000_003, 12_345), (998_244_353, 67_891))  # two (a, b) pairs


def bigram_key(first, second, vocabulary_size):
    """The int key of the token-id pair `(first, second)`."""
    return first * vocabulary_size + second


def _slot(key, table_size, which):
    a, b = _HASHES[which]
    return ((key % _PRIME) * a + b) % _PRIME % table_size


def build_table(keys, max_tries=8):
    """Cuckoo hash table of `keys` (two slots per key): an int64 array, -1 empty.

    Every key ends up in one of its two slots, so a lookup reads two slots.
    The table grows (x2) until all keys fit.
    """
    keys = [int(k) for k in keys]
    size = 1 << max(4, int(np.ceil(np.log2(max(1, len(keys)) * 2.2))))
    for _ in range(max_tries):
        table = np.full(size, -1, dtype="int64")
        if all(_insert(table, key, size) for key in keys):
            return table
        size *= 2
    raise ValueError(f"Could not place {len(keys)} bigram keys in a hash table.")


def _insert(table, key, size, max_kicks=500):
    for which in (0, 1):
        slot = _slot(key, size, which)
        if table[slot] in (-1, key):
            table[slot] = key
            return True
    slot = _slot(key, size, 0)
    for _ in range(max_kicks):
        # Evict the slot's key and move it to its other slot.
        table[slot], key = key, int(table[slot])
        first = _slot(key, size, 0)
        slot = _slot(key, size, 1) if first == slot else first
        if table[slot] == -1:
            table[slot] = key
            return True
    return False


@keras.saving.register_keras_serializable(package="keras_recipes")
class NgramBag(keras.layers.Layer):
    """Linear scores of the bag of unigrams and known bigrams of token ids.

    The "wide" half of a wide & deep text model (a fastText / TF-IDF +
    logistic regression analogue): each unigram id `>= 2` (not padding, not
    out-of-vocabulary) and each pair of adjacent ids that is one of the
    `bigrams` adapted from the training texts gets a learned vector of
    `units` scores; the output is their sum divided by the square root of
    their count (`(batch, time) -> (batch, units)`). Weights start at zero,
    so a feature never seen in training adds nothing. The bigram lookup is a
    two-slot (cuckoo) hash table of exact keys, built in `__init__` from
    `bigrams`: integer ops and gathers only, so the layer converts to ONNX.

    `scale` multiplies the output: Adam moves each weight by about the
    learning rate per step, and a feature seen once per epoch needs a larger
    step than the deep path's weights; `scale=s` is a learning-rate
    multiplier of `s` for this layer.

    Args:
        vocabulary_size: number of token ids (padding and OOV included).
        units: output width (the number of classes for a logits path).
        bigrams: list of `[first_id, second_id]` pairs (ids `>= 2`).
        scale: output multiplier (learning-rate multiplier of the layer).
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Example:

    >>> import numpy as np
    >>> layer = NgramBag(vocabulary_size=10, units=3, bigrams=[[2, 3]])
    >>> tuple(layer(np.array([[2, 3, 4, 0]])).shape)
    (1, 3)
    """

    def __init__(self, vocabulary_size, units, bigrams=(), scale=1.0, **kwargs):
        super().__init__(**kwargs)
        validation.check_int(
            "vocabulary_size",
            vocabulary_size,
            minimum=3,
            maximum=validation.MAX_VOCABULARY + 2,
        )
        validation.check_size("units", units, validation.MAX_UNITS)
        validation.check_float("scale", scale, minimum=0.0)
        pairs = np.asarray(list(bigrams), dtype="int64").reshape(-1, 2)
        if pairs.size and (pairs.min() < 2 or pairs.max() >= vocabulary_size):
            raise ValueError(
                "`bigrams` must hold pairs of token ids in [2, vocabulary_size). "
                f"Received: ids from {pairs.min()} to {pairs.max()} with "
                f"vocabulary_size={vocabulary_size}"
            )
        self.vocabulary_size = int(vocabulary_size)
        self.units = int(units)
        self.bigrams = pairs.tolist()
        self.scale = float(scale)
        keys = bigram_key(pairs[:, 0], pairs[:, 1], self.vocabulary_size)
        self._table = build_table(keys)

    def build(self, input_shape):
        self.unigram_weights = self.add_weight(
            name="unigram_weights",
            shape=(self.vocabulary_size, self.units),
            initializer="zeros",
        )
        self.bigram_weights = self.add_weight(
            name="bigram_weights",
            shape=(len(self._table) + 1, self.units),  # last row: "no bigram"
            initializer="zeros",
        )
        self.table = self.add_weight(
            name="table",
            shape=self._table.shape,
            dtype="int64",
            initializer=keras.initializers.Constant(self._table),
            trainable=False,
        )

    def call(self, inputs):
        ids = ops.cast(inputs, "int64")
        size = len(self._table)
        uni_valid = ops.cast(ids >= 2, self.compute_dtype)
        first, second = ids[:, :-1], ids[:, 1:]
        key = bigram_key(first, second, self.vocabulary_size)
        slots = [_slot(key, size, w) for w in (0, 1)]
        hits = [ops.equal(ops.take(self.table, s, axis=0), key) for s in slots]
        pair_ok = ops.logical_and(first >= 2, second >= 2)
        hit0 = ops.logical_and(hits[0], pair_ok)
        hit1 = ops.logical_and(ops.logical_and(hits[1], pair_ok), ~hit0)
        row = ops.where(hit0, slots[0], ops.where(hit1, slots[1], size))
        bi_valid = ops.cast(ops.logical_or(hit0, hit1), self.compute_dtype)
        uni = ops.take(self.unigram_weights, ids, axis=0) * uni_valid[..., None]
        bi = ops.take(self.bigram_weights, row, axis=0) * bi_valid[..., None]
        total = ops.sum(uni, axis=1) + ops.sum(bi, axis=1)
        count = ops.sum(uni_valid, axis=1) + ops.sum(bi_valid, axis=1)
        return total * (self.scale / ops.sqrt(ops.maximum(count, 1.0)))[:, None]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "units": self.units,
                "bigrams": self.bigrams,
                "scale": self.scale,
            }
        )
        return config
