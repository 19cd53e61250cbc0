"""kr.tune overhead vs raw KerasTuner, and RSS growth over many trials.

Runs, in one process, on a tiny digits subset:

1. raw KerasTuner `RandomSearch` and `kr.tune` (random, same hypermodel:
   the same factory, search space, data and `fit`) for `--trials` trials
   each, `--repeats` times, alternating; reports the median seconds per
   trial and kr.tune's overhead (goal: <= 10%). kr.tune is measured with
   TensorBoard/HParams off (like raw KerasTuner) and on.
2. RSS after trial 2 and after trial `--rss-trials` of one kr.tune search
   (goal: ratio <= 1.3).

Appends a dated section with machine info to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/tuning.py [--trials 3] [--repeats 2]
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
TINY = {"width": 8, "depth": 2, "augmentation": None}
SPACE = {"learning_rate": (1e-3, 3e-2), "dropout": [0.0, 0.1, 0.2]}


def rss_mb():
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def raw_kerastuner(data, trials, epochs, directory, seed):
    import keras_tuner as kt

    import keras_recipes as kr
    from keras_recipes.tasks.image_classifier import ImageClassifier
    from keras_recipes.tuning.space import SearchSpace
    from keras_recipes.tuning.tuners import TaskHyperModel

    space = SearchSpace(ImageClassifier, kr.image_classifier, SPACE, TINY)
    hypermodel = TaskHyperModel(
        kr.image_classifier, space, data, seed=seed,
        fit_defaults={"validation_split": 0.2, "verbose": 0},
    )
    tuner = kt.RandomSearch(
        hypermodel, objective="val_accuracy", max_trials=trials, seed=seed,
        directory=directory, project_name="raw", overwrite=True,
    )
    tuner.oracle.verbose = 0
    start = time.perf_counter()
    tuner.search(epochs=epochs)
    return (time.perf_counter() - start) / trials


def kr_tune(data, trials, epochs, directory, seed, tensorboard):
    import keras_recipes as kr

    start = time.perf_counter()
    kr.tune(
        kr.image_classifier, data, max_trials=trials, epochs=epochs,
        model_kwargs=TINY, search_space=SPACE, seed=seed, verbose=0,
        directory=directory, project_name="kr", overwrite=True,
        tensorboard=os.path.join(directory, "tb") if tensorboard else False,
    )
    return (time.perf_counter() - start) / trials


def rss_growth(data, trials, directory):
    import keras

    import keras_recipes as kr

    marks = {}

    class Mark(keras.callbacks.Callback):
        count = 0

        def on_train_begin(self, logs=None):
            Mark.count += 1
            if Mark.count == 3:  # trial 2 fully ended and cleaned up
                marks["after_2"] = rss_mb()

    kr.tune(
        kr.image_classifier, data, max_trials=trials, epochs=1,
        model_kwargs={**TINY, "width": 4},
        search_space={"learning_rate": (1e-4, 1e-1), "dropout": (0.0, 0.5)},
        seed=0, verbose=0, directory=directory, project_name="rss",
        overwrite=True, tensorboard=False, callbacks=[Mark()],
    )
    marks[f"after_{trials}"] = rss_mb()
    return marks


def machine_info():
    import keras
    import keras_tuner
    import tensorflow as tf

    try:
        load = os.getloadavg()
    except OSError:
        load = ("?",) * 3
    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load avg {load[0]:.1f}/{load[1]:.1f}/"
        f"{load[2]:.1f} at start, TF {tf.__version__}, Keras {keras.__version__}, "
        f"KerasTuner {keras_tuner.__version__}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rss-trials", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import keras_recipes as kr

    info = machine_info()
    (x, y), _ = kr.datasets.load_digits()
    data = (x[: args.samples], y[: args.samples])
    root = tempfile.mkdtemp(prefix="kr-bench-tune-")
    # Warm-up: first graph traces and imports are not charged to anyone.
    kr_tune(data, 1, 1, os.path.join(root, "warm"), 0, False)

    raw, ours, ours_tb = [], [], []
    for rep in range(args.repeats):
        raw.append(raw_kerastuner(data, args.trials, args.epochs,
                                  os.path.join(root, f"raw{rep}"), rep))
        ours.append(kr_tune(data, args.trials, args.epochs,
                            os.path.join(root, f"kr{rep}"), rep, False))
        ours_tb.append(kr_tune(data, args.trials, args.epochs,
                               os.path.join(root, f"krtb{rep}"), rep, True))
        print(f"rep {rep}: raw {raw[-1]:.2f}s  kr.tune {ours[-1]:.2f}s  "
              f"kr.tune+TB {ours_tb[-1]:.2f}s per trial", flush=True)
    raw_s, ours_s, tb_s = (statistics.median(v) for v in (raw, ours, ours_tb))
    overhead = 100.0 * (ours_s / raw_s - 1.0)
    overhead_tb = 100.0 * (tb_s / raw_s - 1.0)

    marks = rss_growth((x[:100], y[:100]), args.rss_trials,
                       os.path.join(root, "rss"))
    last = f"after_{args.rss_trials}"
    ratio = marks[last] / marks["after_2"]

    lines = [
        "",
        f"## kr.tune overhead and memory — {datetime.date.today().isoformat()}",
        "",
        f"Machine: {info}.",
        "",
        f"Command: `.venv/bin/python benchmarks/tuning.py --trials {args.trials} "
        f"--repeats {args.repeats} --epochs {args.epochs} --samples "
        f"{args.samples} --rss-trials {args.rss_trials}` (digits subset, "
        "ImageClassifier width=8 depth=2, random search, median of repeats).",
        "",
        "| search | s / trial | overhead vs raw KerasTuner |",
        "|---|---|---|",
        f"| raw KerasTuner RandomSearch | {raw_s:.2f} | - |",
        f"| kr.tune, tensorboard=False | {ours_s:.2f} | {overhead:+.1f}% |",
        f"| kr.tune, TensorBoard + HParams | {tb_s:.2f} | {overhead_tb:+.1f}% |",
        "",
        f"RSS over one {args.rss_trials}-trial kr.tune search (width=4, 100 "
        f"samples, 1 epoch): {marks['after_2']:.0f} MB after trial 2, "
        f"{marks[last]:.0f} MB after trial {args.rss_trials}: ratio "
        f"{ratio:.2f} (goal <= 1.3).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with open(RESULTS, "a") as file:  # append, never clobber
            file.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
