"""LR finder + one-cycle on the digits demo (kr.datasets.load_digits).

Checks two claims and appends a dated section to benchmarks/RESULTS.md:

1. `model.lr_find(data)` suggests a learning rate within 10x of the one the
   ImageClassifier template uses by default (`learning_rate=2e-3`), and
   writes its plot.
2. `model.fit_one_cycle(data, epochs=k, max_lr=suggested)` reaches the test
   accuracy of a plain `fit` of `plain_epochs` epochs in fewer epochs.

Run: .venv/bin/python benchmarks/lr_find_one_cycle.py [--seeds 0 1]
    [--cycle-epochs 6 8 10] [--note "..."] [--no-write]
"""

import os
import sys

from common import arg_parser
from common import report
from common import timed
from common import timed_call

import keras_recipes as kr


def build(seed, data):
    return kr.image_classifier(data=data, seed=seed)


def test_accuracy(model, x_test, y_test):
    return float((model.predict(x_test, verbose=0).argmax(-1) == y_test).mean())


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--plain-epochs", type=int, default=12)
    parser.add_argument("--cycle-epochs", type=int, nargs="+", default=[6, 8, 10])
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.005,
        help="'same accuracy' = within this of plain fit's",
    )
    parser.add_argument(
        "--plot", default=os.path.join("tb_logs", "benchmarks", "lr_find_digits.png")
    )
    args = parser.parse_args()

    (x, y), (x_test, y_test) = kr.datasets.load_digits()
    lines, ok = [], True
    for seed in args.seeds:
        model = build(seed, (x, y))
        default_lr = float(model.learning_rate)
        plot = args.plot.replace(".png", f"-seed{seed}.png")
        found, find_s = timed_call(model.lr_find, (x, y), seed=seed, plot_path=plot)
        if found.suggested_lr is None:  # no clear descent: nothing to compare
            ok = False
            lines.append(f"- seed {seed}: lr_find suggested nothing: {found.message}")
            continue
        ratio = found.suggested_lr / default_lr
        within = 0.1 <= ratio <= 10 and os.path.getsize(found.plot_path) > 0
        ok &= within
        lines.append(
            f"- seed {seed}: lr_find suggested {found.suggested_lr:.2e} vs default "
            f"{default_lr:.0e} (ratio {ratio:.2f}, within 10x: {within}); "
            f"{len(found.losses)} steps in {find_s:.0f}s; plot {found.plot_path}"
        )

        model = build(seed, (x, y))
        history, plain_s = timed_call(
            model.fit,
            (x, y),
            epochs=args.plain_epochs,
            seed=seed,
            verbose=0,
            tensorboard=False,
            validation_data=(x_test, y_test),
        )
        plain_acc = test_accuracy(model, x_test, y_test)
        curve = history.history["val_accuracy"]
        target = plain_acc - args.tolerance
        first = next(i + 1 for i, a in enumerate(curve) if a >= target)
        lines.append(
            f"  - plain fit {args.plain_epochs} epochs: test accuracy "
            f"{plain_acc:.4f} ({plain_s:.0f}s); first within "
            f"{args.tolerance} of it at epoch {first}; per-epoch test "
            f"accuracy {[round(a, 3) for a in curve]}"
        )
        best = None
        for epochs in sorted(args.cycle_epochs):
            model = build(seed, (x, y))
            cycle_s = timed(
                model.fit_one_cycle,
                (x, y),
                epochs=epochs,
                max_lr=found.suggested_lr,
                seed=seed,
                verbose=0,
                tensorboard=False,
            )
            acc = test_accuracy(model, x_test, y_test)
            lines.append(
                f"  - fit_one_cycle {epochs} epochs (max_lr="
                f"{found.suggested_lr:.2e}): test accuracy {acc:.4f} "
                f"({cycle_s:.0f}s)"
            )
            if acc >= target and best is None:
                best = epochs
        fewer = best is not None and best < first
        ok &= fewer
        lines.append(
            f"  - one-cycle reached plain fit's accuracy (within "
            f"{args.tolerance}) in {best} epochs vs {first} for plain "
            f"fit's own curve (fewer: {fewer})"
        )
    verdict = "PASS" if ok else "FAIL"
    header = (
        f"Command: `.venv/bin/python benchmarks/lr_find_one_cycle.py "
        f"{' '.join(sys.argv[1:])}`. Model: `kr.image_classifier` defaults "
        f"(resnet_se, width 32, depth 3, AdamW 2e-3), batch 32, digits 1437 "
        f"train / 360 test.\n\n"
    )
    report(
        f"lr_find + fit_one_cycle on digits: {verdict}", header + "\n".join(lines), args
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
