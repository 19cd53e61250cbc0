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
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = text.lower()  # ASCII-only, as `tf.strings.lower`
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _PUNCTUATION.sub(b"", text)
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
            std = np.sqrt(np.maximum(var, 1e-7 ** 2))
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


FUNCTIONS = {"text_tokens": text_tokens, "tabular_columns": tabular_columns}


def get(name):
    """Returns the preprocessing function called `name`."""
    if name not in FUNCTIONS:
        raise ValueError(
            f"Unknown ONNX preprocessing {name!r}; expected one of "
            f"{sorted(FUNCTIONS)}."
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
        import onnxruntime as ort

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
