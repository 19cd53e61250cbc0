"""`TextPreprocessor`: raw strings -> token ids for `TextClassifier`.

One object owns the text side of the classifier: the `TextVectorization`
layer built from a fixed vocabulary (part of the model's graph, so a saved
model takes raw strings), the checks and conversion of raw text inputs, the
vectorization `fit` runs in the tf.data pipeline (`preprocess_batch`),
vocabulary adaptation for the factory (`adapt_vocabulary`) and the JSON
sidecar of an ONNX export (`onnx_sidecar`).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_recipes import validation
from keras_recipes.data.stream_pipeline import stream_errors
from keras_recipes.export.onnx import text_vectorization_sidecar

STANDARDIZE = (
    "lower_and_strip_punctuation",
    "lower_and_split_punctuation",
    "lower",
    "strip_punctuation",
)
# `TextVectorization`'s punctuation, as a regex.
PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'


@keras.saving.register_keras_serializable(package="keras_recipes")
def lower_and_split_punctuation(texts):
    """Lowercases and turns punctuation into spaces (`"t.co/x"` -> `"t co x"`).

    `"lower_and_strip_punctuation"` deletes punctuation, gluing the parts of
    a URL, an `@handle` or `"well-known"` into one rare token; splitting
    there keeps the parts as words (as scikit-learn's `TfidfVectorizer`).

    Example:

    >>> lower_and_split_punctuation(["Hi! https://t.co/Ab"]).numpy().tolist()
    [b'hi  https   t co ab']
    """
    return tf.strings.regex_replace(tf.strings.lower(texts), PUNCTUATION, " ")


def vectorizer_standardize(standardize):
    """The `standardize` value `TextVectorization` takes for a template option."""
    if standardize == "lower_and_split_punctuation":
        return lower_and_split_punctuation
    return standardize


SPLITS = ("whitespace", "character")
SPECIAL_TOKENS = ("", "[UNK]")  # padding (id 0) and out-of-vocabulary (id 1)


class TextPreprocessor:
    """Tokenizer of a `TextClassifier`: strings -> padded int token ids.

    `TextVectorization` (built from a fixed `vocabulary`, named
    `"vectorizer"`) turns each string into token ids, padded with 0 to the
    longest text of the batch and truncated to `sequence_length`; at least
    one (padding) column is kept.

    Args:
        vocabulary: list of unique tokens (strings), most frequent first,
            without the padding `""` and OOV `"[UNK]"` tokens (ids 0 and 1).
        sequence_length: maximum number of tokens kept per text.
        standardize: `"lower_and_strip_punctuation"`, `"lower"`,
            `"strip_punctuation"` or `None`, as in `TextVectorization`; or
            `"lower_and_split_punctuation"` (punctuation becomes spaces).
        split: `"whitespace"` (words) or `"character"`.
        ngrams: `None`, or an integer `n` to add all 1..n-grams as tokens.

    Example:

    >>> pre = TextPreprocessor(["good", "movie"], sequence_length=4)
    >>> pre.token_ids(["a good movie", ""]).tolist()
    [[1, 2, 3, 0], [0, 0, 0, 0]]
    """

    def __init__(
        self,
        vocabulary,
        sequence_length=128,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
    ):
        tokens = check_vocabulary(vocabulary)
        validation.check_size(
            "sequence_length", sequence_length, validation.MAX_SEQUENCE_LENGTH
        )
        check_text_options(standardize, split, ngrams)
        self.vectorizer = keras.layers.TextVectorization(
            standardize=vectorizer_standardize(standardize),
            split=split,
            ngrams=None if ngrams is None else int(ngrams),
            output_mode="int",
            vocabulary=tokens,
            name="vectorizer",
        )
        self.vocabulary_size = len(tokens) + len(SPECIAL_TOKENS)
        self.vocabulary = list(vocabulary)
        self.sequence_length = sequence_length
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams

    def __call__(self, texts):
        """Strings (a tensor, symbolic or not) -> `(batch, length)` token ids."""
        return fit_length(self.vectorizer(texts), int(self.sequence_length))

    def token_ids(self, texts):
        """Token ids of `texts` as a numpy array (see `TextClassifier.token_ids`)."""
        if isinstance(texts, str | bytes):
            texts = [texts]
        texts = check_texts("texts", self.frame_to_inputs(texts, "texts"))
        return keras.ops.convert_to_numpy(self(texts))

    def frame_to_inputs(self, x, name):
        """Raw text input (list, Series, one-column DataFrame) -> a text list."""
        if x is None:
            raise ValueError(f"`{name}` is required. Received: {name}=None")
        if isinstance(x, str | bytes):
            raise TypeError(
                f"`{name}` must be a list of strings, not a single string; wrap "
                f"it in a list. Received: {name}={validation._short(x)}"
            )
        if hasattr(x, "columns"):  # a DataFrame: accept one text column
            if len(x.columns) != 1:
                raise ValueError(
                    f"`{name}` must be a list/Series of strings or a DataFrame "
                    f"with one text column. Received: a DataFrame with columns "
                    f"{list(x.columns)}"
                )
            x = x.iloc[:, 0]
        if isinstance(x, dict):
            raise TypeError(
                f"`{name}` must be a list of strings. Received: a dict with keys "
                f"{list(x)[:5]}"
            )
        return x

    def preprocess_batch(self, x, y=None):
        """Vectorizes a batch of strings in tf.data (ids pass through)."""
        if is_text(x):
            if len(x.shape) == 2:
                x = x[:, 0]
            ids = self(x)
        else:
            ids = x
        return ids if y is None else (ids, y)

    def onnx_sidecar(self, class_names=None):
        """The JSON sidecar of an ONNX export (vocabulary, tokenization, classes).

        `TextVectorization` has no ONNX form: its settings are replayed in
        numpy by `keras_recipes.export.onnx_preprocess.text_tokens`. Texts
        are padded to `sequence_length` there.
        """
        vectorizer = self.vectorizer
        if callable(vectorizer_standardize(self.standardize)):
            # A callable cannot go to JSON: the sidecar names the mode, which
            # `onnx_preprocess.standardize_text` replays.
            vectorizer = keras.layers.TextVectorization(
                standardize=None,
                split=self.split,
                output_mode="int",
                vocabulary=self.vectorizer.get_vocabulary()[2:],
            )
        sidecar = text_vectorization_sidecar(
            vectorizer, input_name="text", output_name="token_ids"
        )
        sidecar["standardize"] = self.standardize
        sidecar["sequence_length"] = int(self.sequence_length)
        sidecar["class_names"] = class_names
        return sidecar

    @staticmethod
    def adapt_vocabulary(
        texts,
        max_tokens=20000,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        name="data",
    ):
        """Adapts a `TextVectorization` on `texts` and returns its vocabulary.

        Args:
            texts: training texts (list/array of strings).
            max_tokens: vocabulary size cap, padding and OOV tokens included.
            standardize: as in `TextClassifier`.
            split: as in `TextClassifier`.
            ngrams: as in `TextClassifier`.
            name: argument name used in error messages.

        Returns:
            The token list, most frequent first, without `""` and `"[UNK]"`.

        Example:

        >>> texts = ["the cat", "The dog!", "the cat sat"]
        >>> TextPreprocessor.adapt_vocabulary(texts)[:2]
        ['the', 'cat']
        """
        validation.check_int("max_tokens", max_tokens, minimum=3)
        check_text_options(standardize, split, ngrams)
        texts = check_texts(name, texts)
        dataset = tf.data.Dataset.from_tensor_slices(texts.astype(str)).batch(1024)
        example = next((t for t in texts if t), "")
        return _adapt(
            dataset, max_tokens, standardize, split, ngrams, name, len(texts), example
        )

    @staticmethod
    def adapt_vocabulary_stream(
        stream,
        max_tokens=20000,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        name="data",
    ):
        """`adapt_vocabulary` over a streamed source, in one pass.

        The texts of `stream` (a `kr.data` text stream) are read a chunk at a
        time and fed to `TextVectorization.adapt`, which counts tokens over
        all of them: the vocabulary equals the in-memory one (ties are
        broken by token, not by order). The labels of the same pass are
        collected too.

        Returns:
            `(vocabulary, labels)`: the token list and an array of the
            distinct labels (`None` for a stream without labels).
        """
        validation.check_int("max_tokens", max_tokens, minimum=3)
        check_text_options(standardize, split, ngrams)
        labels, count = set(), [0]

        def texts():
            for _, x, y in stream.pieces(with_labels=stream.has_labels):
                x = check_texts(name, x)
                count[0] += len(x)
                if y is not None:
                    labels.update(np.unique(np.asarray(y)).tolist())
                yield x.astype(str)

        dataset = tf.data.Dataset.from_generator(
            texts, output_signature=tf.TensorSpec((None,), tf.string)
        ).rebatch(1024)
        with stream_errors(stream):  # a chunk's own error, not TF's
            vocabulary = _adapt(
                dataset, max_tokens, standardize, split, ngrams, name, count, ""
            )
        found = np.asarray(sorted(labels)) if stream.has_labels else None
        return vocabulary, found


def _adapt(dataset, max_tokens, standardize, split, ngrams, name, count, example):
    adapter = keras.layers.TextVectorization(
        max_tokens=int(max_tokens),
        standardize=vectorizer_standardize(standardize),
        split=split,
        ngrams=None if ngrams is None else int(ngrams),
        output_mode="int",
    )
    adapter.adapt(dataset)
    vocabulary = [str(t) for t in adapter.get_vocabulary(include_special_tokens=False)]
    if not vocabulary:
        count = count[0] if isinstance(count, list) else count
        raise ValueError(
            f"`{name}` gives a vocabulary of size 2 after standardization "
            f"(standardize={standardize!r}, split={split!r}): only the padding "
            f"and OOV tokens, so there is nothing to learn from. A text "
            f"classifier needs at least one word. Received: {count} "
            f"text(s), e.g. {validation._short(example)}"
        )
    return vocabulary


def is_text(inputs):
    """Whether `inputs` hold strings (vs numeric token ids)."""
    dtype = getattr(inputs, "dtype", None)
    if dtype is None:  # a list of Python strings
        return True
    if isinstance(dtype, np.dtype):
        return dtype.kind in "OUS"
    return keras.backend.standardize_dtype(dtype) == "string"


def fit_length(ids, sequence_length):
    """Truncates to `sequence_length` tokens and keeps at least one column.

    `TextVectorization` pads to the longest text of the batch, which is 0
    columns for a batch of empty strings: one padding column is added first
    so every batch reaches the RNN with at least one (masked) step.
    """
    ids = ops.pad(ids, [[0, 0], [0, 1]])
    return ids[:, :sequence_length]


def check_vocabulary(vocabulary):
    """Checks a vocabulary (unique strings, no special tokens); returns its tokens."""
    if isinstance(vocabulary, str) or not isinstance(
        vocabulary, list | tuple | np.ndarray
    ):
        raise TypeError(
            "`vocabulary` must be a list of token strings. Received: "
            f"vocabulary of type {type(vocabulary).__name__}"
        )
    tokens = list(vocabulary)
    validation.check_size(
        "len(vocabulary)", len(tokens), validation.MAX_VOCABULARY, minimum=0
    )
    bad = [t for t in tokens if not isinstance(t, str)]
    if bad:
        raise TypeError(
            "`vocabulary` must hold only strings. Received: "
            f"{validation._short(bad[0])} of type {type(bad[0]).__name__}"
        )
    specials = [t for t in tokens if t in SPECIAL_TOKENS]
    if specials:
        raise ValueError(
            "`vocabulary` must not hold the padding '' or OOV '[UNK]' tokens "
            f"(they are ids 0 and 1 already). Received: {specials[:2]}"
        )
    if len(set(tokens)) != len(tokens):
        seen, dupes = set(), []
        for t in tokens:
            if t in seen:
                dupes.append(t)
            seen.add(t)
        raise ValueError(
            f"`vocabulary` must hold unique tokens. Received duplicates: {dupes[:5]}"
        )
    if not tokens:
        raise ValueError(
            "`vocabulary` must hold at least 1 token besides padding and OOV. "
            "Received: vocabulary=[]"
        )
    return [str(t) for t in tokens]


def check_text_options(standardize, split, ngrams):
    """Checks the `TextVectorization` options a `TextClassifier` supports."""
    if standardize is not None:
        validation.check_choice("standardize", standardize, STANDARDIZE)
    validation.check_choice("split", split, SPLITS)
    if ngrams is not None:
        validation.check_int("ngrams", ngrams, minimum=1, maximum=5)


def check_texts(name, texts):
    """Validates a 1D collection of strings; returns an object array of `str`.

    Empty strings are allowed (they are predicted like any text). Bytes are
    decoded as UTF-8; any other item (numbers, `None`, NaN) raises a
    `TypeError` naming the first offender.
    """
    if isinstance(texts, str | bytes):
        raise TypeError(
            f"`{name}` must be a list of strings, not a single string; wrap it "
            f"in a list. Received: {name}={validation._short(texts)}"
        )
    if hasattr(texts, "to_numpy"):
        texts = texts.to_numpy()
    if isinstance(texts, np.ndarray):
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if texts.ndim != 1:
            raise ValueError(
                f"`{name}` must be a 1D list of strings (one per sample). "
                f"Received: {name} with shape {texts.shape}"
            )
        items = texts.tolist()
    else:
        try:
            items = list(texts)
        except TypeError:
            raise TypeError(
                f"`{name}` must be a list of strings. Received: {name} of type "
                f"{type(texts).__name__}"
            ) from None
    if not items:
        raise ValueError(
            f"`{name}` is empty: expected at least one text. Received: {name}=[]"
        )
    out = np.empty(len(items), dtype=object)
    bad = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out[i] = item
        elif isinstance(item, bytes):
            out[i] = item.decode("utf-8", errors="replace")
        else:
            bad.append(i)
    if bad:
        first = items[bad[0]]
        raise TypeError(
            f"`{name}` must hold only strings; found {len(bad)} non-string "
            f"item(s), the first at index {bad[0]}. Received: "
            f"{name}[{bad[0]}]={validation._short(first)} of type "
            f"{type(first).__name__}"
        )
    return out
