"""`keras-recipes export MODEL.keras --format onnx --output PATH`."""

import json
import os

from keras_recipes import export as export_lib
from keras_recipes import validation
from keras_recipes.export.formats import FORMATS
from keras_recipes.export.formats import SUFFIXES
from keras_recipes.protocol import is_task
from keras_recipes.saving import load_model


def default_output(model_path, format):
    """Output path next to the model: `m.onnx`, `m_saved_model/`, `m.keras`."""
    stem = os.path.splitext(os.fspath(model_path))[0]
    if format == "keras":  # not the input file itself
        stem += "_export"
    return stem + SUFFIXES[format]


def export_command(args):
    """Runs the `export` subcommand; prints what was written.

    Args:
        args: namespace with `model` (a `.keras` path), `format` (one of
            `FORMATS`: `"keras"`, `"saved_model"` or `"onnx"`) and `output`
            (path or `None`).

    Returns:
        The ONNX report dict, or `{"path": ...}` for the other formats.

    Raises:
        ValueError: bad path or format, or an ONNX export that fails
            verification (no file is left behind).
    """
    fmt = validation.check_choice("format", args.format, FORMATS)
    output = args.output or default_output(args.model, fmt)
    model = load_model(args.model)
    if is_task(model):  # every keras.Model has an `export`; Keras' own differs
        result = model.export(output, format=fmt)
    else:
        result = export_lib.export(model, output, format=fmt)
    if fmt == "onnx":
        info = result.to_dict()
        print(
            f"wrote {os.path.abspath(info['path'])} (route {info['route']}, "
            f"opset {info['opset']})"
        )
        for kind, path in (info.get("files") or {}).items():  # seq2seq: 3 files
            if path != info["path"]:
                print(f"{kind} {os.path.abspath(path)}")
        if info.get("sidecar_path") and not info.get("files"):
            print(f"sidecar {os.path.abspath(info['sidecar_path'])}")
        if info.get("first_step_max_abs_error") is not None:
            print(
                f"greedy decoding: {info['decoded_exact_match']:.0%} of "
                f"{info['num_samples']} sentences decode to the same token "
                "ids as Keras; first-step max abs logit error "
                f"{info['first_step_max_abs_error']:.2e}"
            )
        print(
            f"parity max abs error {info['max_abs_error']:.2e} "
            f"(tolerance {info['tolerance']:.0e}) on {info['num_samples']} samples"
        )
        print(
            json.dumps(
                {
                    k: info[k]
                    for k in (
                        "input_names",
                        "input_shapes",
                        "output_names",
                        "output_shapes",
                        "ort_latency_ms",
                        "keras_latency_ms",
                    )
                }
            )
        )
        return info
    print(f"wrote {os.path.abspath(result)}")
    return {"path": result}
