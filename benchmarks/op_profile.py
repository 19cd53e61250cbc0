"""Where the image template's training step spends its CPU time, per op type.

`compute_efficiency.py` says how far the image template's training FLOP/s
is from the machine's matmul peak; this script says why. It records a
`model.fit` of the image template with TensorFlow's profiler
(`tf.profiler.experimental`), reads the trace (the `XSpace` protobuf the
profiler writes) and adds up, per op type, the time TensorFlow's executor
threads spent running each kernel. Op types are grouped:

  - convolution: the forward convolutions and TensorFlow's convolution
    gradients (`Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`;
    `FastConv2D` computes its gradients as `Conv2D` ops);
  - layout: `Transpose`, `ReverseV2` and padding (`FastConv2D`'s gradients
    transpose activations and flip kernels);
  - optimizer update: the fused Adam update and the weight decay;
  - matmul: the dense layers (squeeze-excitation and the head);
  - other traced kernels: element-wise ops and reductions (batch
    normalization, augmentation, activations, the loss), each small;
  - executor bookkeeping and untraced cheap ops: the rest of the time the
    executor threads were busy (their `ExecutorState::Process` events).
    Once TensorFlow's executor has measured an op as cheap it runs it inline
    without a trace event (seen here: after ~180 steps of a model, ~3/4 of
    the `Mul` and `AssignSubVariableOp` ops of a digits step stop showing
    up), so time moves between this row and the rows of cheap ops (other,
    optimizer update) with how long the model has run; the busy total and
    the rows of expensive ops (convolution, layout, matmul) do not move.

Per variant and repeat (variants interleaved, after one warm-up fit each): an
unprofiled fit of `--epochs` epochs gives the wall time per train step
(and so the achieved share of the matmul peak, as `compute_efficiency.py`
counts FLOPs); then a profiled fit of the same length gives the kernel
time per step by op group, and how busy the executor threads were (busy time /
(wall time x cores): the rest is time no kernel was ready to run, waiting
on the step's dependency chain or on Python between steps). Times are
kernel durations summed over the executor threads: two kernels that run
side by side, each split over the same cores, each count their whole
duration, so read the shares, not the sums, as where the time goes. The
last row estimates the share of the peak the step would reach if only the
convolutions took time (achieved share / the convolutions' share of the
busy time): what the rest of the step costs on that input size. The peak is
the faster of a `tf.matmul` chain and numpy's matmul, as in `compute_efficiency.py`.

Variants: the template on digits (8x8x1, batch 32, as the demo trains it),
the same with plain `keras.layers.Conv2D` in the residual blocks (before
`FastConv2D`), and the template on random 32x32x3 images.

    .venv/bin/python benchmarks/op_profile.py [--repeats 3] [--epochs 2]
"""

import collections
import contextlib
import glob
import os
import tempfile
import time
from statistics import median

import tensorflow as tf
from common import arg_parser
from common import report
from compute_efficiency import forward_flops_per_sample
from compute_efficiency import matmul_peak
from compute_efficiency import numpy_matmul_peak
from compute_efficiency import random_images
from tensorflow.tsl.profiler.protobuf import xplane_pb2
from variants import stock_conv2d

import keras_recipes as kr

GROUPS = {
    "convolution": {
        "Conv2D",
        "Conv2DBackpropInput",
        "Conv2DBackpropFilter",
        "_FusedConv2D",
        "DepthwiseConv2dNative",
        "DepthwiseConv2dNativeBackpropInput",
        "DepthwiseConv2dNativeBackpropFilter",
    },
    "layout (transpose, flip, pad)": {"Transpose", "ReverseV2", "Pad", "PadV2"},
    "optimizer update": {
        "ResourceApplyAdam",
        "AssignSubVariableOp",
        "AssignAddVariableOp",
        "AssignVariableOp",
    },
    "matmul (dense layers)": {"MatMul", "_FusedMatMul", "BatchMatMulV2"},
}
BATCH = 32  # the template's default batch size, as the demo trains
OTHER = "other traced kernels (element-wise, reductions, ...)"
# Executor time outside traced kernels: its bookkeeping, and the cheap ops it
# runs without a trace event once it has measured them as cheap.
UNTRACED = "executor bookkeeping and untraced cheap ops"
# Executor and trace bookkeeping events on the same threads, not kernels.
NOT_KERNELS = {"Process", "Record", "StartRegion", "StopRegion"}


def group_of(op_type):
    for group, types in GROUPS.items():
        if op_type in types:
            return group
    return OTHER


def op_times(logdir):
    """Kernel time per op type, and the executor threads' busy time, of a trace.

    Returns `(seconds, counts, busy)`: `{op type: seconds}` and `{op type:
    count}` of the kernels traced on TensorFlow's executor threads, and the
    time those threads spent in `ExecutorState::Process` (running kernels,
    traced or not, and the executor's own bookkeeping).
    """
    paths = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
    if not paths:
        raise RuntimeError(f"the profiler wrote no trace under {logdir}")
    space = xplane_pb2.XSpace()
    with open(paths[0], "rb") as file:
        space.ParseFromString(file.read())
    seconds, counts, busy = collections.Counter(), collections.Counter(), 0.0
    for plane in space.planes:
        for line in plane.lines:
            # TensorFlow's executor threads run the graph's kernels.
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                op_type = name.rsplit(":", 1)[-1]
                if op_type == "Process":
                    busy += event.duration_ps * 1e-12
                if ":" not in name or op_type in NOT_KERNELS:
                    continue
                seconds[op_type] += event.duration_ps * 1e-12
                counts[op_type] += 1
    if not seconds or not busy:
        raise RuntimeError("the trace holds no kernel events on executor threads")
    return seconds, counts, busy


def make_variants(x_digits, y_digits):
    x32, y32 = random_images()
    return [
        ("template on digits (8x8x1), batch 32", False, (x_digits, y_digits)),
        ("keras Conv2D in the blocks, digits, batch 32", True, (x_digits, y_digits)),
        ("template on 32x32x3 images, batch 32", False, (x32, y32)),
    ]


def main():
    parser = arg_parser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--matmul-size", type=int, default=2048)
    args = parser.parse_args()
    cores = os.cpu_count()

    (x, y), _ = kr.datasets.load_digits()
    runs = []
    for name, stock, data in make_variants(x, y):
        kr.set_seed(0)
        with stock_conv2d() if stock else contextlib.nullcontext():
            model = kr.image_classifier(data=data)
        runs.append(
            {
                "name": name,
                "model": model,
                "data": data,
                "flops": 3 * forward_flops_per_sample(model),
                "steps": args.epochs * -(-len(data[0]) // BATCH),
                "wall": [],
                "profiled_wall": [],
                "groups": collections.defaultdict(list),
                "types": collections.defaultdict(list),
                "counts": {},
            }
        )

    def fit(run):
        start = time.perf_counter()
        run["model"].fit(
            run["data"],
            batch_size=BATCH,
            epochs=args.epochs,
            verbose=0,
            tensorboard=False,
            seed=0,
        )
        return (time.perf_counter() - start) / run["steps"]

    for run in runs:  # warm-up: tracing, the optimizer build, cache fill
        fit(run)
    peaks = []
    for _ in range(args.repeats):
        peaks.append(
            max(
                numpy_matmul_peak(args.matmul_size, 1)[0],
                matmul_peak(args.matmul_size, 1)[0],
            )
        )
        for run in runs:
            run["wall"].append(fit(run))
            with tempfile.TemporaryDirectory() as logdir:
                tf.profiler.experimental.start(logdir)
                try:
                    run["profiled_wall"].append(fit(run))
                finally:
                    tf.profiler.experimental.stop()
                seconds, counts, busy = op_times(logdir)
            per_group = collections.Counter()
            for op_type, total in seconds.items():
                per_group[group_of(op_type)] += total / run["steps"]
                run["types"][op_type].append(total / run["steps"])
                run["counts"][op_type] = counts[op_type] / run["steps"]
            per_group[UNTRACED] = busy / run["steps"] - sum(per_group.values())
            for group in (*GROUPS, OTHER, UNTRACED):
                run["groups"][group].append(per_group[group])
    peak = max(peaks)
    body = [
        f"`.venv/bin/python benchmarks/op_profile.py --repeats {args.repeats} "
        f"--epochs {args.epochs}`: the image template's train steps "
        f"(`fit`, {args.epochs}-epoch calls, 1 step per call, TensorBoard off), "
        "kernel time per step by op type from TensorFlow's profiler trace "
        "(summed over the executor threads), medians over repeats; "
        "variants interleaved. Wall time per step from an unprofiled fit "
        "right before each profiled one. Peak: the faster of `tf.matmul` and "
        f"numpy matmul ({args.matmul_size}x{args.matmul_size}), best of "
        f"{len(peaks)}: **{peak / 1e9:.1f} GFLOP/s** on {cores} cores.",
        "",
    ]
    header = ["op group: kernel ms per step (share of the busy time)"]
    header += [run["name"] for run in runs]
    body += ["| " + " | ".join(header) + " |", "|" + " --- |" + " ---: |" * len(runs)]

    for run in runs:  # executor busy time per step: the sum of the groups
        run["busy"] = sum(median(times) for times in run["groups"].values())

    def achieved(run):  # % of the peak, from the unprofiled wall time
        return 100 * BATCH * run["flops"] / median(run["wall"]) / peak

    for group in (*GROUPS, OTHER, UNTRACED):
        cells = [
            f"{1e3 * median(run['groups'][group]):.2f} "
            f"({100 * median(run['groups'][group]) / run['busy']:.0f}%)"
            for run in runs
        ]
        body.append(f"| {group} | " + " | ".join(cells) + " |")
    rows = {
        "executor threads busy, ms per step (the rows above)": [
            f"{1e3 * run['busy']:.2f}" for run in runs
        ],
        "wall ms per step: unprofiled fit / profiled fit": [
            f"{1e3 * median(run['wall']):.2f} / "
            f"{1e3 * median(run['profiled_wall']):.2f}"
            for run in runs
        ],
        f"executor threads busy / (profiled wall x {cores} cores)": [
            f"{100 * run['busy'] / (median(run['profiled_wall']) * cores):.0f}%"
            for run in runs
        ],
        "training MFLOPs per step (3 x forward)": [
            f"{BATCH * run['flops'] / 1e6:.0f}" for run in runs
        ],
        "achieved, % of peak (unprofiled wall)": [
            f"{achieved(run):.1f}%" for run in runs
        ],
        "estimate if only the convolutions took time: achieved / their share": [
            f"{achieved(run) * run['busy'] / median(run['groups']['convolution']):.0f}%"
            for run in runs
        ],
    }
    for label, cells in rows.items():
        body.append(f"| {label} | " + " | ".join(cells) + " |")
    for run in runs:
        top = sorted(run["types"].items(), key=lambda item: -median(item[1]))[:10]
        listed = ", ".join(
            f"{op_type} {1e3 * median(times):.2f} ms ({run['counts'][op_type]:.0f} "
            "per step)"
            for op_type, times in top
        )
        body += ["", f"Top op types, {run['name']}: {listed}."]
    report("Op profile of the image template's train step", "\n".join(body), args)


if __name__ == "__main__":
    main()
