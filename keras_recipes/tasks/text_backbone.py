"""The text templates' backbone: token ids -> features, and the wide path.

Shared by every head over texts (the classifier's softmax, a regressor's or
a multi-label head): `deep_features` is the recurrent path (token ids ->
pooled features), `wide_scores` the bag-of-n-grams path (token ids -> one
score per output, `kr.layers.NgramBag`), and `adapt_bigrams` picks the
bigrams that path knows from the training texts. A head sums
`Dense(k)(deep_features(...))` and `wide_scores(..., k)` before its
activation ("wide & deep"; `architecture="wide_deep"`), or uses the deep
path alone (`architecture="lstm"`, the template before issue #39).
"""

import keras
import numpy as np

from keras_recipes.layers.attention_pooling import AttentionPooling
from keras_recipes.layers.ngram_bag import NgramBag

ARCHITECTURES = ("wide_deep", "lstm")
RNNS = ("lstm", "gru")
POOLINGS = ("attention", "last")


def deep_features(
    token_ids,
    vocab_size,
    embedding_dim,
    rnn,
    bidirectional,
    rnn_layers,
    units,
    pooling,
    dropout,
    embedding_dropout,
    recurrent_dropout,
):
    """Token ids `(batch, time)` -> pooled recurrent features `(batch, f)`.

    `Embedding(mask_zero=True)` -> (bidirectional) LSTM/GRU stack -> masked
    attention pooling or last state -> dropout. Layer names are those of
    the template's first version, so older saved weights still load.
    """
    rnn_class = keras.layers.LSTM if rnn == "lstm" else keras.layers.GRU
    x = keras.layers.Embedding(
        vocab_size, embedding_dim, mask_zero=True, name="embedding"
    )(token_ids)
    if embedding_dropout:
        x = keras.layers.Dropout(embedding_dropout, name="embedding_dropout")(x)
    for i in range(rnn_layers):
        last = i == rnn_layers - 1
        layer = rnn_class(
            units,
            return_sequences=not (last and pooling == "last"),
            recurrent_dropout=recurrent_dropout,
            name=f"{rnn}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x)
        if not last and dropout:
            x = keras.layers.Dropout(dropout, name=f"rnn_dropout_{i}")(x)
    if pooling == "attention":
        x = AttentionPooling(name="attention_pooling")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    return x


def wide_scores(token_ids, vocab_size, outputs, bigrams, scale):
    """Token ids -> `(batch, outputs)` linear bag-of-n-grams scores (float32)."""
    return NgramBag(
        vocab_size,
        outputs,
        bigrams=bigrams,
        scale=scale,
        dtype="float32",
        name="ngram_bag",
    )(token_ids)


def bigram_ids(bigrams, vocabulary):
    """`"first second"` strings -> `[first_id, second_id]` pairs (known words).

    Ids are those of `TextVectorization` over `vocabulary` (0 padding, 1
    OOV); a bigram with an unknown word is dropped.
    """
    index = {token: i + 2 for i, token in enumerate(vocabulary)}
    pairs = []
    for bigram in bigrams:
        parts = bigram.split(" ")
        if len(parts) == 2 and parts[0] in index and parts[1] in index:
            pairs.append([index[parts[0]], index[parts[1]]])
    return pairs


def adapt_bigrams(token_ids, vocabulary, max_bigrams, min_count=1):
    """The most frequent adjacent pairs of known tokens, as `"a b"` strings.

    Args:
        token_ids: int array `(n, time)` of the training texts (0 padding,
            1 OOV), as the model sees them.
        vocabulary: the token list (id `i + 2` is `vocabulary[i]`).
        max_bigrams: how many to keep, most frequent first.
        min_count: the fewest occurrences a kept bigram has.

    Returns:
        A list of `"first second"` strings.
    """
    ids = np.asarray(token_ids, dtype="int64")
    if ids.shape[1] < 2 or max_bigrams == 0:
        return []
    first, second = ids[:, :-1].ravel(), ids[:, 1:].ravel()
    ok = (first >= 2) & (second >= 2)
    size = len(vocabulary) + 2
    keys, counts = np.unique(first[ok] * size + second[ok], return_counts=True)
    keep = counts >= min_count
    keys, counts = keys[keep], counts[keep]
    order = np.lexsort((keys, -counts))[: int(max_bigrams)]
    return [
        f"{vocabulary[k // size - 2]} {vocabulary[k % size - 2]}" for k in keys[order]
    ]


def check_bigrams(bigrams):
    """Checks `bigrams` (`None` or a list of `"first second"` strings)."""
    if bigrams is None:
        return []
    if isinstance(bigrams, str) or not isinstance(bigrams, list | tuple | np.ndarray):
        raise TypeError(
            "`bigrams` must be a list of 'first second' strings or None. "
            f"Received: bigrams of type {type(bigrams).__name__}"
        )
    bad = [b for b in bigrams if not isinstance(b, str)]
    if bad:
        raise TypeError(
            "`bigrams` must hold only 'first second' strings. Received: "
            f"{bad[0]!r} of type {type(bad[0]).__name__}"
        )
    return [str(b) for b in bigrams]
