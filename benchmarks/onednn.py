"""oneDNN on or off: does TensorFlow's oneDNN switch make the image template faster?

TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, when it is imported, and
turns its oneDNN CPU kernels on by default only on some (Intel) CPUs; on the
2-core AMD EPYC these benchmarks run on they are off unless the variable is
`1`. This runs the same measurement in fresh child processes with the
variable `0` and `1`, alternated per round (one process per setting per
round), and reports per setting:

  - the image template's training step (digits, batch 32, 16 steps per
    call, as `"auto"` runs in a long fit; and a 32x32x3 input, 1 step per
    call), ms per step from epoch begin to epoch end, CPU ms per step,
  - the `tf.matmul` float32 rate (2048x2048, a chain of 5 in a
    `tf.function`), the denominator `compute_efficiency.py` compares with.

Each child warms its models up for 2 epochs (tracing) and then times
`--epochs` one-epoch fits per model.

    .venv/bin/python benchmarks/onednn.py [--rounds 3] [--epochs 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from common import arg_parser
from common import report
from common import spread

SETTINGS = ("0", "1")


def child(epochs):
    """Measures in this process (run with the variable already set)."""
    from compute_efficiency import EpochTimer
    from compute_efficiency import matmul_peak
    from compute_efficiency import random_images

    import keras_recipes as kr

    (x, y), _ = kr.datasets.load_digits()
    models = {}
    for name, data, steps in (("digits", (x, y), 16), ("32x32x3", random_images(), 1)):
        kr.set_seed(0)
        model = kr.image_classifier(data=data)
        model.compile(steps_per_execution=steps)
        model.fit(data, batch_size=32, epochs=2, verbose=0, tensorboard=False)
        models[name] = (model, data)
    out = {name: {"ms_per_step": [], "cpu_ms_per_step": []} for name in models}
    for _ in range(epochs):
        for name, (model, data) in models.items():
            timer = EpochTimer()
            model.fit(
                data,
                batch_size=32,
                epochs=1,
                verbose=0,
                tensorboard=False,
                callbacks=[timer],
            )
            steps = -(-len(data[0]) // 32)
            out[name]["ms_per_step"].append(1e3 * timer.seconds / steps)
            out[name]["cpu_ms_per_step"].append(1e3 * timer.cpu_seconds / steps)
    out["matmul_gflops"] = max(matmul_peak(2048, 3)) / 1e9
    print("RESULT " + json.dumps(out))


def run_child(setting, epochs):
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=setting, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--epochs", str(epochs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(
        f"child with TF_ENABLE_ONEDNN_OPTS={setting} failed:\n{proc.stderr[-2000:]}"
    )


def main():
    parser = arg_parser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.epochs)
        return
    results = {setting: [] for setting in SETTINGS}
    for _ in range(args.rounds):
        for setting in SETTINGS:
            results[setting].append(run_child(setting, args.epochs))
    lines = [
        "| TF_ENABLE_ONEDNN_OPTS | digits, 16 steps per call: ms/step | CPU "
        "ms/step | 32x32x3, 1 step per call: ms/step | CPU ms/step | tf.matmul "
        "GFLOP/s (best per process) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    medians = {}
    for setting, runs in results.items():
        cells = []
        for name in ("digits", "32x32x3"):
            for key in ("ms_per_step", "cpu_ms_per_step"):
                values = [v for run in runs for v in run[name][key]]
                medians[setting, name, key] = statistics.median(values)
                cells.append(spread(values))
        cells.append(spread([run["matmul_gflops"] for run in runs]))
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    step = "ms_per_step"
    ratios = ", ".join(
        f"{name} {medians['0', name, step] / medians['1', name, step]:.2f}x"
        for name in ("digits", "32x32x3")
    )
    body = (
        f"`.venv/bin/python benchmarks/onednn.py --rounds {args.rounds} --epochs "
        f"{args.epochs}` (one child process per setting per round, alternated; "
        f"ms per step from epoch begin to end; median (min-max, n) over "
        f"rounds x epochs).\n\n" + "\n".join(lines) + "\n\nSpeed with oneDNN "
        f"on vs off (median step time off / on; > 1 means oneDNN is faster): "
        f"{ratios}."
    )
    report("oneDNN on vs off (image template)", body, args)


if __name__ == "__main__":
    main()
