"""ONNX Runtime vs `model.predict` vs `model(x)` latency for the image classifier.

    python benchmarks/onnx_latency.py [--repeats 15] [--image-size 32]
        [--seq2seq] [--skip-image] [--note "..."] [--no-write]

`--seq2seq` adds greedy translation throughput (sentences/s) of a
`kr.seq2seq_transformer` (template defaults) briefly trained on
`kr.datasets.load_dates`: the TF-free `onnx_preprocess.OnnxTranslator`
(ONNX encoder + decoder graphs, whole prefix each step, no KV cache) vs
`model.translate(beam_width=1)` (in-graph `tf.while_loop`), for 1 and 64
sentences, after checking both give the same translations.

Exports a `kr.image_classifier` (default settings, 3 classes, 32x32x3) to
verified ONNX, then times batch-1 and batch-256 inference with the three
methods, interleaved (one call of each per repeat, so load changes hit all
three alike). Prints medians with the interquartile range and appends a dated
section with machine info to `benchmarks/RESULTS.md` (`common.report`).
Goal: ONNX Runtime batch-1 <= 0.2x `predict` batch-1.
"""

import os
import sys
import tempfile

import numpy as np
from common import arg_parser
from common import report
from common import timed
from common import timed_call

import keras_recipes as kr
from keras_recipes.export import onnx_preprocess


def main(argv=None):
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument(
        "--seq2seq", action="store_true", help="also time seq2seq greedy translation"
    )
    parser.add_argument("--seq2seq-train", type=int, default=2000)
    parser.add_argument("--seq2seq-epochs", type=int, default=3)
    parser.add_argument("--skip-image", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_image:
        report("ONNX latency", image_section(args), args)
    if args.seq2seq:
        report("Seq2seq ONNX greedy translation", seq2seq_section(args), args)
    return 0


def versions():
    import onnxruntime as ort  # optional dependency: export only
    import tf2onnx  # optional dependency: export only

    return (
        f"Versions: onnxruntime {ort.__version__}, tf2onnx {tf2onnx.__version__}, "
        f"numpy {np.__version__}."
    )


def image_section(args):
    import onnxruntime as ort  # optional dependency: export only

    kr.set_seed(0)
    size = args.image_size
    model = kr.image_classifier(num_classes=3, image_shape=(size, size, 3))
    rng = np.random.default_rng(0)
    batches = {
        b: rng.integers(0, 256, (b, size, size, 3)).astype("float32") for b in (1, 256)
    }
    path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    export = model.export(path, format="onnx", samples=batches[256][:32])
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

    methods = {
        "onnxruntime": lambda x: session.run(None, {"image": x}),
        "model.predict": lambda x: model.predict(x, batch_size=len(x), verbose=0),
        "model(x)": lambda x: model(x, training=False),
    }
    times = {(m, b): [] for m in methods for b in batches}
    for x in batches.values():  # warm-up (tracing, session init)
        for fn in methods.values():
            fn(x)
    for _ in range(args.repeats):
        for b, x in batches.items():
            for name, fn in methods.items():
                times[(name, b)].append(timed(fn, x) * 1e3)

    rows = []
    for (name, b), values in times.items():
        q1, med, q3 = np.percentile(values, [25, 50, 75])
        rows.append((name, b, med, q1, q3, min(values)))
    med = {(n, b): m for n, b, m, *_ in rows}
    ratio1 = med[("onnxruntime", 1)] / med[("model.predict", 1)]
    ratio256 = med[("onnxruntime", 256)] / med[("model.predict", 256)]

    lines = [
        f"`python benchmarks/onnx_latency.py --repeats {args.repeats} "
        f"--image-size {size}`: `kr.image_classifier(num_classes=3, "
        f"image_shape=({size}, {size}, 3))` (default resnet_se, "
        f"{model.count_params():,} params), ONNX route `{export.route}`, "
        f"opset {export.opset}, parity max abs error "
        f"{export.max_abs_error:.1e}. Interleaved repeats; times in ms.",
        "",
        versions(),
        "",
        "| method | batch | median | IQR | min |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, b, m, q1, q3, lo in rows:
        lines.append(f"| {name} | {b} | {m:.2f} | {q1:.2f}–{q3:.2f} | {lo:.2f} |")
    lines += [
        "",
        f"ONNX Runtime / predict: batch 1 = {ratio1:.3f}x "
        f"(goal <= 0.2x: {'met' if ratio1 <= 0.2 else 'NOT met'}), "
        f"batch 256 = {ratio256:.3f}x.",
        "",
    ]
    return "\n".join(lines)


def seq2seq_section(args):
    kr.set_seed(0)
    (x, y), (x_test, y_test) = kr.datasets.load_dates(
        num_train=args.seq2seq_train, num_test=64, seed=0
    )
    model = kr.seq2seq_transformer(data=(x, y), seed=0)
    train_s = timed(
        model.fit,
        (x, y),
        epochs=args.seq2seq_epochs,
        batch_size=64,
        seed=0,
        tensorboard=False,
        verbose=0,
    )
    path = os.path.join(tempfile.mkdtemp(), "translator.onnx")
    export, export_s = timed_call(
        model.export, path, format="onnx", samples=x_test[:16]
    )
    translator = onnx_preprocess.OnnxTranslator(path)
    keras_out = model.translate(x_test)
    same = translator.translate(x_test) == keras_out
    exact = sum(a == b for a, b in zip(keras_out, y_test))

    batches = {1: x_test[:1], 64: x_test}
    methods = {
        "onnxruntime greedy (OnnxTranslator)": translator.translate,
        "model.translate (beam_width=1)": model.translate,
    }
    for x in batches.values():  # warm-up (tracing, session init)
        for fn in methods.values():
            fn(x)
    times = {(m, b): [] for m in methods for b in batches}
    for _ in range(args.repeats):
        for b, x in batches.items():
            for name, fn in methods.items():
                times[(name, b)].append(timed(fn, x) * 1e3)
    lines = [
        f"`python benchmarks/onnx_latency.py --seq2seq --repeats {args.repeats}`: "
        f"`kr.seq2seq_transformer` template defaults "
        f"({model.count_params():,} params) trained {args.seq2seq_epochs} epochs "
        f"on {args.seq2seq_train} `load_dates` pairs ({train_s:.0f} s; "
        f"{exact}/64 test dates exact); export {export_s:.0f} s, route "
        f"`{export.route}`, opset {export.opset}, max abs error "
        f"{export.max_abs_error:.1e}, first-step logit error "
        f"{export.first_step_max_abs_error:.1e}, ONNX translations "
        f"{'identical to' if same else 'DIFFERENT from'} Keras on 64 test "
        "sentences. Interleaved repeats.",
        "",
        versions(),
        "",
        "| method | sentences | median ms | IQR ms | sentences/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for (name, b), values in times.items():
        q1, med, q3 = np.percentile(values, [25, 50, 75])
        lines.append(
            f"| {name} | {b} | {med:.1f} | {q1:.1f}–{q3:.1f} | {b / (med / 1e3):.1f} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
