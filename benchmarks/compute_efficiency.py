"""Compute efficiency: the image template's training FLOP/s vs the matmul peak.

Peak: the machine's float32 matmul peak, measured two ways, once each
before every repeat of the training runs: a chain of `tf.matmul`s
(`--matmul-size`, default 2048; 2 n^3 FLOPs each) in a `tf.function`, and
numpy's `a @ b` on the same size (its BLAS: OpenBLAS in the PyPI wheels). On
this kind of CPU they differ: TensorFlow's default CPU matmul (Eigen; the
oneDNN kernels are off by default on AMD CPUs) reached 93-125 GFLOP/s where
OpenBLAS reached 137-169, so "the machine's peak" is the higher of the two
(both are printed). Next to the "% of best peak" columns (a conservative
figure: median training rate over the best matmul) the table gives the
median over repeats of training rate / that repeat's own peak, a
side-by-side ratio that cancels most of a shared machine's slow and fast
spells (seen here: matmul 82-118 GFLOP/s within one run).

Achieved: training FLOPs per sample x samples/s of `model.fit` (the
template's own fit on in-memory digits, as a user calls it; first epoch
excluded). FLOPs per sample are counted by `tf.compat.v1.profiler`
(`float_operation`) on the forward graph of the model (inference mode, fixed
batch), times 3 for forward + backward (the usual 1x forward + 2x backward
rule; augmentation and the optimizer update are not counted, so the figure
is a slight under-estimate of the work done).

The template's default is measured twice, because its
`steps_per_execution="auto"` depends on the fit: a model first trained in one
fit of >= the image template's `auto_min_steps` (300) steps, as in a real
training run, runs 16 steps per `tf.function` call from then on; a model's
first short fits run 1 step per call (until they add up to those steps),
because the multi-step function's longer tracing would not pay for itself.
Every variant but the long-fit one compiles with an explicit number of steps
per call, so its row does not depend on how many calls the run makes.

Variants run interleaved in one process to explain the figure: batch size
(64 and 128),
augmentation off, 16 vs 1 steps per call, a 32x32x3 input where the
convolutions are 16x larger than on 8x8 digits, and the residual blocks
built with plain `keras.layers.Conv2D` instead of `kr.layers.FastConv2D`
(the template before its CPU-gradient fix; same weights and outputs), and
`FastConv2D` with TensorFlow's `Conv2DBackpropFilter` as its kernel gradient
(the layer before that gradient became a forward convolution). XLA is
not a variant: Keras 3.15 reports the template as not supporting
`jit_compile=True` (its augmentation layers) and runs it without.

    .venv/bin/python benchmarks/compute_efficiency.py [--repeats 3] [--note "..."]
        [--only "batch 64" "32x32x3"]
"""

import contextlib
import os

import keras
import numpy as np
import tensorflow as tf
from common import EpochTimer
from common import arg_parser
from common import report
from common import spread
from common import timed

import keras_recipes as kr
from keras_recipes.layers import conv_blocks
from keras_recipes.layers import fast_conv
from keras_recipes.tasks import steps_per_execution as policy


# Earlier versions of the kit's code, patched back in for side-by-side rows.
@contextlib.contextmanager
def stock_conv2d():
    """`ResidualBlock`s built inside the context use `keras.layers.Conv2D`.

    The template before `FastConv2D` (same weights and outputs; TensorFlow's
    gradient kernels for both convolution gradients).
    """
    fast = conv_blocks.FastConv2D
    conv_blocks.FastConv2D = keras.layers.Conv2D
    try:
        yield
    finally:
        conv_blocks.FastConv2D = fast


@contextlib.contextmanager
def tf_kernel_gradient():
    """`FastConv2D` as before its kernel gradient became a forward convolution.

    Inside the context, layers traced take their kernel gradient from
    TensorFlow's `Conv2DBackpropFilter` (their input gradient stays a forward
    convolution). The choice is made when a function is traced, so trace
    (first call) inside the context; later calls keep it.
    """

    def backprop_filter(x, dy, kernel_shape, tf_padding):
        return tf.raw_ops.Conv2DBackpropFilter(
            input=x,
            filter_sizes=list(kernel_shape),
            out_backprop=dy,
            strides=[1, 1, 1, 1],
            padding=tf_padding,
        )

    fast = fast_conv._kernel_gradient
    fast_conv._kernel_gradient = backprop_filter
    try:
        yield
    finally:
        fast_conv._kernel_gradient = fast


def matmul_peak(n, repeats, inner=5):
    a = tf.random.normal((n, n))
    # Scaled so a chain of products neither overflows nor vanishes.
    b = tf.random.normal((n, n)) / float(n) ** 0.5

    @tf.function
    def run(a, b):
        # Chained (each product feeds the next): identical independent
        # matmuls would be merged by Grappler's common-subexpression pass
        # and the peak over-counted `inner` times.
        out = a
        for _ in range(inner):
            out = tf.matmul(out, b)
        return tf.reduce_sum(out)

    run(a, b).numpy()  # trace + warm-up
    return [inner * 2 * n**3 / timed(lambda: run(a, b).numpy()) for _ in range(repeats)]


def numpy_matmul_peak(n, repeats, inner=5):
    """FLOP/s of numpy's float32 `a @ b` (its BLAS), one timing per repeat."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype="float32")
    b = rng.standard_normal((n, n), dtype="float32")
    out = np.empty_like(a)
    np.matmul(a, b, out=out)  # warm-up (BLAS threads, pages)

    def chain():
        for _ in range(inner):
            np.matmul(a, b, out=out)

    return [inner * 2 * n**3 / timed(chain) for _ in range(repeats)]


def forward_flops_per_sample(model, batch=8):
    """Forward FLOPs of one sample, from the TF profiler on a concrete graph."""
    spec = tf.TensorSpec((batch, *model.input_shape[1:]), "float32")
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        spec
    )
    opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    info = tf.compat.v1.profiler.profile(
        graph=concrete.graph,
        run_meta=tf.compat.v1.RunMetadata(),
        cmd="op",
        options=opts,
    )
    return info.total_float_ops / batch


# What "auto" runs in fits of >= LONG_FIT_STEPS steps (and in every fit once
# that function is traced); set explicitly where a long warm-up fit would be
# slow (batch 128: 12 steps per epoch).
SPE16 = {"steps_per_execution": policy.AUTO_STEPS_PER_EXECUTION}
# What "auto" runs in a model's first short fits.
SPE1 = {"steps_per_execution": 1}
LONG_FIT_STEPS = kr.tasks.ImageClassifier.auto_min_steps


def random_images(size=32, count=1024, classes=10):
    """Seeded random `(count, size, size, 3)` pixels and labels."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(count, size, size, 3)).astype("float32")
    return x, rng.integers(0, classes, size=count)


STOCK = "stock_conv"  # model-kwargs marker: blocks built with keras Conv2D
# Model-kwargs marker: warm up with one fit of >= LONG_FIT_STEPS steps, as a
# user's long training run does, so "auto" traces and then keeps 16 per call.
LONG = "long_fit"
# Model-kwargs marker: trace FastConv2D with TF's kernel gradient (before).
TF_KERNEL = "tf_kernel_gradient"


def make_variants(x_digits, y_digits):
    x32, y32 = random_images()
    digits = (x_digits, y_digits)
    return [
        # name, model kwargs, compile kwargs, batch size, data
        (
            f"template default, in a fit of >= {LONG_FIT_STEPS} steps "
            "(auto: 16 steps per call)",
            {LONG: True},
            {},
            32,
            digits,
        ),
        (
            "template default, in a model's first short fits (auto: 1 step per call)",
            {},
            SPE1,
            32,
            digits,
        ),
        (
            "keras Conv2D in the blocks (before FastConv2D), 16 steps per call",
            {STOCK: True},
            SPE16,
            32,
            digits,
        ),
        (
            "keras Conv2D in the blocks, 1 step per call",
            {STOCK: True},
            SPE1,
            32,
            digits,
        ),
        (
            "FastConv2D with TF's kernel gradient (before), 1 step per call",
            {TF_KERNEL: True},
            SPE1,
            32,
            digits,
        ),
        ("batch 64, 16 steps per call", {}, SPE16, 64, digits),
        ("batch 128, 16 steps per call", {}, SPE16, 128, digits),
        ("batch 128, 1 step per call", {}, SPE1, 128, digits),
        (
            "no augmentation, 16 steps per call",
            {"augmentation": None},
            SPE16,
            32,
            digits,
        ),
        ("32x32x3 input, batch 32", {}, SPE1, 32, (x32, y32)),
        (
            "32x32x3 input, keras Conv2D in the blocks, batch 32",
            {STOCK: True},
            SPE1,
            32,
            (x32, y32),
        ),
        (
            "32x32x3 input, FastConv2D with TF's kernel gradient (before), batch 32",
            {TF_KERNEL: True},
            SPE1,
            32,
            (x32, y32),
        ),
    ]


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        help="run only the variants whose names contain one of these strings "
        "(the two template-default rows always run)",
    )
    args = parser.parse_args()

    (x, y), _ = kr.datasets.load_digits()
    variants = make_variants(x, y)
    if args.only:
        variants = variants[:2] + [
            v for v in variants[2:] if any(part in v[0] for part in args.only)
        ]
    runs = []
    for name, model_kwargs, compile_kwargs, batch, (vx, vy) in variants:
        kr.set_seed(0)
        model_kwargs = dict(model_kwargs)
        stock = model_kwargs.pop(STOCK, False)
        long_fit = model_kwargs.pop(LONG, False)
        tf_kernel = model_kwargs.pop(TF_KERNEL, False)
        with stock_conv2d() if stock else contextlib.nullcontext():
            model = kr.image_classifier(data=(vx, vy), **model_kwargs)
        if compile_kwargs:
            model.compile(**compile_kwargs)
        flops = 3 * forward_flops_per_sample(model)
        runs.append(
            {
                "name": name,
                "model": model,
                "batch": batch,
                "data": (vx, vy),
                "flops": flops,
                "rates": [],
                "epoch_rates": [],
                "error": None,
                "trace_context": tf_kernel_gradient if tf_kernel else None,
                "warmup_epochs": -(-LONG_FIT_STEPS // -(-len(vx) // batch))
                if long_fit
                else 1,
            }
        )

    def train(run, epochs=1):
        vx, vy = run["data"]
        timer = EpochTimer()
        call = timed(
            run["model"].fit,
            (vx, vy),
            batch_size=run["batch"],
            epochs=epochs,
            verbose=0,
            tensorboard=False,
            seed=0,
            callbacks=[timer],
        )
        return len(vx) / call, len(vx) / timer.seconds

    for run in runs:  # warm-up: tracing + cache fill
        trace_context = run["trace_context"] or contextlib.nullcontext
        try:
            with trace_context():
                train(run, run["warmup_epochs"])
        except Exception as error:  # noqa: BLE001 - report, don't crash
            run["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    tf_peaks, np_peaks = [], []
    for _ in range(args.repeats):
        # numpy first: the TF matmul after it lets idle BLAS threads settle
        # before the training runs.
        np_peaks += numpy_matmul_peak(args.matmul_size, 1)
        tf_peaks += matmul_peak(args.matmul_size, 1)
        for run in runs:
            if run["error"] is None:
                call_rate, epoch_rate = train(run)
                run["rates"].append(call_rate)
                run["epoch_rates"].append(epoch_rate)
    # Each repeat's peak is the faster of the two matmuls in that repeat.
    peaks = [max(pair) for pair in zip(tf_peaks, np_peaks, strict=True)]
    peak = max(peaks)
    lines = [
        "| variant | fwd MFLOPs/sample | samples/s per fit call: median "
        "(min-max, n) | GFLOP/s | % of best peak | samples/s inside the epoch: "
        "median (min-max, n) | GFLOP/s | % of best peak | inside the epoch, % "
        "of the same repeat's peak: median (min-max) |",
        "| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for run in runs:
        if run["error"]:
            lines.append(
                f"| {run['name']} | {run['flops'] / 3e6:.2f} | failed: "
                f"{run['error']} | | | | | | |"
            )
            continue
        achieved = float(np.median(run["rates"])) * run["flops"]
        in_epoch = float(np.median(run["epoch_rates"])) * run["flops"]
        run["pct"] = 100 * achieved / peak
        run["epoch_pct"] = 100 * in_epoch / peak
        paired = [
            100 * rate * run["flops"] / repeat_peak
            for rate, repeat_peak in zip(run["epoch_rates"], peaks, strict=True)
        ]
        run["paired_pct"] = float(np.median(paired))
        lines.append(
            f"| {run['name']} | {run['flops'] / 3e6:.2f} | {spread(run['rates'])} | "
            f"{achieved / 1e9:.2f} | {run['pct']:.1f}% | "
            f"{spread(run['epoch_rates'])} | {in_epoch / 1e9:.2f} | "
            f"{run['epoch_pct']:.1f}% | {run['paired_pct']:.1f}% "
            f"({min(paired):.1f}-{max(paired):.1f}%) |"
        )

    def figures(run):
        pct, epoch_pct = run.get("pct", np.nan), run.get("epoch_pct", np.nan)
        paired = run.get("paired_pct", np.nan)
        verdict = "met" if min(pct, epoch_pct) >= 30 else "NOT met"
        return (
            f"per fit call {pct:.1f}%, inside the epoch {epoch_pct:.1f}% of the "
            f"best peak ({verdict} by both), inside the epoch vs the same "
            f"repeat's peak {paired:.1f}% ({'met' if paired >= 30 else 'NOT met'})"
        )

    only = " --only " + " ".join(f'"{part}"' for part in args.only) if args.only else ""
    body = (
        f"`.venv/bin/python benchmarks/compute_efficiency.py --repeats "
        f"{args.repeats}{only}`: the machine's float32 matmul peak "
        f"({args.matmul_size}x{args.matmul_size}, the faster of TensorFlow's "
        "and numpy's matmul, best of "
        f"{len(peaks)} repeats interleaved with the training repeats): "
        f"**{peak / 1e9:.1f} GFLOP/s**; `tf.matmul` best {max(tf_peaks) / 1e9:.1f} "
        f"(all: {', '.join(f'{p / 1e9:.1f}' for p in tf_peaks)}), numpy (its BLAS) "
        f"best {max(np_peaks) / 1e9:.1f} (all: "
        f"{', '.join(f'{p / 1e9:.1f}' for p in np_peaks)}); TF_ENABLE_ONEDNN_OPTS="
        f"{os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')}. "
        "Training FLOPs = 3 x "
        "forward FLOPs from `tf.compat.v1.profiler` (float_operation) on the "
        "model's forward graph; samples/s from one-epoch `model.fit` calls "
        "(template fit path, tensorboard off), timed around the whole call "
        "(dataset build, callbacks and teardown included) and, by a callback, "
        "from epoch begin to epoch end (the training loop alone); variants "
        "interleaved in one process; each model's warm-up fit excluded (1 "
        "epoch, or one fit of >= "
        f"{LONG_FIT_STEPS} steps for the long-fit row).\n\n"
        + "\n".join(lines)
        + "\n\nGoal >= 30% of peak on CPU for the template default: in a fit "
        f"of >= {LONG_FIT_STEPS} steps: {figures(runs[0])}; in a "
        f"model's first short fits: {figures(runs[1])}."
    )
    if runs[1]["epoch_rates"] and runs[0]["epoch_rates"]:
        ratios = [
            a / b
            for a, b in zip(runs[0]["epoch_rates"], runs[1]["epoch_rates"], strict=True)
        ]
        body += (
            "\n\nSteps per call: the template's default in a long fit (16 per "
            "call) vs in a short one (1 per call), inside the epoch, same repeat: "
            f"median {np.median(ratios):.2f}x ({min(ratios):.2f}-"
            f"{max(ratios):.2f}x)."
        )
    report("Compute efficiency (image template)", body, args)


if __name__ == "__main__":
    main()
