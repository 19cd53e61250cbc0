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
graph goes through `convert_verified`, the route loop shared by both paths.
"""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np

from keras_recipes import utils
from keras_recipes import validation

ROUTES = ("tf_function", "saved_model", "keras")
DEFAULT_OPSET = 17


class OnnxExportError(ValueError):
    """Raised when no conversion route produces a verified ONNX model."""


class OnnxParityError(OnnxExportError):
    """Raised when ONNX Runtime outputs differ from Keras beyond tolerance."""


@dataclasses.dataclass
class OnnxReport:
    """What `export_onnx` wrote and how well it matches Keras.

    Also readable like a dict (`report["max_abs_error"]`); `to_dict()` gives a
    JSON-ready dict.
    """

    path: str
    route: str
    opset: int
    input_names: list
    input_shapes: list
    output_names: list
    output_shapes: list
    max_abs_error: float
    tolerance: float
    num_samples: int
    ort_latency_ms: float
    keras_latency_ms: float
    float32_cast: bool = False
    sidecar_path: str = None
    preprocess: str = None
    routes_tried: dict = dataclasses.field(default_factory=dict)

    def __getitem__(self, key):
        return getattr(self, key)

    def keys(self):
        return [f.name for f in dataclasses.fields(self)]

    def to_dict(self):
        return dataclasses.asdict(self)


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
        tolerance: largest accepted absolute difference of any output.
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
    filepath = os.fspath(filepath)
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
        from keras_recipes.export import onnx_seq2seq

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
        from keras_recipes.export import onnx_preprocess

        preprocess = onnx_preprocess.get(preprocess_name)
        sidecar = dict(sidecar or {}, preprocess=preprocess_name)

    raw = _prepare_samples(full, samples, sidecar, num_samples, seed)
    if preprocess is not None:
        feeds = preprocess(raw, sidecar)
    else:
        feeds = _feeds_by_name(raw, in_names, in_specs)
    reference = _keras_outputs(
        full if preprocess is not None else core,
        raw,
        feeds,
        in_names,
        preprocess is not None,
    )

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
        keras_latency_ms=_keras_latency_ms(core, feeds, in_names),
        float32_cast=cast,
        sidecar_path=sidecar_path,
        preprocess=preprocess_name,
        routes_tried=tried,
    )


def convert_verified(
    core,
    path,
    feeds,
    reference,
    tolerance=1e-5,
    opset=DEFAULT_OPSET,
    routes=ROUTES,
    check_parity=True,
    what=None,
    filepath=None,
):
    """Converts `core` to the ONNX file `path`, trying `routes` until one verifies.

    The shared step of every ONNX export: convert, then `_verify_file`
    (checker, onnxruntime session, graph inputs/outputs by name, dynamic
    batch axis, outputs vs `reference` within `tolerance`).

    Args:
        core: the float32 `keras.Model` to convert.
        path: where to write (normally a temporary path; the caller renames).
        feeds: `{input name: np.ndarray}` fed to onnxruntime.
        reference: Keras outputs on the same feeds, in `output_names(core)`
            order.

    Returns:
        `(route, checked, routes_tried)`: `checked` holds `opset`,
        `input_shapes`, `output_names`, `output_shapes`, `max_abs_error` and
        `ort_latency_ms`.

    Raises:
        OnnxParityError: some route converted but its outputs differ.
        OnnxExportError: no route produced a valid, loadable model.
    """
    in_names, in_specs = input_specs(core)
    out_names = output_names(core)
    tried = {}
    for route in routes:
        try:
            _convert(route, core, in_names, in_specs, out_names, opset, path)
            checked = _verify_file(
                path,
                in_names,
                out_names,
                feeds,
                reference,
                tolerance,
                check_parity=check_parity,
            )
        except Exception as error:  # noqa: BLE001 - each route may fail anyhow
            tried[route] = f"{type(error).__name__}: {error}"[:2000]
            continue
        tried[route] = "ok"
        return route, checked, tried
    details = "; ".join(f"{r}: {e}" for r, e in tried.items())
    parity = [e for e in tried.values() if e.startswith("OnnxParityError")]
    error_cls = OnnxParityError if parity else OnnxExportError
    raise error_cls(
        f"{what or f'ONNX export of {core.name!r}'} failed verification on every "
        f"route ({', '.join(tried)}); no file was written to "
        f"{filepath or path!r}. {details}"
    )


# --------------------------------------------------------------------- model
def as_float32(model):
    """Returns `(float32 model, cast)`: a float32 rebuild of a mixed model.

    Tasks are rebuilt from their config (their constructor arguments) with
    its `dtype` set to `float32`; other functional models are cloned with
    every layer's dtype set to `float32`. Weights are copied.
    """
    if all(_is_float32(layer) for layer in _all_layers(model)):
        return model, False
    with utils.dtype_policy("float32"):
        from keras_recipes.tasks.task import Task

        if isinstance(model, Task):
            clone = type(model).from_config({**model.get_config(), "dtype": "float32"})
        else:

            def to_float32(layer):
                config = layer.get_config()
                config["dtype"] = "float32"
                return layer.__class__.from_config(config)

            clone = keras.models.clone_model(model, clone_function=to_float32)
    clone.set_weights(
        [
            np.asarray(w, "float32") if np.asarray(w).dtype.kind == "f" else w
            for w in model.get_weights()
        ]
    )
    return clone, True


def _all_layers(model):
    seen = []
    stack = [model]
    while stack:
        layer = stack.pop()
        seen.append(layer)
        stack.extend(getattr(layer, "layers", []) or [])
    return seen


def _is_float32(layer):
    policy = getattr(layer, "dtype_policy", None)
    if policy is None:
        return True
    compute = getattr(policy, "compute_dtype", "float32")
    return compute in ("float32", None) or not str(compute).startswith(
        ("float16", "bfloat16")
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


def input_specs(model):
    """Returns `(names, specs)` of `model`'s inputs with a dynamic batch axis.

    Names are the dict keys for dict inputs, else the `keras.Input` names.
    """
    import tensorflow as tf

    struct = model.input
    if isinstance(struct, dict):
        names = sorted(struct)
        tensors = [struct[n] for n in names]
    else:
        tensors = keras.tree.flatten(struct)
        names = [t.name for t in tensors]
    specs = [
        tf.TensorSpec((None, *t.shape[1:]), tf.as_dtype(t.dtype), name=n)
        for n, t in zip(names, tensors)
    ]
    return names, specs


def output_names(model):
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(model.outputs):
        names = [f"output_{i}" for i in range(len(model.outputs))]
    return names


def _pack(model, flat, names):
    struct = model.input
    if isinstance(struct, dict):
        return dict(zip(names, flat))
    return keras.tree.pack_sequence_as(struct, list(flat))


def serving_function(model, specs=None):
    """A `tf.function` over raw inputs (dynamic batch) returning named outputs.

    `model` runs with `training=False`. Outputs come back as a dict keyed by
    the model's output names.
    """
    import tensorflow as tf

    names, default_specs = input_specs(model)
    specs = specs or default_specs
    outs = output_names(model)

    @tf.function(input_signature=specs)
    def serve(*args):
        result = model(_pack(model, args, names), training=False)
        return dict(zip(outs, keras.tree.flatten(result)))

    return serve


# ---------------------------------------------------------------- conversion
def _convert(route, core, in_names, in_specs, out_names, opset, path):
    if route == "tf_function":
        import tf2onnx

        function = serving_function(core, in_specs)
        tf2onnx.convert.from_function(
            function, input_signature=in_specs, opset=opset, output_path=path
        )
    elif route == "saved_model":
        with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp:
            saved = os.path.join(tmp, "saved_model")
            write_saved_model(core, saved)
            command = [
                sys.executable,
                "-m",
                "tf2onnx.convert",
                "--saved-model",
                saved,
                "--signature_def",
                "serving_default",
                "--opset",
                str(opset),
                "--output",
                path,
            ]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise OnnxExportError(
                    "tf2onnx.convert --saved-model failed: "
                    + done.stderr.strip().splitlines()[-1]
                    if done.stderr.strip()
                    else f"exit {done.returncode}"
                )
    else:
        keras.Model.export(
            core,
            path,
            format="onnx",
            verbose=False,
            opset_version=opset,
            input_signature=[
                keras.InputSpec(shape=s.shape, dtype=s.dtype.name, name=s.name)
                for s in in_specs
            ]
            if len(in_specs) == 1
            else [
                [
                    keras.InputSpec(shape=s.shape, dtype=s.dtype.name, name=s.name)
                    for s in in_specs
                ]
            ],
        )
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        raise OnnxExportError(f"route {route!r} wrote no file")


def write_saved_model(model, path):
    """Writes a SavedModel with a raw-input `serve` endpoint (training=False)."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    names, specs = input_specs(model)
    outs = output_names(model)

    def serve(*args):
        result = model(_pack(model, args, names), training=False)
        return dict(zip(outs, keras.tree.flatten(result)))

    archive.add_endpoint(name="serve", fn=serve, input_signature=specs)
    archive.write_out(path, verbose=False)
    return path


# -------------------------------------------------------------- verification
def _verify_file(
    path, in_names, out_names, feeds, reference, tolerance, check_parity=True
):
    import onnx
    import onnxruntime as ort

    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    graph_inputs = [i.name for i in session.get_inputs()]
    if sorted(graph_inputs) != sorted(in_names):
        raise OnnxExportError(
            f"ONNX graph inputs {graph_inputs} are not the model inputs {in_names}"
        )
    graph_outputs = [o.name for o in session.get_outputs()]
    if sorted(graph_outputs) != sorted(out_names):
        raise OnnxExportError(
            f"ONNX graph outputs {graph_outputs} are not the model outputs {out_names}"
        )
    batch = session.get_inputs()[0].shape[0]
    if isinstance(batch, int):
        raise OnnxExportError(f"ONNX batch axis is fixed to {batch}, not dynamic")
    ort_out = session.run(out_names, feeds)
    error = 0.0
    for name, got, want in zip(out_names, ort_out, reference):
        got = np.asarray(got)
        if got.shape != want.shape:
            raise OnnxParityError(
                f"output {name!r} has shape {got.shape} in ONNX Runtime but "
                f"{want.shape} in Keras"
            )
        error = max(error, float(np.max(np.abs(got.astype("float64") - want))))
    if check_parity and not error <= tolerance:
        raise OnnxParityError(
            f"max abs error {error:.3g} between ONNX Runtime and Keras exceeds "
            f"tolerance={tolerance:g}"
        )
    opset = max(
        (o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        default=None,
    )
    return {
        "opset": opset,
        "input_shapes": [_dims(i.shape) for i in session.get_inputs()],
        "output_names": out_names,
        "output_shapes": [_dims(o.shape) for o in session.get_outputs()],
        "max_abs_error": error,
        "ort_latency_ms": _median_ms(lambda: session.run(out_names, feeds)),
    }


def _dims(shape):
    return [d if isinstance(d, int) else None for d in shape]


def _median_ms(fn, repeats=10):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def _keras_latency_ms(core, feeds, in_names):
    names, _ = input_specs(core)
    x = _pack(core, [feeds[n] for n in names], names)
    return _median_ms(lambda: core(x, training=False))


# -------------------------------------------------------------------- samples
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


def _keras_outputs(model, raw, feeds, in_names, from_raw):
    names, specs = input_specs(model)
    source = raw if from_raw else feeds
    x = _pack(model, [source[n] for n in names], names)
    result = model(x, training=False)
    return [
        np.asarray(keras.ops.convert_to_numpy(r), "float64")
        for r in keras.tree.flatten(result)
    ]


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
