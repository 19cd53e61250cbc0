"""First `fit` call: tracing, the optimizer build, and the fused optimizer.

Keras 3.15 (TensorFlow backend, no distribution strategy) creates the
optimizer's slot variables while tracing the first train step, and a
`tf.function` that creates variables is traced twice. `Task.fit` builds the
optimizer first, so the train step is traced once. Keras' `AdamW` also
writes each variable's update as ~20 small ops, all traced in Python; the
templates' default, `kr.optimizers.FastAdamW`, runs it as one fused
`ResourceApplyAdam` op per variable. For each template on its demo data, a
fresh model per measurement, variants interleaved per round (order
alternating):

  - `keras.Model.fit(model, ds)` with Keras' `AdamW`, built while tracing
    (a plain Keras user's path),
  - the same after `model.optimizer.build(model.trainable_variables)`,
  - the template's own `model.fit(data, epochs=1)` (validation, pipeline
    build, callbacks, prebuilt optimizer) with Keras' `AdamW` (the template
    before `FastAdamW`),
  - the same with the template's default, `FastAdamW`,

one epoch each; `ds` is the template's own training pipeline, built outside
the timing. Keras' `AdamW` gets `FastAdamW`'s config (same hyperparameters).
Two more one-epoch fits of the same model are timed too, the faster one
reported ("later fit": no tracing left, and the minimum drops a one-time
cost of ~0.3 s that sometimes lands on a process's next few fit calls),
so it shows what the fused update does to the training steps themselves.

    .venv/bin/python benchmarks/first_fit.py [--repeats 3] [--tasks image text]
"""

import argparse
import functools
import statistics
import time

import keras
from common import append_results
from common import spread

import keras_recipes as kr


def _translation_data():
    train, _ = kr.datasets.load_dates(num_train=2000, num_test=10, seed=0)
    return train


TASKS = {
    "image": (kr.image_classifier, lambda: kr.datasets.load_digits()[0], {}),
    "tabular": (
        kr.tabular_classifier,
        lambda: kr.datasets.load_penguins()[0],
        {"target": "species"},
    ),
    "text": (
        kr.text_classifier,
        lambda: kr.datasets.load_wordnet_glosses()[0],
        {},
    ),
    "translation": (kr.seq2seq_transformer, _translation_data, {}),
}
VARIANTS = (
    "keras fit, AdamW built while tracing",
    "keras fit, AdamW built first",
    "template fit, keras AdamW",
    "template fit, FastAdamW (default)",
)


@functools.cache
def _train_data(task):
    return TASKS[task][1]()


def first_fit(task, variant):
    """Seconds of the first and of a later one-epoch fit of a fresh model."""
    factory, _, kwargs = TASKS[task]
    train = _train_data(task)
    keras.backend.clear_session()
    kr.set_seed(0)
    model = factory(data=train, **kwargs)
    if variant != VARIANTS[3]:
        config = model.optimizer.get_config()
        model.compile(optimizer=keras.optimizers.AdamW.from_config(config))
    if variant in VARIANTS[2:]:
        fit = functools.partial(
            model.fit, train, epochs=1, verbose=0, tensorboard=False, seed=0
        )
    else:
        ds = model.make_dataset(model.to_data(train), training=True, seed=0)
        fit = functools.partial(
            keras.Model.fit, model, ds, epochs=1, verbose=0, shuffle=False
        )
    start = time.perf_counter()
    if variant == VARIANTS[1]:
        model.optimizer.build(model.trainable_variables)
    fit()
    first = time.perf_counter() - start
    later = []
    for _ in range(2):
        start = time.perf_counter()
        fit()
        later.append(time.perf_counter() - start)
    return first, min(later)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--note", default="")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    times = {(t, v): [] for t in args.tasks for v in VARIANTS}
    later_times = {(t, v): [] for t in args.tasks for v in VARIANTS}
    built_first = {t: [] for t in args.tasks}
    fused = {t: [] for t in args.tasks}
    fused_later = {t: [] for t in args.tasks}
    for round_ in range(args.repeats):
        for task in args.tasks:
            # Alternate the order per round so no variant always goes first.
            order = VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]
            got = {v: first_fit(task, v) for v in order}
            for v, (first, later) in got.items():
                times[task, v].append(first)
                later_times[task, v].append(later)
            built_first[task].append(got[VARIANTS[1]][0] / got[VARIANTS[0]][0])
            fused[task].append(got[VARIANTS[3]][0] / got[VARIANTS[2]][0])
            fused_later[task].append(got[VARIANTS[3]][1] / got[VARIANTS[2]][1])
            print(
                f"round {round_ + 1} {task}: "
                + ", ".join(f"{v} {got[v][0]:.2f}s/{got[v][1]:.2f}s" for v in VARIANTS),
                flush=True,
            )

    ratio_names = (
        "AdamW built first / while tracing",
        "FastAdamW / keras AdamW (template fit)",
        "the same, later fit",
    )
    head = "| template | " + " | ".join(VARIANTS + ratio_names) + " |"
    lines = [head, "| --- |" + " --- |" * (len(VARIANTS) + len(ratio_names))]
    for task in args.tasks:
        cells = [spread(times[task, v]) for v in VARIANTS]
        cells += [spread(built_first[task]), spread(fused[task])]
        cells.append(spread(fused_later[task]))
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    later_lines = [
        "| template | " + " | ".join(VARIANTS) + " |",
        "| --- |" + " --- |" * len(VARIANTS),
    ]
    for task in args.tasks:
        cells = [spread(later_times[task, v]) for v in VARIANTS]
        later_lines.append(f"| {task} | " + " | ".join(cells) + " |")

    def medians(ratios):
        return ", ".join(f"{t} {statistics.median(ratios[t]):.2f}x" for t in args.tasks)

    body = (
        f"`.venv/bin/python benchmarks/first_fit.py --repeats {args.repeats}`: "
        "seconds for the first one-epoch `fit` of a fresh model (tracing "
        "included), variants interleaved per round, demo data of each template "
        "(translation: 2000 date pairs).\n\n"
        + "\n".join(lines)
        + "\n\nSeconds for a later one-epoch `fit` of the same model (no "
        "tracing; the faster of two):\n\n"
        + "\n".join(later_lines)
        + "\n\nFirst-fit time with the optimizer built first, relative to "
        f"Keras' default: {medians(built_first)}. Template first fit, "
        f"FastAdamW / keras AdamW: {medians(fused)}; later fit: "
        f"{medians(fused_later)}.\n"
    )
    if args.note:
        body += f"\nNote: {args.note}\n"
    if args.no_write:
        print(body)
    else:
        append_results("First fit: tracing, the optimizer build, FastAdamW", body)


if __name__ == "__main__":
    main()
