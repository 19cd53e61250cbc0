"""ONNX Runtime vs `model.predict` vs `model(x)` latency for the image classifier.

    python benchmarks/onnx_latency.py [--repeats 15] [--image-size 32]

Exports a `kr.image_classifier` (default settings, 3 classes, 32x32x3) to
verified ONNX, then times batch-1 and batch-256 inference with the three
methods, interleaved (one call of each per repeat, so load changes hit all
three alike). Prints medians with the interquartile range and appends a dated
section with machine info to `benchmarks/RESULTS.md` (never overwrites it).
Goal: ONNX Runtime batch-1 <= 0.2x `predict` batch-1.
"""

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = parser.parse_args(argv)

    import keras
    import onnxruntime as ort
    import tensorflow as tf
    import tf2onnx

    import keras_recipes as kr

    kr.set_seed(0)
    size = args.image_size
    model = kr.image_classifier(num_classes=3, image_shape=(size, size, 3))
    rng = np.random.default_rng(0)
    batches = {
        b: rng.integers(0, 256, (b, size, size, 3)).astype("float32")
        for b in (1, 256)
    }
    path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    report = model.export(path, format="onnx", samples=batches[256][:32])
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
                times[(name, b)].append(timed(lambda fn=fn, x=x: fn(x)))

    rows = []
    for (name, b), values in times.items():
        q1, med, q3 = np.percentile(values, [25, 50, 75])
        rows.append((name, b, med, q1, q3, min(values)))
    med = {(n, b): m for n, b, m, *_ in rows}
    ratio1 = med[("onnxruntime", 1)] / med[("model.predict", 1)]
    ratio256 = med[("onnxruntime", 256)] / med[("model.predict", 256)]

    lines = [
        "",
        f"## ONNX latency — {datetime.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"`python benchmarks/onnx_latency.py --repeats {args.repeats} "
        f"--image-size {size}`: `kr.image_classifier(num_classes=3, "
        f"image_shape=({size}, {size}, 3))` (default resnet_se, "
        f"{model.count_params():,} params), ONNX route `{report.route}`, "
        f"opset {report.opset}, parity max abs error "
        f"{report.max_abs_error:.1e}. Interleaved repeats; times in ms.",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} logical cores visible; "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, onnxruntime {ort.__version__}, "
        f"tf2onnx {tf2onnx.__version__}, numpy {np.__version__}.",
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
    text = "\n".join(lines)
    print(text)
    new = not os.path.exists(args.results)
    with open(args.results, "a", encoding="utf-8") as file:
        if new:
            file.write("# Benchmark results\n\nAppended by the scripts in "
                       "`benchmarks/`; newest last.\n")
        file.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
