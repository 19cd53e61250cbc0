"""Verified ONNX export: convert, then check the result against Keras.

`export_onnx(model, "model.onnx")` never trusts the converter (tf2onnx writes
invalid models without raising). It converts the model's inference graph
(`training=False`, so augmentation and dropout are off), then:

1. runs `onnx.checker.check_model(full_check=True)`;
2. opens an onnxruntime session;
3. checks the graph inputs are exactly the model's inputs, by name;
4. feeds samples by input name and compares every output with Keras
   (`max abs error <= tolerance`, default `1e-5`);
5. only then renames the file into place (a failed export leaves no `.onnx`).

It returns an `OnnxReport` (route, opset, input/output names and shapes, max
abs error, onnxruntime vs Keras latency). Conversion routes are tried in order
until one verifies: `"tf_function"` (`tf2onnx.convert.from_function` on a
`tf.function` with an input signature and a dynamic batch axis),
`"saved_model"` (a SavedModel converted by the `tf2onnx.convert` command; the
route that carries lookup tables) and `"keras"` (`keras.Model.export(...,
format="onnx")`, which traces `model(x)` without `training=False`, so it keeps
random augmentation layers in the graph and fails for models that have them).

Models with a mixed-precision policy are rebuilt under `float32` (from their
config, weights copied) before conversion.

## The `onnx_core()` protocol

Preprocessing ONNX cannot hold (`TextVectorization`, string lookups) stays out
of the ONNX file. A task opts in by defining:

```python
def onnx_core(self):
    return core_model, sidecar, preprocess_name
```

- `core_model`: a float32 `keras.Model` taking the numeric tensors the
  preprocessing produces (token ids, normalized columns...) and returning the
  task's outputs. The ONNX file holds exactly this model.
- `sidecar`: a JSON-serializable dict (vocabularies, normalization stats,
  sequence length...) or `None`. Written as `<name>.json` next to the `.onnx`.
- `preprocess_name`: the name of a function in
  `keras_recipes.export.onnx_preprocess` (`fn(raw_inputs, sidecar) ->
  {core input name: np.ndarray}`), pure Python + numpy, no TensorFlow; `None`
  when the core takes the raw inputs as they are.

`ImageClassifier` needs no sidecar: its core is the model itself (rescaling
and resizing are ONNX ops). Without `onnx_core()` a model is exported whole.
With a sidecar, parity is checked end to end: raw samples go through the
pure-Python preprocessing and the ONNX core, and are compared with the full
Keras model on the same raw samples. `text_vectorization_sidecar()` and
`split_after()` help tasks implement the protocol.

A model with `onnx_decoder_graphs()` (the seq2seq template) is exported as
an encoder graph, a decoder graph and a sidecar instead, verified down to
the greedy-decoded token ids: see `keras_recipes.export.onnx_seq2seq`. Every
graph goes through `convert_verified` (`keras_recipes.export.onnx_convert`),
the route loop shared by both paths.
"""

import json
import os

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.export import onnx_preprocess
from keras_recipes.export import onnx_seq2seq
from keras_recipes.export.onnx_convert import DEFAULT_OPSET
from keras_recipes.export.onnx_convert import ROUTES
from keras_recipes.export.onnx_convert import OnnxExportError
from keras_recipes.export.onnx_convert import OnnxParityError
from keras_recipes.export.onnx_convert import OnnxReport
from keras_recipes.export.onnx_convert import as_float32
from keras_recipes.export.onnx_convert import convert_verified
from keras_recipes.export.onnx_convert import input_specs
from keras_recipes.export.onnx_convert import keras_latency_ms
from keras_recipes.export.onnx_convert import keras_outputs
from keras_recipes.export.onnx_convert import output_names
from keras_recipes.export.onnx_convert import serving_function
from keras_recipes.export.onnx_convert import write_saved_model
from keras_recipes.export.targets import check_target


def export_onnx(
    model,
    filepath,
    verify=True,
    samples=None,
    tolerance=1e-5,
    opset=DEFAULT_OPSET,
    routes=ROUTES,
    num_samples=8,
    seed=0,
):
    """Exports `model` to ONNX and verifies it against Keras.

    Args:
        model: a `keras.Model` (a `kr.tasks.Task` or any functional model).
        filepath: output path ending in `.onnx`. A sidecar, when the model
            has one, goes to the same path with `.json`.
        verify: must stay `True` unless you accept an unchecked file: with
            `False` only the checker runs (no parity check).
        samples: raw inputs to compare Keras and ONNX Runtime on (an array,
            a list of arrays or a dict by input name; source sentences for a
            seq2seq model). Generated from the input specs when omitted.
        tolerance: largest accepted difference of any output: absolute for
            values within [-1, 1] (probabilities), relative to the value
            beyond (a regressor's outputs, in the target's units).
        opset: ONNX opset.
        routes: conversion routes to try, in order (subset of `ROUTES`).
        num_samples: number of generated samples when `samples` is omitted.
        seed: seed of the generated samples.

    Returns:
        An `OnnxReport`.

    Raises:
        OnnxParityError: outputs differ beyond `tolerance` on every route.
        OnnxExportError: no route produced a valid, loadable model.

    Example:

    >>> import os, tempfile
    >>> import keras_recipes as kr
    >>> model = kr.image_classifier(num_classes=3, image_shape=(8, 8, 1),
    ...                             width=4, depth=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> report = export_onnx(model, path)  # doctest: +SKIP
    >>> report.max_abs_error <= 1e-5  # doctest: +SKIP
    True
    """
    filepath = check_target(filepath, "onnx")
    if not filepath.endswith(".onnx"):
        raise ValueError(
            f"`filepath` must end with '.onnx'. Received: filepath={filepath!r}"
        )
    tolerance = validation.check_float("tolerance", tolerance, minimum=0.0)
    opset = validation.check_int("opset", opset, minimum=9)
    if isinstance(routes, str):
        routes = (routes,)
    for route in routes:
        validation.check_choice("routes", route, ROUTES)
    if not routes:
        raise ValueError(f"`routes` must name at least one of {ROUTES}. Received: ()")
    utils.check_writable_dir("filepath", os.path.dirname(os.path.abspath(filepath)))

    if hasattr(model, "onnx_decoder_graphs"):
        return onnx_seq2seq.export_seq2seq_onnx(
            model,
            filepath,
            verify=verify,
            samples=samples,
            tolerance=tolerance,
            opset=opset,
            routes=routes,
            num_samples=num_samples,
            seed=seed,
        )

    full, cast = as_float32(model)
    core, sidecar, preprocess_name = _core_of(full)
    in_names, in_specs = input_specs(core)
    preprocess = None
    if preprocess_name is not None:
        preprocess = onnx_preprocess.get(preprocess_name)
        sidecar = dict(sidecar or {}, preprocess=preprocess_name)

    raw = _prepare_samples(full, samples, sidecar, num_samples, seed)
    # The reference outputs: of the full model on the raw samples where a
    # preprocess step replays what `core` cannot hold, else of `core`.
    if preprocess is not None:
        feeds = preprocess(raw, sidecar)
        reference = keras_outputs(full, raw)
    else:
        feeds = _feeds_by_name(raw, in_names, in_specs)
        reference = keras_outputs(core, feeds)

    sidecar_path = filepath[: -len(".onnx")] + ".json" if sidecar else None
    with utils.atomic_path(filepath) as tmp:
        route, checked, tried = convert_verified(
            core,
            tmp,
            feeds,
            reference,
            tolerance=tolerance,
            opset=opset,
            routes=routes,
            check_parity=verify,
            what=f"ONNX export of {model.name!r}",
            filepath=filepath,
        )
        if sidecar_path:
            with utils.atomic_path(sidecar_path) as side_tmp:
                with open(side_tmp, "w", encoding="utf-8") as file:
                    json.dump(sidecar, file, indent=1)
    return OnnxReport(
        path=filepath,
        route=route,
        opset=checked["opset"],
        input_names=in_names,
        input_shapes=checked["input_shapes"],
        output_names=checked["output_names"],
        output_shapes=checked["output_shapes"],
        max_abs_error=checked["max_abs_error"],
        tolerance=tolerance,
        num_samples=_num_rows(feeds),
        ort_latency_ms=checked["ort_latency_ms"],
        keras_latency_ms=keras_latency_ms(core, feeds),
        float32_cast=cast,
        sidecar_path=sidecar_path,
        preprocess=preprocess_name,
        routes_tried=tried,
    )


def _core_of(model):
    hook = getattr(model, "onnx_core", None)
    if hook is None:
        return model, None, None
    result = hook()
    if not (isinstance(result, tuple) and len(result) == 3):
        raise TypeError(
            "`onnx_core()` must return (core_model, sidecar, preprocess_name). "
            f"Received: {type(result).__name__}"
        )
    return result


def _prepare_samples(model, samples, sidecar, num_samples, seed):
    names, specs = input_specs(model)
    if samples is None:
        rng = np.random.default_rng(seed)
        generated = [_generate(spec, num_samples, rng, sidecar) for spec in specs]
        return dict(zip(names, generated))
    if hasattr(model, "check_x") and len(names) > 1:
        if not isinstance(samples, list | tuple):
            # Raw columns (DataFrame / dict) -> the model's typed inputs,
            # exactly as `predict` converts them.
            samples = model.check_x(samples, "samples")
    if isinstance(samples, dict):
        missing = sorted(set(names) - set(samples))
        if missing:
            raise ValueError(
                f"`samples` is missing inputs {missing}. Received keys: "
                f"{sorted(samples)}"
            )
        return {n: np.asarray(samples[n]) for n in names}
    if isinstance(samples, list | tuple) and len(names) > 1:
        if len(samples) != len(names):
            raise ValueError(
                f"`samples` must hold {len(names)} arrays ({names}). "
                f"Received: {len(samples)}"
            )
        return {n: np.asarray(s) for n, s in zip(names, samples)}
    if hasattr(model, "check_x") and len(names) == 1:
        samples = model.check_x(samples, "samples")
    return {names[0]: np.asarray(samples)}


def _generate(spec, count, rng, sidecar):
    shape = [count] + [d if d is not None else 4 for d in spec.shape[1:]]
    dtype = spec.dtype
    if dtype.is_floating:
        # Raw pixels and raw numeric columns: spread over a realistic range.
        high = 255.0 if len(shape) == 4 else 1.0
        return (rng.random(shape) * high).astype(dtype.as_numpy_dtype)
    if dtype.is_integer:
        return rng.integers(0, 2, shape).astype(dtype.as_numpy_dtype)
    if dtype.is_bool:
        return rng.random(shape) < 0.5
    words = [w for w in (sidecar or {}).get("vocabulary", []) if w][:50]
    words = (words or ["the", "a", "model"]) + ["unseen-word!"]
    texts = [
        " ".join(rng.choice(words, size=int(rng.integers(1, 12))))
        for _ in range(int(np.prod(shape)))
    ]
    return np.array(texts, dtype=object).reshape(shape)


def _feeds_by_name(raw, names, specs):
    return {
        n: np.asarray(raw[n]).astype(s.dtype.as_numpy_dtype, copy=False)
        for n, s in zip(names, specs)
    }


def _num_rows(feeds):
    return int(len(next(iter(feeds.values()))))


# ------------------------------------------------------------ protocol helpers
def split_after(model, layer_name):
    """Returns the sub-model of `model` from `layer_name`'s output onwards.

    For a functional model `raw -> preprocessing layer -> rest`, this is the
    ONNX core: a new `keras.Model` whose input is the preprocessing output,
    sharing the weights of `model`. The preprocessing layer must be the only
    path from the raw input into the rest of the graph.
    """
    layer = model.get_layer(layer_name)
    out = layer.output
    outputs = model.outputs[0] if len(model.outputs) == 1 else model.outputs
    rest = keras.Model(out, outputs, name=f"{model.name}_core_graph")
    core_input = keras.Input(
        shape=out.shape[1:], dtype=out.dtype, name=f"{layer_name}_output"
    )
    return keras.Model(core_input, rest(core_input), name=f"{model.name}_core")


def text_vectorization_sidecar(layer, input_name=None, output_name=None):
    """Sidecar dict reproducing a `keras.layers.TextVectorization` in Python.

    Supports the `"int"` output mode with `standardize` in `None`, `"lower"`,
    `"strip_punctuation"`, `"lower_and_strip_punctuation"` and `split` in
    `None`, `"whitespace"`, `"character"`, without `ngrams`; raises
    `ValueError` for anything else (a custom callable cannot go to JSON).
    """
    config = layer.get_config()
    problems = []
    if config.get("output_mode") != "int":
        problems.append(f"output_mode={config.get('output_mode')!r}")
    if config.get("ngrams"):
        problems.append(f"ngrams={config.get('ngrams')!r}")
    if config.get("standardize") not in (
        None,
        "lower",
        "strip_punctuation",
        "lower_and_strip_punctuation",
    ):
        problems.append(f"standardize={config.get('standardize')!r}")
    if config.get("split") not in (None, "whitespace", "character"):
        problems.append(f"split={config.get('split')!r}")
    if problems:
        raise ValueError(
            "TextVectorization can only go to an ONNX sidecar with "
            "output_mode='int', a built-in standardize/split and no ngrams. "
            f"Received: {', '.join(problems)}"
        )
    return {
        "input_name": input_name,
        "output_name": output_name or f"{layer.name}_output",
        "vocabulary": [str(v) for v in layer.get_vocabulary()],
        "standardize": config.get("standardize"),
        "split": config.get("split"),
        "sequence_length": config.get("output_sequence_length"),
        "pad_to_max_tokens": bool(config.get("pad_to_max_tokens")),
        "max_tokens": config.get("max_tokens"),
    }


__all__ = [
    "DEFAULT_OPSET",
    "ROUTES",
    "OnnxExportError",
    "OnnxParityError",
    "OnnxReport",
    "as_float32",
    "convert_verified",
    "export_onnx",
    "input_specs",
    "output_names",
    "serving_function",
    "split_after",
    "text_vectorization_sidecar",
    "write_saved_model",
]
