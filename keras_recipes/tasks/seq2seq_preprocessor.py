"""`Seq2SeqPreprocessor`: sentences <-> token ids for `Seq2SeqTransformer`.

One object owns the raw-string side of the translator: the two vocabularies
and their lookup tables, the tokenization rule (`"character"` or
`"whitespace"`), the fixed source and decoder lengths, the checks of raw
sentences, vocabulary building from data (`adapt_config`, used by
`kr.seq2seq_transformer`), the tf.data vectorization used by `fit`
(`preprocess_batch`), detokenization, and the tokenizer description written
next to an ONNX export (`onnx_sidecar`).
"""

import collections
import math
import warnings

import numpy as np
import tensorflow as tf

from keras_recipes import validation
from keras_recipes.samplers import NEG_INF

# Token ids shared by both sides: 0 is padding, then the reserved tokens, then
# the vocabulary (so a vocabulary of n tokens gives n + 4 ids).
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3
RESERVED_TOKENS = ("", "[UNK]", "[START]", "[END]")
NEVER_GENERATED = (PAD_ID, UNK_ID, START_ID)
SPLITS = ("character", "whitespace")


class Seq2SeqPreprocessor:
    """Tokenizer and vectorizer of a `Seq2SeqTransformer`.

    Holds untracked `tf.lookup` tables (the vocabularies are the model's
    constructor arguments, so they are saved in its config, not as state).

    Args:
        source_vocabulary: list of source tokens, or `None` (token ids only).
        target_vocabulary: list of target tokens, or `None`.
        source_vocabulary_size: number of source ids without a vocabulary.
        target_vocabulary_size: number of target ids without a vocabulary.
        sequence_length: maximum source length in tokens.
        target_sequence_length: decoder length (target tokens + 1); defaults
            to `sequence_length`.
        source_split: `"character"` or `"whitespace"`.
        target_split: `"character"` or `"whitespace"`.

    Example:

    >>> pre = Seq2SeqPreprocessor(list("ab"), list("xy"), sequence_length=4)
    >>> pre.vectorize_sources(["abc"]).numpy().tolist()
    [[4, 5, 1, 0]]
    >>> pre.detokenize([[START_ID, 4, 5, END_ID, 0]])
    ['xy']
    """

    def __init__(
        self,
        source_vocabulary=None,
        target_vocabulary=None,
        source_vocabulary_size=None,
        target_vocabulary_size=None,
        sequence_length=32,
        target_sequence_length=None,
        source_split="character",
        target_split="character",
    ):
        validation.check_choice("source_split", source_split, SPLITS)
        validation.check_choice("target_split", target_split, SPLITS)
        self.source_size = _check_vocabulary(
            "source_vocabulary", source_vocabulary, source_vocabulary_size
        )
        self.target_size = _check_vocabulary(
            "target_vocabulary", target_vocabulary, target_vocabulary_size
        )
        validation.check_size(
            "sequence_length", sequence_length, validation.MAX_SEQUENCE_LENGTH
        )
        target_length = sequence_length
        if target_sequence_length is not None:
            target_length = target_sequence_length
        validation.check_size(
            "target_sequence_length",
            target_length,
            validation.MAX_SEQUENCE_LENGTH,
            minimum=2,
        )
        self.source_vocabulary = _as_list(source_vocabulary)
        self.target_vocabulary = _as_list(target_vocabulary)
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.sequence_length = sequence_length
        self.target_sequence_length = target_sequence_length
        self.target_length = int(target_length)
        self.source_split = source_split
        self.target_split = target_split
        self.tables = {}
        for side in ("source", "target"):
            vocabulary = getattr(self, f"{side}_vocabulary")
            if vocabulary is not None:
                self.tables[side] = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(
                        tf.constant(vocabulary, dtype=tf.string),
                        tf.range(4, len(vocabulary) + 4, dtype=tf.int32),
                    ),
                    default_value=UNK_ID,
                )
        self.target_tokens = None
        if self.target_vocabulary is not None:
            self.target_tokens = list(RESERVED_TOKENS) + self.target_vocabulary

    def get_config(self):
        """The constructor arguments, as given (a model's config holds them)."""
        return {
            "source_vocabulary": self.source_vocabulary,
            "target_vocabulary": self.target_vocabulary,
            "source_vocabulary_size": self.source_vocabulary_size,
            "target_vocabulary_size": self.target_vocabulary_size,
            "sequence_length": self.sequence_length,
            "target_sequence_length": self.target_sequence_length,
            "source_split": self.source_split,
            "target_split": self.target_split,
        }

    @staticmethod
    def adapt_config(
        data=None,
        source_vocabulary=None,
        target_vocabulary=None,
        sequence_length=None,
        target_sequence_length=None,
        source_split="character",
        target_split="character",
        max_vocabulary_size=20000,
    ):
        """The preprocessing arguments of a model for `data` (the factory's step).

        Vocabularies not given are built from `data` (most frequent tokens
        first, `max_vocabulary_size` ids at most, the 4 reserved ids
        included); lengths not given are the longest sentence plus headroom,
        rounded up to 8 (32 for the source without data).

        Returns:
            A dict of `Seq2SeqPreprocessor` (and `Seq2SeqTransformer`)
            arguments: the vocabularies, lengths and splits.
        """
        validation.check_choice("source_split", source_split, SPLITS)
        validation.check_choice("target_split", target_split, SPLITS)
        validation.check_int(
            "max_vocabulary_size",
            max_vocabulary_size,
            minimum=len(RESERVED_TOKENS) + 1,
        )
        if data is not None:
            sources, targets = check_pair("data", data)
            keep = int(max_vocabulary_size) - len(RESERVED_TOKENS)
            if source_vocabulary is None:
                source_vocabulary = build_vocabulary(sources, source_split, keep)
            if target_vocabulary is None:
                target_vocabulary = build_vocabulary(targets, target_split, keep)
            if sequence_length is None:
                longest = max(len(_tokens(s, source_split)) for s in sources)
                sequence_length = _round_up(longest + 2)
            if target_sequence_length is None:
                longest = max(len(_tokens(t, target_split)) for t in targets)
                target_sequence_length = _round_up(longest + 3)
        if sequence_length is None:
            sequence_length = 32
        return {
            "source_vocabulary": source_vocabulary,
            "target_vocabulary": target_vocabulary,
            "sequence_length": sequence_length,
            "target_sequence_length": target_sequence_length,
            "source_split": source_split,
            "target_split": target_split,
        }

    # ------------------------------------------------------------ raw input
    def require_vocabularies(self, what):
        """Raises when a vocabulary is missing for `what` (strings need both)."""
        missing = [
            name
            for name in ("source_vocabulary", "target_vocabulary")
            if getattr(self, name) is None
        ]
        if missing:
            raise ValueError(
                f"{what} needs the model's vocabularies, but this model was built "
                f"without them ({', '.join(m + '=None' for m in missing)}). Build "
                "it with `kr.seq2seq_transformer(data=(sources, targets))`, which "
                "adapts both vocabularies, or pass `source_vocabulary=` and "
                "`target_vocabulary=`."
            )

    def check_x(self, x, name="x"):
        """Validates source sentences (or passes a dict of token ids through)."""
        if isinstance(x, dict):
            return check_id_dict(name, x)
        self.require_vocabularies(f"Training on strings (`{name}`)")
        return check_sentences(
            name,
            x,
            self.source_split,
            self.sequence_length,
            "sequence_length",
            stacklevel=4,
        )

    def check_sources(self, sentences, name="sentences"):
        """Validates sentences to translate (one string is one sentence)."""
        self.require_vocabularies("`translate`")
        if isinstance(sentences, str):
            sentences = [sentences]
        return check_sentences(
            name,
            sentences,
            self.source_split,
            self.sequence_length,
            "sequence_length",
            stacklevel=4,
        )

    def check_y(self, y, name="y"):
        """Validates target sentences (or a 2D batch of target token ids)."""
        array = np.asarray(y)
        if array.dtype.kind in "iu":
            validation.check_rank(name, array, (2,), "batch of target token ids")
            return array.astype("int32")
        self.require_vocabularies(f"Training on strings (`{name}`)")
        return check_sentences(
            name,
            y,
            self.target_split,
            self.target_length - 1,
            "target_sequence_length - 1",
            stacklevel=4,
        )

    # ---------------------------------------------------------- vectorizing
    def to_ids(self, strings, side, length, start, end):
        """Strings -> `(batch, length)` ids of `side`, optionally framed."""
        split = getattr(self, f"{side}_split")
        strings = tf.convert_to_tensor(strings, dtype=tf.string)
        if split == "character":
            tokens = tf.strings.unicode_split(strings, "UTF-8")
        else:
            tokens = tf.strings.split(strings)
        ids = tf.ragged.map_flat_values(self.tables[side].lookup, tokens)
        ids = ids[:, : length - int(start) - int(end)]
        rows = tf.shape(strings)[0]
        parts = [ids]
        if start:
            parts.insert(0, tf.RaggedTensor.from_tensor(tf.fill([rows, 1], START_ID)))
        if end:
            parts.append(tf.RaggedTensor.from_tensor(tf.fill([rows, 1], END_ID)))
        ids = tf.concat(parts, axis=1) if len(parts) > 1 else ids
        return ids.to_tensor(default_value=PAD_ID, shape=[None, length])

    def vectorize_sources(self, sources):
        """Source strings (a `tf.string` batch) -> `(batch, sequence_length)` ids."""
        return self.to_ids(
            sources, "source", int(self.sequence_length), start=False, end=False
        )

    def vectorize_targets(self, targets):
        """Target strings -> `(decoder_ids, labels)`, both `(batch, length)`."""
        ids = self.to_ids(
            targets, "target", self.target_length + 1, start=True, end=True
        )
        return ids[:, :-1], ids[:, 1:]

    def preprocess_batch(self, x, y=None, sample_weight=None):
        """Strings -> `({"encoder_ids", "decoder_ids"}, labels, weights)`.

        Weights are 1 for target tokens and 0 for padding (times any given
        `sample_weight`); batches of token ids pass through unchanged.
        """
        if isinstance(x, dict):
            inputs = dict(x)
        else:
            inputs = {"encoder_ids": self.vectorize_sources(x)}
        if y is None:
            return inputs
        if y.dtype == tf.string:
            inputs["decoder_ids"], labels = self.vectorize_targets(y)
        else:
            labels = tf.cast(y, "int32")
        weights = tf.cast(tf.not_equal(labels, PAD_ID), "float32")
        if sample_weight is not None:
            sample_weight = tf.cast(sample_weight, "float32")
            if sample_weight.shape.rank == 1:
                sample_weight = sample_weight[:, None]
            weights *= sample_weight
        return inputs, labels, weights

    def detokenize(self, ids):
        """Target ids `(batch, length)` (starting with the start token) -> strings."""
        self.require_vocabularies("`detokenize`")
        tokens = self.target_tokens
        joiner = "" if self.target_split == "character" else " "
        out = []
        for row in np.asarray(ids):
            words = []
            for i in row[1:]:
                if i in (END_ID, PAD_ID):
                    break
                words.append(tokens[i])
            out.append(joiner.join(words))
        return out

    def logit_bias(self):
        """Float32 `(target ids,)` bias: `NEG_INF` on ids never generated."""
        bias = np.zeros(self.target_size, "float32")
        bias[list(NEVER_GENERATED)] = NEG_INF
        return bias

    def onnx_sidecar(self, task):
        """The JSON sidecar of an ONNX export of the model (task name `task`).

        Everything the pure-Python tokenizer, greedy loop and detokenizer of
        `keras_recipes.export.onnx_preprocess` need: both token lists, the
        splits, the lengths, the special ids and the ids never generated.
        """
        self.require_vocabularies("ONNX export")
        return {
            "task": task,
            "source_tokens": list(RESERVED_TOKENS) + self.source_vocabulary,
            "target_tokens": self.target_tokens,
            "source_split": self.source_split,
            "target_split": self.target_split,
            "standardize": None,
            "sequence_length": int(self.sequence_length),
            "max_output_length": self.target_length - 1,
            "special_ids": {
                "pad": PAD_ID,
                "unk": UNK_ID,
                "start": START_ID,
                "end": END_ID,
            },
            "never_generated": list(NEVER_GENERATED),
            "never_generated_logit": NEG_INF,
        }


def _as_list(vocabulary):
    return None if vocabulary is None else [str(t) for t in vocabulary]


def _check_vocabulary(name, vocabulary, size):
    size_name = f"{name}_size"
    if vocabulary is None:
        if size is None:
            raise ValueError(
                f"`{name}` or `{size_name}` is required (use "
                "`kr.seq2seq_transformer(data=...)` to adapt vocabularies). "
                f"Received: {name}=None, {size_name}=None"
            )
        return validation.check_size(
            size_name, size, validation.MAX_VOCABULARY, minimum=len(RESERVED_TOKENS) + 1
        )
    if isinstance(vocabulary, str) or not isinstance(vocabulary, list | tuple):
        raise TypeError(
            f"`{name}` must be a list of token strings. "
            f"Received: {name} of type {type(vocabulary).__name__}"
        )
    if not vocabulary:
        raise ValueError(f"`{name}` must not be empty. Received: {name}=[]")
    validation.check_size(f"len({name})", len(vocabulary), validation.MAX_VOCABULARY)
    bad = [t for t in vocabulary if not isinstance(t, str) or t in RESERVED_TOKENS]
    if bad:
        raise ValueError(
            f"`{name}` must hold non-empty strings other than the reserved "
            f"tokens {list(RESERVED_TOKENS[1:])}. Received: {bad[:3]}"
        )
    dupes = [t for t, c in collections.Counter(vocabulary).items() if c > 1]
    if dupes:
        raise ValueError(
            f"`{name}` must not repeat tokens. Received duplicates: {dupes[:5]}"
        )
    expected = len(vocabulary) + len(RESERVED_TOKENS)
    if size is not None and size != expected:
        raise ValueError(
            f"`{size_name}` must equal len({name}) + {len(RESERVED_TOKENS)} = "
            f"{expected} (or be None). Received: {size_name}={size}"
        )
    return expected


def _tokens(sentence, split):
    return list(sentence) if split == "character" else sentence.split()


def check_sentences(name, sentences, split, budget, budget_name, stacklevel=3):
    """Checks a list of strings; warns once about sentences to be truncated.

    The warning points `stacklevel` frames up (3: the caller's caller).
    """
    if isinstance(sentences, str):
        raise TypeError(
            f"`{name}` must be a list of strings, not a single string. "
            f"Received: {name}={sentences[:40]!r}"
        )
    if hasattr(sentences, "to_numpy"):
        sentences = sentences.to_numpy()
    sentences = (
        list(np.asarray(sentences, dtype=object).reshape(-1))
        if (np.ndim(sentences) > 1)
        else list(sentences)
    )
    if not sentences:
        raise ValueError(
            f"`{name}` is empty: expected at least one sentence. Received: {name}=[]"
        )
    for i, s in enumerate(sentences):
        if isinstance(s, bytes):
            sentences[i] = s = s.decode("utf-8")
        if not isinstance(s, str):
            raise TypeError(
                f"`{name}` must hold strings. Received: {name}[{i}]={s!r} of "
                f"type {type(s).__name__}"
            )
    empty = [i for i, s in enumerate(sentences) if not s.strip()]
    if empty:
        raise ValueError(
            f"`{name}` must not contain empty strings; found {len(empty)} "
            f"(first at index {empty[0]}). "
            f"Received: {name}[{empty[0]}]={sentences[empty[0]]!r}"
        )
    lengths = [len(_tokens(s, split)) for s in sentences]
    long = [i for i, n in enumerate(lengths) if n > budget]
    if long:
        warnings.warn(
            f"{len(long)} sentence(s) in `{name}` are longer than {budget} "
            f"tokens ({budget_name}) and are truncated; the longest has "
            f"{max(lengths)} tokens (first at index {long[0]}).",
            stacklevel=stacklevel,
        )
    return np.asarray(sentences, dtype=object)


def check_id_dict(name, x):
    """Checks a dict of int token ids `{"encoder_ids"[, "decoder_ids"]}`."""
    expected = {"encoder_ids", "decoder_ids"}
    if set(x) != expected and set(x) != {"encoder_ids"}:
        raise ValueError(
            f"`{name}` as a dict must hold token ids under {sorted(expected)}. "
            f"Received keys: {sorted(x)}"
        )
    out = {}
    for key, value in x.items():
        array = np.asarray(value)
        if array.dtype.kind not in "iu":
            raise TypeError(
                f"`{name}['{key}']` must hold integer token ids. "
                f"Received: dtype {array.dtype}"
            )
        validation.check_rank(f"{name}['{key}']", array, (2,), "batch of ids")
        out[key] = array.astype("int32")
    return out


def check_pair(name, data):
    """Checks a `(sources, targets)` pair of equally long string lists."""
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(
            f"`{name}` must be a (sources, targets) pair of string lists. "
            f"Received: {name} of type {type(data).__name__}"
        )
    sources, targets = data
    if isinstance(sources, str) or isinstance(targets, str):
        raise TypeError(
            f"`{name}` must be a (sources, targets) pair of string lists. "
            f"Received: a single string"
        )
    validation.check_same_length(
        f"{name}[0]", list(sources), f"{name}[1]", list(targets)
    )
    sources = check_sentences(f"{name}[0]", sources, "character", math.inf, "")
    targets = check_sentences(f"{name}[1]", targets, "character", math.inf, "")
    return list(sources), list(targets)


def build_vocabulary(sentences, split, max_size=None):
    """Tokens of `sentences` by decreasing frequency (ties: alphabetical).

    Example:

    >>> build_vocabulary(["abca", "b"], "character")
    ['a', 'b', 'c']
    """
    counts = collections.Counter()
    for sentence in sentences:
        counts.update(_tokens(sentence, split))
    for token in RESERVED_TOKENS:
        counts.pop(token, None)
    tokens = sorted(counts, key=lambda t: (-counts[t], t))
    return tokens if max_size is None else tokens[:max_size]


def _round_up(n, multiple=8):
    return int(multiple * math.ceil(n / multiple))
