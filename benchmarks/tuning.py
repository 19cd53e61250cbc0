"""kr.tune overhead vs raw KerasTuner, and RSS growth over many trials.

Runs, in one process, on a tiny digits subset:

1. raw KerasTuner `RandomSearch` and `kr.tune` (random, same hypermodel:
   the same `TaskHyperModel` build function, search space, seed, data,
   epochs and `fit`) for `--trials` trials each, `--repeats` times,
   interleaved (A B C, then C B A, ...: drift of a loaded machine hits every
   variant alike). For each search it times the whole call per trial, and
   splits it into setup (call start -> first trial's `fit` begins: imports,
   probe build, oracle) and the per-trial loop (first `fit` begins -> call
   returns, / trials: build, fit, checkpoints, backups, clear_session). It
   reports medians with their spread and kr.tune's overhead ratio vs raw
   KerasTuner (goal: <= 10%). kr.tune is measured with TensorBoard/HParams
   off (like raw KerasTuner) and on.
2. RSS after trial 2 and after trial `--rss-trials` of one kr.tune search
   (goal: ratio <= 1.3); `--rss-trials 0` skips it.
3. `--profile`: one extra kr.tune search under cProfile, printing the top
   functions by cumulative time (where the per-trial time goes).

Appends a dated section with machine info to benchmarks/RESULTS.md (through
`common.report`; `--no-write` only prints it).

    .venv/bin/python benchmarks/tuning.py [--trials 3] [--repeats 3]
"""

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

TINY = {"width": 8, "depth": 2, "augmentation": None}
SPACE = {"learning_rate": (1e-3, 3e-2), "dropout": [0.0, 0.1, 0.2]}
VARIANTS = ("raw", "kr", "kr_tb")
LABELS = {
    "raw": "raw KerasTuner RandomSearch",
    "kr": "kr.tune, tensorboard=False",
    "kr_tb": "kr.tune, TensorBoard + HParams",
}


def rss_mb():
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _timer():
    import keras

    class FitTimer(keras.callbacks.Callback):
        """Records when each trial's `fit` begins (deep-copied per trial)."""

        starts = []

        def on_train_begin(self, logs=None):
            FitTimer.starts.append(time.perf_counter())

    FitTimer.starts = []
    return FitTimer


def _timed(run, trials):
    """Runs `run(callbacks)`; returns (total, setup, loop) seconds."""
    timer = _timer()
    start = time.perf_counter()
    run([timer()])
    end = time.perf_counter()
    first = timer.starts[0] if timer.starts else end
    return {
        "total": (end - start) / trials,
        "setup": first - start,
        "loop": (end - first) / trials,
    }


def raw_kerastuner(data, trials, epochs, directory, seed):
    import keras_tuner as kt

    import keras_recipes as kr
    from keras_recipes.tasks.image_classifier import ImageClassifier
    from keras_recipes.tuning.space import SearchSpace
    from keras_recipes.tuning.tuners import TaskHyperModel

    def run(callbacks):
        space = SearchSpace(ImageClassifier, kr.image_classifier, SPACE, TINY)
        hypermodel = TaskHyperModel(
            kr.image_classifier,
            space,
            data,
            seed=seed,
            fit_defaults={"validation_split": 0.2, "verbose": 0},
        )
        tuner = kt.RandomSearch(
            hypermodel,
            objective="val_accuracy",
            max_trials=trials,
            seed=seed,
            directory=directory,
            project_name="raw",
            overwrite=True,
        )
        tuner.oracle.verbose = 0
        tuner.search(epochs=epochs, callbacks=callbacks)

    return _timed(run, trials)


def kr_tune(data, trials, epochs, directory, seed, tensorboard):
    import keras_recipes as kr

    def run(callbacks):
        kr.tune(
            kr.image_classifier,
            data,
            max_trials=trials,
            epochs=epochs,
            model_kwargs=TINY,
            search_space=SPACE,
            seed=seed,
            verbose=0,
            objective="val_accuracy",
            callbacks=callbacks,
            directory=directory,
            project_name="kr",
            overwrite=True,
            tensorboard=os.path.join(directory, "tb") if tensorboard else False,
        )

    return _timed(run, trials)


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
        kr.image_classifier,
        data,
        max_trials=trials,
        epochs=1,
        model_kwargs={**TINY, "width": 4},
        search_space={"learning_rate": (1e-4, 1e-1), "dropout": (0.0, 0.5)},
        seed=0,
        verbose=0,
        directory=directory,
        project_name="rss",
        overwrite=True,
        tensorboard=False,
        callbacks=[Mark()],
    )
    marks[f"after_{trials}"] = rss_mb()
    return marks


def profile(data, trials, epochs, directory, top=25):
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    kr_tune(data, trials, epochs, directory, 0, False)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"keras_recipes|keras_tuner|saving|clear_session", top)
    return out.getvalue()


def main(argv=None):
    parser = common.arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rss-trials", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    import keras_recipes as kr

    try:
        load = "load avg {:.1f}/{:.1f}/{:.1f} at start".format(*os.getloadavg())
    except OSError:
        load = "load avg unknown"
    (x, y), _ = kr.datasets.load_digits()
    data = (x[: args.samples], y[: args.samples])
    # The searches' folders are scratch: removed when the run ends.
    with tempfile.TemporaryDirectory(prefix="kr-bench-tune-") as root:
        return measure(args, data, load, root)


def measure(args, data, load, root):
    """Runs the variants in `root` and writes (or prints) the table."""
    x, y = data
    # Warm-up: first graph traces and imports are not charged to anyone.
    kr_tune(data, 1, 1, os.path.join(root, "warm"), 0, False)
    raw_kerastuner(data, 1, 1, os.path.join(root, "warm_raw"), 0)

    runs = {v: [] for v in VARIANTS}
    for rep in range(args.repeats):
        order = VARIANTS if rep % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            folder = os.path.join(root, f"{variant}{rep}")
            if variant == "raw":
                timing = raw_kerastuner(data, args.trials, args.epochs, folder, rep)
            else:
                timing = kr_tune(
                    data, args.trials, args.epochs, folder, rep, variant == "kr_tb"
                )
            runs[variant].append(timing)
        print(
            f"rep {rep}: "
            + "  ".join(
                f"{v} {runs[v][-1]['total']:.2f}s/trial (setup "
                f"{runs[v][-1]['setup']:.2f}s, loop {runs[v][-1]['loop']:.2f}s)"
                for v in VARIANTS
            ),
            flush=True,
        )

    def values(variant, key):
        return [r[key] for r in runs[variant]]

    def ratio(variant, key):
        ours = statistics.median(values(variant, key))
        raw = statistics.median(values("raw", key))
        paired = [o[key] / r[key] for o, r in zip(runs[variant], runs["raw"])]
        return (
            f"{ours / raw:.3f} ({100 * (ours / raw - 1):+.1f}%; paired "
            f"per repeat {min(paired):.2f}-{max(paired):.2f})"
        )

    command = (
        f".venv/bin/python benchmarks/tuning.py --trials {args.trials} "
        f"--repeats {args.repeats} --epochs {args.epochs} --samples "
        f"{args.samples} --rss-trials {args.rss_trials}"
        + (" --profile" if args.profile else "")
    )
    lines = [
        f"Command: `{command}` (digits subset, ImageClassifier width=8 depth=2, "
        f"random search over learning_rate x dropout, {args.epochs} epoch(s) "
        f"per trial, interleaved repeats; {load} on a shared machine).",
        "",
        "Seconds per trial: median (min-max, n). `loop` = first trial's fit "
        "-> end, / trials; `total` adds the setup (probe build, oracle).",
        "",
        "| search | total s/trial | loop s/trial | setup s | ratio vs raw "
        "(total) | ratio vs raw (loop) |",
        "|---|---|---|---|---|---|",
    ]
    for variant in VARIANTS:
        cells = [common.spread(values(variant, k)) for k in ("total", "loop", "setup")]
        ratios = (
            ["-", "-"]
            if variant == "raw"
            else [ratio(variant, "total"), ratio(variant, "loop")]
        )
        lines.append(f"| {LABELS[variant]} | " + " | ".join(cells + ratios) + " |")
    lines.append("")
    if args.rss_trials:
        marks = rss_growth(
            (x[:100], y[:100]), args.rss_trials, os.path.join(root, "rss")
        )
        last = f"after_{args.rss_trials}"
        lines.append(
            f"RSS over one {args.rss_trials}-trial kr.tune search (width=4, "
            f"100 samples, 1 epoch): {marks['after_2']:.0f} MB after trial 2, "
            f"{marks[last]:.0f} MB after trial {args.rss_trials}: ratio "
            f"{marks[last] / marks['after_2']:.2f} (goal <= 1.3)."
        )
    body = "\n".join(lines)
    if args.profile:
        print(profile(data, args.trials, args.epochs, os.path.join(root, "profile")))
    common.report("kr.tune overhead vs raw KerasTuner", body, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
