"""Raw input -> ONNX core inputs, in pure Python + numpy (no TensorFlow).

An exported model whose preprocessing ONNX cannot hold (text vectorization,
string lookups) is written as `model.onnx` (the numeric core) plus
`model.json` (the sidecar: vocabularies, normalization statistics and the
name of the function here that applies them). This module needs only numpy
(and onnxruntime for `OnnxPredictor`), so it can be copied next to the model
and used where TensorFlow is not installed:

```python
predictor = OnnxPredictor("model.onnx")          # reads model.json if present
probabilities = predictor.predict(["a raw sentence", "another one"])
```

Every preprocessing function has the signature
`fn(raw_inputs, sidecar) -> {core input name: np.ndarray}`, where
`raw_inputs` is a dict by raw input name (or a bare array for a single input).
"""

import json
import os
import re

import numpy as np

# Keras `TextVectorization` strips exactly these characters.
_PUNCTUATION = re.compile(rb'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(rb"[ \t\n\r\v\f]+")


def _single(raw, name):
    if isinstance(raw, dict):
        if name is not None and name in raw:
            return raw[name]
        if len(raw) == 1:
            return next(iter(raw.values()))
        raise ValueError(
            f"Raw inputs must contain {name!r}. Received keys: {sorted(raw)}"
        )
    return raw


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, np.ndarray) and value.shape == (1,):
        return _as_bytes(value[0])
    if isinstance(value, list | tuple) and len(value) == 1:
        return _as_bytes(value[0])
    return str(value).encode("utf-8")


def standardize_text(text, standardize):
    """Applies a Keras `TextVectorization` built-in `standardize` to bytes."""
    if standardize in (
        "lower",
        "lower_and_strip_punctuation",
        "lower_and_split_punctuation",
    ):
        text = text.lower()  # ASCII-only, as `tf.strings.lower`
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _PUNCTUATION.sub(b"", text)
    if standardize == "lower_and_split_punctuation":  # the text template's mode
        text = _PUNCTUATION.sub(b" ", text)
    return text


def split_text(text, split):
    """Splits bytes like `TextVectorization`'s built-in `split`."""
    if split == "whitespace":
        return [t for t in _WHITESPACE.split(text) if t]
    if split == "character":
        return [c.encode("utf-8") for c in text.decode("utf-8", "replace")]
    return [text]


def text_tokens(raw, sidecar):
    """`TextVectorization(output_mode="int")` in numpy: strings -> token ids.

    Index 0 is padding, 1 is out-of-vocabulary, as in Keras. Sequences are
    padded/truncated to `sequence_length`, or to the longest in the batch when
    it is `None`.

    Example:

    >>> side = {"vocabulary": ["", "[UNK]", "good", "bad"],
    ...         "standardize": "lower_and_strip_punctuation",
    ...         "split": "whitespace", "sequence_length": 4,
    ...         "output_name": "tokens"}
    >>> text_tokens(["Good, GOOD movie!"], side)["tokens"].tolist()
    [[2, 2, 1, 0]]
    """
    texts = np.asarray(_single(raw, sidecar.get("input_name")), dtype=object)
    texts = texts.reshape(len(texts), -1)
    index = {w.encode("utf-8"): i for i, w in enumerate(sidecar["vocabulary"])}
    oov = 1 if len(sidecar["vocabulary"]) > 1 else 0
    rows = []
    for value in texts:
        text = standardize_text(_as_bytes(value), sidecar.get("standardize"))
        tokens = split_text(text, sidecar.get("split"))
        rows.append([index.get(t, oov) for t in tokens])
    length = sidecar.get("sequence_length")
    if length is None:
        length = max([len(r) for r in rows] + [1])
    ids = np.zeros((len(rows), int(length)), dtype="int64")
    for i, row in enumerate(rows):
        row = row[: int(length)]
        ids[i, : len(row)] = row
    return {sidecar.get("output_name", "tokens"): ids}


def tabular_columns(raw, sidecar):
    """Dict of raw columns -> the core's numeric inputs.

    `sidecar["columns"]` maps each core input name to a spec:
    `{"source": raw column, "kind": "numeric", "mean": m, "variance": v}`
    (standardized float32, shape `(n, 1)`) or `{"source": raw column,
    "kind": "categorical", "vocabulary": [...], "num_oov_indices": 1,
    "one_hot": False}` (int64 index with OOV at 0, or a float32 one-hot).
    """
    out = {}
    for name, spec in sidecar["columns"].items():
        values = np.asarray(raw[spec.get("source", name)]).reshape(-1)
        if spec["kind"] == "numeric":
            var = np.asarray(spec["variance"], dtype="float64")
            std = np.sqrt(np.maximum(var, 1e-7**2))
            col = (values.astype("float64") - spec["mean"]) / std
            out[name] = col.astype("float32").reshape(-1, 1)
        else:
            num_oov = int(spec.get("num_oov_indices", 1))
            index = {str(v): i + num_oov for i, v in enumerate(spec["vocabulary"])}
            ids = np.array([index.get(str(v), 0) for v in values], dtype="int64")
            if spec.get("one_hot"):
                depth = len(spec["vocabulary"]) + num_oov
                out[name] = np.eye(depth, dtype="float32")[ids]
            else:
                out[name] = ids.reshape(-1, 1)
    return out


def _sentences(raw, name="sentences"):
    if isinstance(raw, dict):
        raw = _single(raw, "sentences")
    if isinstance(raw, str | bytes):
        raw = [raw]
    sentences = []
    for i, value in enumerate(np.asarray(raw, dtype=object).reshape(-1)):
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if not isinstance(value, str):
            raise TypeError(
                f"`{name}` must hold strings. Received: {name}[{i}]={value!r} "
                f"of type {type(value).__name__}"
            )
        if not value.strip():
            raise ValueError(
                f"`{name}` must not contain empty strings. "
                f"Received: {name}[{i}]={value!r}"
            )
        sentences.append(value)
    if not sentences:
        raise ValueError(f"`{name}` is empty: expected at least one sentence.")
    return sentences


def seq2seq_tokens(sentence, split):
    """Splits one sentence like the seq2seq template's tf.data pipeline.

    `"character"`: Unicode code points (`tf.strings.unicode_split`);
    `"whitespace"`: runs of ASCII whitespace (`tf.strings.split`), so a
    non-breaking space stays inside a token.
    """
    if split == "character":
        return list(sentence)
    return [t.decode("utf-8") for t in split_text(sentence.encode("utf-8"), split)]


def seq2seq_source_ids(raw, sidecar):
    """Source sentences -> `{"encoder_ids": (n, sequence_length) int32}`.

    The numpy twin of `Seq2SeqTransformer.vectorize_sources`: split (no
    standardization: text is used as is), look up (unknown tokens and
    literal reserved tokens -> `[UNK]`), truncate and pad with 0 to
    `sequence_length`.

    Example:

    >>> side = {"source_tokens": ["", "[UNK]", "[START]", "[END]", "a", "b"],
    ...         "source_split": "character", "sequence_length": 4,
    ...         "special_ids": {"pad": 0, "unk": 1, "start": 2, "end": 3}}
    >>> seq2seq_source_ids(["abz"], side)["encoder_ids"].tolist()
    [[4, 5, 1, 0]]
    """
    special = sidecar["special_ids"]
    reserved = set(special.values())
    index = {t: i for i, t in enumerate(sidecar["source_tokens"]) if i not in reserved}
    length = int(sidecar["sequence_length"])
    sentences = _sentences(raw)
    ids = np.full((len(sentences), length), special["pad"], dtype="int32")
    for row, sentence in enumerate(sentences):
        tokens = seq2seq_tokens(sentence, sidecar["source_split"])[:length]
        ids[row, : len(tokens)] = [index.get(t, special["unk"]) for t in tokens]
    return {"encoder_ids": ids}


def seq2seq_detokenize(ids, sidecar):
    """Target ids `(n, length)`, starting with the start token -> strings."""
    special = sidecar["special_ids"]
    tokens = sidecar["target_tokens"]
    joiner = "" if sidecar["target_split"] == "character" else " "
    out = []
    for row in np.asarray(ids):
        words = []
        for i in row[1:]:
            if i in (special["end"], special["pad"]):
                break
            words.append(tokens[int(i)])
        out.append(joiner.join(words))
    return out


FUNCTIONS = {
    "text_tokens": text_tokens,
    "tabular_columns": tabular_columns,
    "seq2seq_source_ids": seq2seq_source_ids,
}


def get(name):
    """Returns the preprocessing function called `name`."""
    if name not in FUNCTIONS:
        raise ValueError(
            f"Unknown ONNX preprocessing {name!r}; expected one of {sorted(FUNCTIONS)}."
        )
    return FUNCTIONS[name]


def prepare(raw, sidecar):
    """Applies the sidecar's preprocessing (`sidecar["preprocess"]`)."""
    return get(sidecar["preprocess"])(raw, sidecar)


class OnnxPredictor:
    """Runs an exported ONNX model (+ its sidecar) on raw inputs.

    Args:
        path: the `.onnx` file; `<path without .onnx>.json` is read as the
            sidecar when it exists.
    """

    def __init__(self, path):
        import onnxruntime as ort  # optional dependency, loaded on first use

        self.path = os.fspath(path)
        self.session = ort.InferenceSession(
            self.path, providers=["CPUExecutionProvider"]
        )
        sidecar_path = self.path[: -len(".onnx")] + ".json"
        self.sidecar = None
        if os.path.isfile(sidecar_path):
            with open(sidecar_path, encoding="utf-8") as file:
                self.sidecar = json.load(file)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]

    def feeds(self, raw):
        if self.sidecar is not None and self.sidecar.get("preprocess"):
            return prepare(raw, self.sidecar)
        if not isinstance(raw, dict):
            raw = {self.input_names[0]: raw}
        types = {i.name: i.type for i in self.session.get_inputs()}
        return {
            n: np.asarray(raw[n]).astype(_numpy_type(types[n]), copy=False)
            for n in self.input_names
        }

    def predict(self, raw):
        """Returns the first output (all outputs as a list when several)."""
        result = self.session.run(self.output_names, self.feeds(raw))
        return result[0] if len(result) == 1 else result


def _numpy_type(onnx_type):
    return {
        "tensor(float)": "float32",
        "tensor(double)": "float64",
        "tensor(int64)": "int64",
        "tensor(int32)": "int32",
        "tensor(bool)": "bool",
        "tensor(string)": object,
    }.get(onnx_type, "float32")


def seq2seq_sidecar_path(path_or_dir):
    """The sidecar `.json` of a seq2seq ONNX export.

    Accepts the path given to `export` (`translator.onnx`), the sidecar
    itself, either graph file (`translator.encoder.onnx`), or a folder
    holding exactly one seq2seq sidecar.
    """
    path = os.fspath(path_or_dir)
    if os.path.isdir(path):
        found = []
        for name in sorted(os.listdir(path)):
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(path, name), encoding="utf-8") as file:
                    if json.load(file).get("decoding") == "greedy_full_prefix":
                        found.append(os.path.join(path, name))
            except (OSError, ValueError, AttributeError):
                continue
        if len(found) != 1:
            raise ValueError(
                "`path_or_dir` must hold exactly one seq2seq ONNX sidecar "
                f"(.json). Received: {path!r} with {len(found)}"
            )
        return found[0]
    for suffix in (".encoder.onnx", ".decoder.onnx", ".onnx", ".json"):
        if path.endswith(suffix):
            path = path[: -len(suffix)] + ".json"
            break
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No seq2seq ONNX sidecar at {path!r} (from "
            f"path_or_dir={os.fspath(path_or_dir)!r})."
        )
    return path


class OnnxTranslator:
    """Greedy translation with an exported seq2seq model, no TensorFlow.

    Tokenize (`seq2seq_source_ids`) -> encoder graph -> greedy loop over the
    decoder graph -> detokenize. The decoder graph takes the whole prefix
    (start token + tokens so far) at every step and there is no key/value
    cache, so a step costs O(prefix length); this is the exact computation
    of `Seq2SeqTransformer.translate(beam_width=1)`, and the export checks
    that both give the same token ids.

    Args:
        path_or_dir: see `seq2seq_sidecar_path`.
    """

    def __init__(self, path_or_dir):
        sidecar_path = seq2seq_sidecar_path(path_or_dir)
        with open(sidecar_path, encoding="utf-8") as file:
            sidecar = json.load(file)
        folder = os.path.dirname(os.path.abspath(sidecar_path))
        self._setup(
            os.path.join(folder, sidecar["encoder"]),
            os.path.join(folder, sidecar["decoder"]),
            sidecar,
        )

    @classmethod
    def from_files(cls, encoder_path, decoder_path, sidecar):
        """A translator over explicit graph files and a sidecar dict."""
        translator = cls.__new__(cls)
        translator._setup(encoder_path, decoder_path, sidecar)
        return translator

    def _setup(self, encoder_path, decoder_path, sidecar):
        import onnxruntime as ort  # optional dependency, loaded on first use

        self.sidecar = sidecar
        self.encoder = ort.InferenceSession(
            os.fspath(encoder_path), providers=["CPUExecutionProvider"]
        )
        self.decoder = ort.InferenceSession(
            os.fspath(decoder_path), providers=["CPUExecutionProvider"]
        )
        self.special = sidecar["special_ids"]
        bias = np.zeros(len(sidecar["target_tokens"]), "float32")
        bias[sidecar["never_generated"]] = sidecar["never_generated_logit"]
        self.logit_bias = bias

    def encode(self, encoder_ids):
        """`(n, length)` source ids -> `(encoded, encoder_mask)`."""
        ids = np.asarray(encoder_ids, dtype="int32")
        encoded, mask = self.encoder.run(
            ["encoded", "encoder_mask"], {"encoder_ids": ids}
        )
        return encoded, mask

    def decode(self, encoded, encoder_mask, decoder_ids):
        """Logits `(n, t, vocabulary)` for the prefixes `decoder_ids (n, t)`."""
        return self.decoder.run(
            ["logits"],
            {
                "encoded": encoded,
                "encoder_mask": encoder_mask,
                "decoder_ids": np.asarray(decoder_ids, dtype="int32"),
            },
        )[0]

    def _max_length(self, max_length):
        limit = int(self.sidecar["max_output_length"])
        if max_length is None:
            return limit
        if (
            isinstance(max_length, bool)
            or int(max_length) != max_length
            or not 1 <= max_length <= limit
        ):
            raise ValueError(
                f"`max_length` must be an integer in [1, {limit}]. "
                f"Received: max_length={max_length!r}"
            )
        return int(max_length)

    def generate_ids(self, encoder_ids, max_length=None, batch_size=64):
        """Greedy decoding: `(n, length)` source ids -> `(n, max_length + 1)`.

        Rows hold the start token, the generated tokens, the end token, then
        padding, as `Seq2SeqTransformer.generate_ids`.
        """
        max_length = self._max_length(max_length)
        ids = np.asarray(encoder_ids, dtype="int32")
        pad, start, end = (self.special[k] for k in ("pad", "start", "end"))
        out = np.full((len(ids), max_length + 1), pad, dtype="int32")
        for first in range(0, len(ids), int(batch_size)):
            encoded, mask = self.encode(ids[first : first + int(batch_size)])
            buffer = np.full((len(encoded), 1), start, dtype="int32")
            finished = np.zeros(len(encoded), dtype=bool)
            for _ in range(max_length):
                logits = self.decode(encoded, mask, buffer)[:, -1, :]
                token = np.argmax(logits + self.logit_bias, axis=-1).astype("int32")
                token = np.where(finished, pad, token).astype("int32")
                buffer = np.concatenate([buffer, token[:, None]], axis=1)
                finished |= token == end
                if finished.all():
                    break
            out[first : first + len(buffer), : buffer.shape[1]] = buffer
        return out

    def translate(self, sentences, max_length=None, batch_size=64):
        """Source strings (or one string) -> list of translated strings."""
        ids = seq2seq_source_ids(sentences, self.sidecar)["encoder_ids"]
        generated = self.generate_ids(ids, max_length, batch_size)
        return seq2seq_detokenize(generated, self.sidecar)


def translate_onnx(path_or_dir, sentences, max_length=None, batch_size=64):
    """Translates `sentences` with an exported seq2seq ONNX model (greedy).

    Needs only numpy and onnxruntime. `path_or_dir` is the path given to
    `model.export(path, format="onnx")`, its `.json` sidecar, or the folder
    holding them.

    Args:
        path_or_dir: where the export is (see `seq2seq_sidecar_path`).
        sentences: a list of source strings (or one string).
        max_length: maximum generated tokens (end token included); defaults
            to the model's `target_sequence_length - 1`.
        batch_size: sentences decoded at once.

    Returns:
        A list of strings, equal to `model.translate(sentences)`.
    """
    return OnnxTranslator(path_or_dir).translate(sentences, max_length, batch_size)
