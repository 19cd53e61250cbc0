"""First `fit` call: how much of it is tracing, and what building the optimizer saves.

Keras 3.15 (TensorFlow backend, no distribution strategy) creates the
optimizer's slot variables while tracing the first train step, and a
`tf.function` that creates variables is traced twice. `Task.fit` builds the
optimizer first, so the train step is traced once. For each template on its
demo data, a fresh model per measurement, variants interleaved per round:

  - `keras.Model.fit(model, ds)`, optimizer built while tracing (Keras' path),
  - the same after `model.optimizer.build(model.trainable_variables)`,
  - the template's own `model.fit(data, epochs=1)` (validation, pipeline
    build, callbacks, prebuilt optimizer),

one epoch each; `ds` is the template's own training pipeline, built outside
the timing.

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
    "keras fit, optimizer built while tracing",
    "keras fit, optimizer built first",
    "template fit (builds it first)",
)


@functools.cache
def _train_data(task):
    return TASKS[task][1]()


def first_fit(task, variant):
    factory, _, kwargs = TASKS[task]
    train = _train_data(task)
    keras.backend.clear_session()
    kr.set_seed(0)
    model = factory(data=train, **kwargs)
    if variant == VARIANTS[2]:
        start = time.perf_counter()
        model.fit(train, epochs=1, verbose=0, tensorboard=False, seed=0)
        return time.perf_counter() - start
    ds = model.make_dataset(model.to_data(train), training=True, seed=0)
    start = time.perf_counter()
    if variant == VARIANTS[1]:
        model.optimizer.build(model.trainable_variables)
    keras.Model.fit(model, ds, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--note", default="")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    times = {(t, v): [] for t in args.tasks for v in VARIANTS}
    ratios = {t: [] for t in args.tasks}
    for round_ in range(args.repeats):
        for task in args.tasks:
            # Alternate the order per round so neither side always goes first.
            order = VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]
            got = {v: first_fit(task, v) for v in order}
            for v, seconds in got.items():
                times[task, v].append(seconds)
            ratios[task].append(got[VARIANTS[1]] / got[VARIANTS[0]])
            print(f"round {round_ + 1} {task}: " + ", ".join(
                f"{v} {got[v]:.2f}s" for v in VARIANTS
            ), flush=True)

    head = "| template | " + " | ".join(VARIANTS) + " | built first / while tracing |"
    lines = [head, "| --- |" + " --- |" * (len(VARIANTS) + 1)]
    for task in args.tasks:
        cells = [spread(times[task, v]) for v in VARIANTS]
        cells.append(spread(ratios[task]))
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    summary = ", ".join(
        f"{t} {statistics.median(ratios[t]):.2f}x" for t in args.tasks
    )
    body = (
        f"`.venv/bin/python benchmarks/first_fit.py --repeats {args.repeats}`: "
        "seconds for the first one-epoch `fit` of a fresh model (tracing "
        "included), variants interleaved per round, demo data of each template "
        "(translation: 2000 date pairs).\n\n"
        + "\n".join(lines)
        + f"\n\nFirst-fit time with the optimizer built first, relative to "
        f"Keras' default: {summary}.\n"
    )
    if args.note:
        body += f"\nNote: {args.note}\n"
    if args.no_write:
        print(body)
    else:
        append_results("First fit: tracing and the optimizer build", body)


if __name__ == "__main__":
    main()
