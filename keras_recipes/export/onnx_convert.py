"""Convert one Keras graph to ONNX and verify the file against Keras.

The shared lower layer of ONNX export: `convert_verified` converts a float32
`keras.Model` through the conversion routes in order (`"tf_function"`,
`"saved_model"`, `"keras"`) until one passes `onnx.checker` with
`full_check`, opens in onnxruntime with the model's inputs and outputs by
name and a dynamic batch axis, and matches Keras within `tolerance`. Both
`keras_recipes.export.onnx` (one graph + sidecar) and
`keras_recipes.export.onnx_seq2seq` (encoder + decoder graphs) build on it.
"""

import dataclasses
import os
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from keras_recipes import quiet
from keras_recipes import utils
from keras_recipes.protocol import is_task

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
    chatter = {}  # each failed route's converter log, shown only on failure
    for route in routes:
        # tf2onnx and TensorFlow log tracebacks and "Cannot infer shape" lines
        # even for models they convert correctly: kept off the terminal.
        with quiet.captured_logs() as log, quiet.native_stderr() as native:
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
                chatter[route] = quiet.tail(log.getvalue() + native.read())
                continue
        tried[route] = "ok"
        return route, checked, tried
    details = "; ".join(f"{r}: {e}" for r, e in tried.items())
    parity = [e for e in tried.values() if e.startswith("OnnxParityError")]
    error_cls = OnnxParityError if parity else OnnxExportError
    error = error_cls(
        f"{what or f'ONNX export of {core.name!r}'} failed verification on every "
        f"route ({', '.join(tried)}); no file was written to "
        f"{filepath or path!r}. {details}"
    )
    for route, text in chatter.items():
        if text:
            error.add_note(f"converter log of route {route!r} (last lines):\n{text}")
    raise error


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
        if is_task(model):
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


def input_specs(model):
    """Returns `(names, specs)` of `model`'s inputs with a dynamic batch axis.

    Names are the dict keys for dict inputs, else the `keras.Input` names.
    """
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


def pack_inputs(model, flat, names):
    """Flat input tensors (in `names` order) -> the structure `model` takes."""
    struct = model.input
    if isinstance(struct, dict):
        return dict(zip(names, flat))
    return keras.tree.pack_sequence_as(struct, list(flat))


def serving_function(model, specs=None):
    """A `tf.function` over raw inputs (dynamic batch) returning named outputs.

    `model` runs with `training=False`. Outputs come back as a dict keyed by
    the model's output names.
    """
    names, default_specs = input_specs(model)
    specs = specs or default_specs
    outs = output_names(model)

    @tf.function(input_signature=specs)
    def serve(*args):
        result = model(pack_inputs(model, args, names), training=False)
        return dict(zip(outs, keras.tree.flatten(result)))

    return serve


# ---------------------------------------------------------------- conversion
def _convert(route, core, in_names, in_specs, out_names, opset, path):
    if route == "tf_function":
        import tf2onnx  # optional dependency, loaded on first use

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
        result = model(pack_inputs(model, args, names), training=False)
        return dict(zip(outs, keras.tree.flatten(result)))

    archive.add_endpoint(name="serve", fn=serve, input_signature=specs)
    archive.write_out(path, verbose=False)
    return path


# -------------------------------------------------------------- verification
def _verify_file(
    path, in_names, out_names, feeds, reference, tolerance, check_parity=True
):
    import onnx  # optional dependencies, loaded on first use
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
    error = scaled = 0.0
    for name, got, want in zip(out_names, ort_out, reference):
        got = np.asarray(got)
        if got.shape != want.shape:
            raise OnnxParityError(
                f"output {name!r} has shape {got.shape} in ONNX Runtime but "
                f"{want.shape} in Keras"
            )
        diff = np.abs(got.astype("float64") - want)
        error = max(error, float(np.max(diff, initial=0.0)))
        # Relative beyond 1: a regressor's outputs are in the target's units
        # (a year, a price), where float32 spacing alone exceeds 1e-5.
        magnitude = np.maximum(1.0, np.abs(np.asarray(want, "float64")))
        scaled = max(scaled, float(np.max(diff / magnitude, initial=0.0)))
    if check_parity and not scaled <= tolerance:
        raise OnnxParityError(
            f"max abs error {error:.3g} between ONNX Runtime and Keras exceeds "
            f"tolerance={tolerance:g}"
            + ("" if scaled == error else f" (relative to the outputs: {scaled:.3g})")
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
        "ort_latency_ms": median_ms(lambda: session.run(out_names, feeds)),
    }


def _dims(shape):
    return [d if isinstance(d, int) else None for d in shape]


def median_ms(fn, repeats=10):
    """Median milliseconds of `fn()` over `repeats` calls, after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def keras_latency_ms(core, feeds):
    """Median milliseconds of `core(feeds)` with `training=False`."""
    names, _ = input_specs(core)
    x = pack_inputs(core, [feeds[n] for n in names], names)
    return median_ms(lambda: core(x, training=False))


def keras_outputs(model, feeds):
    """Outputs of `model` on `feeds` (by input name), float64, flattened."""
    names, _ = input_specs(model)
    x = pack_inputs(model, [feeds[n] for n in names], names)
    result = model(x, training=False)
    return [
        np.asarray(keras.ops.convert_to_numpy(r), "float64")
        for r in keras.tree.flatten(result)
    ]
