"""Step time on 1 vs 2 replicas (MirroredStrategy), as a correctness run.

Without GPUs, the 2 replicas are 2 logical CPU devices sharing the same cores,
so this shows the strategy's overhead and checks that training is the same
(loss history of 1 vs 2 replicas), not a speed-up. The image template
(digits, 8x8 grayscale) is trained with the same seed and data order on:
one device; MirroredStrategy over 2 logical CPUs; the same with synchronized
BatchNorm (global-batch statistics, `kr.distribute.synchronize_batch_norm`).
Epoch times after the first (tracing) epoch are divided by the steps.

    .venv/bin/python benchmarks/distribution.py [--epochs 6] [--batch-size 64]
        [--note "..."] [--no-write]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import numpy as np  # noqa: E402
from common import EpochTimer  # noqa: E402
from common import arg_parser  # noqa: E402
from common import report  # noqa: E402
from common import spread  # noqa: E402

import keras_recipes as kr  # noqa: E402


def run(x, y, strategy, sync_bn, epochs, batch_size):
    model = kr.image_classifier(
        data=(x, y),
        strategy=strategy,
        seed=0,
        width=16,
        depth=2,
        augmentation=None,
        dropout=0.0,
    )
    if sync_bn:
        kr.distribute.synchronize_batch_norm(model)
    timer = EpochTimer()
    history = model.fit(
        (x, y),
        epochs=epochs,
        batch_size=batch_size,
        seed=0,
        shuffle=False,
        verbose=0,
        tensorboard=False,
        callbacks=[timer],
    )
    steps = -(-len(x) // batch_size)
    return (
        [t / steps for t in timer.times[1:]],
        history.history["loss"],
        model.distribute_strategy.num_replicas_in_sync,
    )


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    (x, y), _ = kr.datasets.load_digits()
    rows = []
    base_loss = None
    for label, strategy, sync_bn in (
        ("1 device", None, False),
        ("MirroredStrategy, 2 logical CPUs", "mirrored", False),
        ("MirroredStrategy, 2 logical CPUs, synced BN", "mirrored", True),
    ):
        step_times, losses, replicas = run(
            x, y, strategy, sync_bn, args.epochs, args.batch_size
        )
        if base_loss is None:
            base_loss = np.asarray(losses)
        gap = float(np.max(np.abs(np.asarray(losses) - base_loss) / base_loss))
        rows.append(
            f"| {label} | {replicas} | {spread([t * 1000 for t in step_times])} "
            f"| {losses[-1]:.4f} | {gap:.1e} |"
        )
        print(rows[-1], flush=True)
    body = (
        f"Image template on digits ({len(x)} samples, 8x8x1), width=16, "
        f"depth=2, no augmentation/dropout, global batch {args.batch_size}, "
        f"{args.epochs} epochs (first epoch excluded from timing), "
        "`shuffle=False` (see docs/distribution.md, Known limits).\n"
        f"Command: `.venv/bin/python benchmarks/distribution.py --epochs "
        f"{args.epochs} --batch-size {args.batch_size}`\n\n"
        "| run | replicas | step time ms, median (min-max) | final loss "
        "| max rel. loss gap vs 1 device |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nLogical CPUs share the same cores: this is a correctness run "
        "(same losses), not a speed-up measurement. Without synchronized "
        "BatchNorm each replica normalises with its half of the batch, which "
        "changes training; with it, the remaining gap comes from the last "
        "partial batch, split unevenly over the replicas."
    )
    report("Distribution: 1 vs 2 replicas (MirroredStrategy)", body, args)


if __name__ == "__main__":
    main()
