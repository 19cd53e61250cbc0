"""Batch size of the image template on digits: speed vs accuracy.

`compute_efficiency.py` shows the image template's training FLOP/s on 8x8
digits rising with the batch size (batch 128 crosses 30% of the matmul peak
where the default 32 does not). This script asks whether a bigger default
batch would pay for a user: each configuration (batch size and learning
rate) trains `kr.image_classifier` with the digits recipe's model settings
(`templates/image_classification.yaml`) for the recipe's 20 epochs on the
1437 training digits, validating on the 360 test digits after every epoch.
Reported per configuration: the wall time (from the model build) and epochs
to the first epoch at test accuracy >= `--target`, the test accuracy after
the last epoch, and the training samples/s inside the epochs after the
first (the first one traces). Configurations interleaved per round (order
alternating), round r seeded with r. `--validation-split 0.1` trains on
what the recipe's `fit` trains on (its `validation_split: 0.1` holds out a
seeded, stratified tenth of the training digits; split the same way here,
with the round's seed).

    .venv/bin/python benchmarks/batch_size.py [--rounds 4] \
        [--configs 32:2e-3 128:2e-3 128:4e-3] [--validation-split 0.1] \
        [--note "..."]
"""

import statistics
import time

import keras
import numpy as np
from common import arg_parser
from common import report
from common import spread
from time_to_accuracy import recipe_settings

import keras_recipes as kr


class EpochLog(keras.callbacks.Callback):
    """Seconds since `start` and test accuracy at each epoch end, epoch times."""

    def __init__(self, start):
        super().__init__()
        self.start = start
        self.ends = []  # (seconds since start, val_accuracy)
        self.epoch_seconds = []
        self._epoch_start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.epoch_seconds.append(now - self._epoch_start)
        self.ends.append((now - self.start, float(logs["val_accuracy"])))


def parse_config(text):
    batch, _, rate = text.partition(":")
    return int(batch), float(rate)


def run(config, data, model_kwargs, epochs, target, seed, validation_split=0.0):
    (x, y), (x_test, y_test) = data
    batch_size, learning_rate = config
    kr.set_seed(seed)
    start = time.perf_counter()
    model = kr.image_classifier(
        data=(x, y), seed=seed, **model_kwargs, learning_rate=learning_rate
    )
    log = EpochLog(start)
    train = model.to_data((x, y))
    if validation_split:
        train, _ = kr.data.split(train, validation_split, seed=seed)
    model.fit(
        train,
        validation_data=(x_test, y_test),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[log],
        verbose=0,
        tensorboard=False,
        seed=seed,
    )
    reached = next(
        ((i + 1, s) for i, (s, acc) in enumerate(log.ends) if acc >= target), None
    )
    # The in-epoch time includes Keras' validation pass, alike for every size.
    rate = statistics.median(len(train) / s for s in log.epoch_seconds[1:])
    return {"reached": reached, "final": log.ends[-1][1], "rate": rate}


def main():
    parser = arg_parser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--validation-split", type=float, default=0.0)
    parser.add_argument(
        "--configs", nargs="+", default=["32:2e-3", "128:2e-3", "128:4e-3"]
    )
    args = parser.parse_args()
    configs = [parse_config(c) for c in args.configs]
    data = kr.datasets.load_digits()
    model_kwargs, _ = recipe_settings("image_classification.yaml")
    model_kwargs.pop("learning_rate", None)  # each configuration sets its own
    results = {c: [] for c in configs}
    for round_ in range(args.rounds):
        order = configs if round_ % 2 == 0 else configs[::-1]
        for config in order:
            result = run(
                config,
                data,
                model_kwargs,
                args.epochs,
                args.target,
                round_,
                args.validation_split,
            )
            results[config].append(result)
            print(
                f"round {round_ + 1}: batch {config[0]}, lr {config[1]:g}: {result}",
                flush=True,
            )

    first = configs[0]
    lines = [
        f"| batch | learning rate | seconds to test accuracy >= {args.target}: "
        "median (min-max, n) | epochs to it (median) | runs that missed it | "
        f"test accuracy after {args.epochs} epochs: median (min-max, n) | "
        "samples/s in epochs 2+: median (min-max, n) | time to target vs "
        f"batch {first[0]} |",
        "| ---: | ---: | --- | ---: | ---: | --- | --- | ---: |",
    ]
    base = [r["reached"][1] for r in results[first] if r["reached"]]
    for config, runs in results.items():
        reached = [r["reached"] for r in runs if r["reached"] is not None]
        seconds = [s for _, s in reached]
        ratio = (
            f"{statistics.median(seconds) / statistics.median(base):.2f}x"
            if seconds and base
            else ""
        )
        lines.append(
            f"| {config[0]} | {config[1]:g} | "
            f"{spread(seconds) if seconds else 'never'} | "
            f"{statistics.median(e for e, _ in reached) if reached else ''} | "
            f"{len(runs) - len(reached)} | "
            f"{spread([r['final'] for r in runs])} | "
            f"{spread([r['rate'] for r in runs])} | {ratio} |"
        )
    errors = {
        c: 1 - float(np.median([r["final"] for r in runs]))
        for c, runs in results.items()
    }
    trained = "1437 train"
    if args.validation_split:
        trained = (
            f"the recipe's training side of 1437 train digits, "
            f"--validation-split {args.validation_split:g} held out"
        )
    body = (
        f"`.venv/bin/python benchmarks/batch_size.py --rounds {args.rounds} "
        f"--configs {' '.join(args.configs)}"
        + (
            f" --validation-split {args.validation_split:g}"
            if args.validation_split
            else ""
        )
        + "`: `kr.image_classifier` with the "
        f"digits recipe's model settings, trained on digits 8x8 ({trained}) "
        f"for {args.epochs} epochs per run, test accuracy (360 digits) after "
        "each epoch; wall time from the model build; configurations "
        "interleaved, round r seeded with r.\n\n"
        + "\n".join(lines)
        + "\n\nTest error after the last epoch (median): "
        + ", ".join(
            f"batch {c[0]} lr {c[1]:g} {100 * e:.2f}%" for c, e in errors.items()
        )
        + "."
    )
    report("Batch size of the image template (digits)", body, args)


if __name__ == "__main__":
    main()
