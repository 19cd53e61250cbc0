"""When 16 train steps per call pay for their longer tracing, per template.

`steps_per_execution="auto"` runs 16 train steps per `tf.function` call
instead of one when that is safe (`kr.tasks.steps_per_execution`). Fewer host round
trips save a fixed Python cost per step, but the multi-step function is a
bigger graph to trace and optimise in the model's first `fit`. So "auto"
only switches in calls of at least the template's `auto_min_steps` steps (or
once the multi-step function is traced). This measures both sides for each
template, on the data `benchmarks/overhead.py` trains on:

- the first `fit` call of a fresh model (tracing included) and the later
  calls (no tracing), with 1 and with 16 steps per call, each pair in fresh
  interpreters (so every first call pays its full tracing), the order of the
  pair alternating between rounds;
- from them: the extra first-call time of 16 steps per call (its extra
  tracing), the time it saves per step later, and the break-even fit
  length: the extra first-call time over the saving per step.

`--recipes` instead times the first `fit` of a fresh model with each
bundled recipe's settings (`templates/*.yaml`: epochs, batch size,
validation split; model settings too) under `"auto"` as it is (the
template's `auto_min_steps`) and under the former rule for every template
(`AUTO_MIN_STEPS`, 1000 steps), each in a fresh interpreter, alternating.

    .venv/bin/python benchmarks/steps_per_execution.py [--rounds 3] [--calls 3]
        [--tasks tabular image text translation] [--recipes]
"""

import json
import os
import subprocess
import sys
import time

import keras
from common import arg_parser
from common import report
from common import spread

CHUNK = 16
RECIPES = {
    "tabular": "tabular_classification.yaml",
    "image": "image_classification.yaml",
    "text": "text_classification.yaml",
}


def child(task, steps, calls):
    """In this (fresh) interpreter: first and later fit times of one model."""
    from overhead import TASKS

    setup = TASKS[task]()
    template, train, epochs = setup["template"], setup["train"], setup["epochs"]
    template.compile(steps_per_execution=steps)
    data = template.to_data(train)
    steps_per_call = epochs * int(template.make_dataset(data).cardinality())

    def fit():
        start = time.perf_counter()
        template.fit(train, epochs=epochs, verbose=0, tensorboard=False, seed=0)
        return time.perf_counter() - start

    first = fit()
    later = sorted(fit() for _ in range(calls))
    print(
        json.dumps(
            {
                "first_s": first,
                "later_s": later[len(later) // 2],
                "steps": steps_per_call,
            }
        )
    )


def recipe_child(task, former_rule):
    """In this (fresh) interpreter: one recipe's first fit, build included."""
    from first_fit import TASKS
    from time_to_accuracy import recipe_settings

    from keras_recipes.tasks import steps_per_execution as policy

    model_kwargs, fit_kwargs = recipe_settings(RECIPES[task])
    factory, load, factory_kwargs = TASKS[task]
    train = load()
    start = time.perf_counter()
    model = factory(data=train, **factory_kwargs, **model_kwargs)
    if former_rule:
        type(model).auto_min_steps = policy.AUTO_MIN_STEPS
    spe = []
    model.fit(
        train,
        epochs=fit_kwargs["epochs"],
        batch_size=fit_kwargs["batch_size"],
        validation_split=fit_kwargs.get("validation_split", 0.0),
        verbose=0,
        tensorboard=False,
        seed=0,
        callbacks=[
            keras.callbacks.LambdaCallback(
                on_train_begin=lambda logs: spe.append(model.steps_per_execution)
            )
        ],
    )
    seconds = time.perf_counter() - start
    steps = int(model.optimizer.iterations.numpy())
    print(json.dumps({"s": seconds, "steps": steps, "spe": spe[0]}))


def run_child(task, steps, calls, flag="--child"):
    here = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            flag,
            task,
            str(steps),
            "--calls",
            str(calls),
        ],
        cwd=here,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = arg_parser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument(
        "--tasks", nargs="+", default=["tabular", "image", "text", "translation"]
    )
    parser.add_argument("--recipes", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "STEPS"))
    parser.add_argument("--recipe-child", nargs=2, metavar=("TASK", "FORMER"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.calls)
        return
    if args.recipe_child:
        recipe_child(args.recipe_child[0], args.recipe_child[1] == "1")
        return
    if args.recipes:
        recipes(args)
        return
    rows = {
        task: {"extra": [], "saved": [], "ratio": [], "even": []} for task in args.tasks
    }
    times = {task: {1: [], CHUNK: []} for task in args.tasks}
    steps = {}
    for round_ in range(args.rounds):
        for task in args.tasks:
            order = (1, CHUNK) if round_ % 2 == 0 else (CHUNK, 1)
            runs = {s: run_child(task, s, args.calls) for s in order}
            one, many = runs[1], runs[CHUNK]
            steps[task] = one["steps"]
            for s in (1, CHUNK):
                times[task][s].append(runs[s])
            # Tracing (and first-pass) cost beyond a later call's time.
            extra = (many["first_s"] - many["later_s"]) - (
                one["first_s"] - one["later_s"]
            )
            saved_ms = (one["later_s"] - many["later_s"]) / one["steps"] * 1e3
            row = rows[task]
            row["extra"].append(extra)
            row["saved"].append(saved_ms)
            row["ratio"].append(many["later_s"] / one["later_s"])
            row["even"].append(extra / saved_ms * 1e3 if saved_ms > 0 else float("inf"))
            print(task, round_, runs, flush=True)
    lines = [
        "| template (steps per timed call) | first call s, 1 step per call | "
        "first call s, 16 | later call s, 1 | later call s, 16 | "
        "later calls: 16 / 1 | extra first-call s of 16 | saved ms per step "
        "by 16 | break-even fit length, steps |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for task in args.tasks:
        t, row = times[task], rows[task]
        lines.append(
            f"| {task} ({steps[task]}) "
            f"| {spread([r['first_s'] for r in t[1]])} "
            f"| {spread([r['first_s'] for r in t[CHUNK]])} "
            f"| {spread([r['later_s'] for r in t[1]])} "
            f"| {spread([r['later_s'] for r in t[CHUNK]])} "
            f"| {spread(row['ratio'])} | {spread(row['extra'])} "
            f"| {spread(row['saved'])} | {spread(row['even'])} |"
        )
    body = (
        f"`.venv/bin/python benchmarks/steps_per_execution.py --rounds "
        f"{args.rounds} --calls {args.calls} --tasks {' '.join(args.tasks)}`: "
        "each template (factory defaults, `benchmarks/overhead.py`'s data and "
        "epochs per call) compiled with 1 and with 16 steps per call, each in a "
        "fresh interpreter: the first `fit` call (tracing included) and the "
        f"median of {args.calls} later calls; the pair's order alternates by "
        "round. Extra first-call s: (first - later) with 16 minus the same with "
        "1. Break-even: extra first-call time / saved time per step, the fit "
        "length (steps) from which 16 steps per call is faster in a model's "
        "first fit. Median (min-max) over rounds.\n\n" + "\n".join(lines)
    )
    report("Steps per call: tracing cost vs per-step saving", body, args)


def recipes(args):
    tasks = [t for t in args.tasks if t in RECIPES]
    runs = {t: {0: [], 1: []} for t in tasks}
    for round_ in range(args.rounds):
        for task in tasks:
            for former in (0, 1) if round_ % 2 == 0 else (1, 0):
                runs[task][former].append(
                    run_child(task, former, 0, flag="--recipe-child")
                )
            print(task, round_, runs[task], flush=True)
    lines = [
        "| recipe (train steps) | steps per call now / former | first fit s, now | "
        "first fit s, former rule | now / former |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for task in tasks:
        now, former = runs[task][0], runs[task][1]
        ratios = [a["s"] / b["s"] for a, b in zip(now, former, strict=True)]
        lines.append(
            f"| {RECIPES[task]} ({now[0]['steps']}) "
            f"| {now[0]['spe']} / {former[0]['spe']} "
            f"| {spread([r['s'] for r in now])} "
            f"| {spread([r['s'] for r in former])} | {spread(ratios)} |"
        )
    body = (
        f"`.venv/bin/python benchmarks/steps_per_execution.py --recipes --rounds "
        f"{args.rounds}`: the first `fit` of a fresh model with each bundled "
        "recipe's model and fit settings (TensorBoard off), build included, "
        'under `steps_per_execution="auto"` with the template\'s '
        "`auto_min_steps` (now) and with the former rule of "
        "`AUTO_MIN_STEPS` (1000) steps for every template, each in a fresh "
        "interpreter, the order alternating by round; median (min-max).\n\n"
        + "\n".join(lines)
    )
    report("Steps per call: a recipe's first fit", body, args)


if __name__ == "__main__":
    main()
