"""Fit-call overheads of a template that are not its train step.

Costs found while chasing the compute-efficiency goal, measured side by
side on the same model (default: the image template on digits, batch 32,
one-epoch `fit` calls; variants interleaved, first round excluded):

- the per-batch hook of `kr.callbacks.TerminateOnNaN`, which `Task.fit`
  adds by default (`terminate_on_nan=False` removes it): Keras runs it on
  a worker thread, but the hook alone makes Keras hand every batch's logs
  to a callback;
- the time a `fit` call spends after `on_train_end` before it returns:
  the teardown of the `tf.data` iterator Keras built for the call. The
  template's datasets have tf.data autotuning off
  (`kr.data.pipeline.make_dataset`); the variant "tf.data autotune on"
  turns it back on, as it was before that change;
- the `tf.data` iterators Keras opens: `Task.fit` passes `steps_per_epoch`
  (and `validation_steps`) for its own pipelines, so that Keras 3.15 opens
  one iterator per epoch, the one the epoch reads. The variant "Keras counts
  the steps" leaves both out, as before that change: Keras then opens
  another one at each epoch's start and never reads the one it opened at the
  previous epoch's end. Setting one up costs ~0.7 ms for the image and
  tabular pipelines and ~14 ms for the text template's (its vectorization
  map's function is instantiated per iterator), so use `--task text
  --epochs 5`: one-epoch calls open two iterators either way.

Reported: in-epoch ms/step (callback from epoch begin to epoch end, all
epochs of a call) and the after-train-end time per call, median and range.

    .venv/bin/python benchmarks/fit_overheads.py [--rounds 8] [--task image]
        [--epochs 1] [--note "..."]
"""

import contextlib
import time

import keras
import numpy as np
import tensorflow as tf
from common import arg_parser
from common import report
from common import spread
from first_fit import TASKS

import keras_recipes as kr
from keras_recipes.tasks import task as task_module

BATCH = 32


class Timer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.epoch_seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds += time.perf_counter() - self.start

    def on_train_end(self, logs=None):
        self.train_end = time.perf_counter()


@contextlib.contextmanager
def autotune_on():
    """The template's datasets with tf.data autotuning enabled (TF's default)."""
    make = task_module.make_dataset

    def patched(*args, **kwargs):
        options = tf.data.Options()
        options.autotune.enabled = True
        return make(*args, **kwargs).with_options(options)

    task_module.make_dataset = patched
    try:
        yield
    finally:
        task_module.make_dataset = make


@contextlib.contextmanager
def keras_counts_steps():
    """`Task.fit` without the step counts it passes to Keras' `fit`."""
    fit = keras.Model.fit

    def patched(self, *args, **kwargs):
        kwargs.pop("steps_per_epoch", None)
        kwargs.pop("validation_steps", None)
        return fit(self, *args, **kwargs)

    keras.Model.fit = patched
    try:
        yield
    finally:
        keras.Model.fit = fit


VARIANTS = [
    # name, fit kwargs, context
    (
        "template fit (default: TerminateOnNaN, autotune off)",
        {},
        contextlib.nullcontext,
    ),
    ("terminate_on_nan=False", {"terminate_on_nan": False}, contextlib.nullcontext),
    ("tf.data autotune on (before)", {}, autotune_on),
    ("Keras counts the steps: 2 iterators per epoch (before)", {}, keras_counts_steps),
]


def main():
    parser = arg_parser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--task", choices=sorted(TASKS), default="image")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    factory, load, kwargs = TASKS[args.task]
    train = load()
    kr.set_seed(0)
    model = factory(data=train, **kwargs)
    data = model.to_data(train)
    steps = int(np.ceil(len(data) / BATCH))
    results = {name: {"step_ms": [], "tail_ms": []} for name, *_ in VARIANTS}
    for round_index in range(args.rounds + 1):
        for name, fit_kwargs, context in VARIANTS:
            timer = Timer()
            with context():
                model.fit(
                    data,
                    epochs=args.epochs,
                    batch_size=BATCH,
                    verbose=0,
                    tensorboard=False,
                    seed=0,
                    callbacks=[timer],
                    **fit_kwargs,
                )
            returned = time.perf_counter()
            if round_index:  # round 0: tracing and warm-up
                results[name]["step_ms"].append(
                    timer.epoch_seconds / (steps * args.epochs) * 1e3
                )
                results[name]["tail_ms"].append((returned - timer.train_end) * 1e3)
    base = float(np.median(results[VARIANTS[0][0]]["step_ms"]))
    lines = [
        "| variant | in-epoch ms/step: median (min-max, n) | vs default | "
        "after on_train_end, ms per fit call: median (min-max, n) |",
        "| --- | --- | ---: | --- |",
    ]
    for name, *_ in VARIANTS:
        step = results[name]["step_ms"]
        lines.append(
            f"| {name} | {spread(step)} | {base / float(np.median(step)):.2f}x | "
            f"{spread(results[name]['tail_ms'])} |"
        )
    body = (
        f"`.venv/bin/python benchmarks/fit_overheads.py --rounds {args.rounds} "
        f"--task {args.task} --epochs {args.epochs}`: {args.task} template on its "
        f"demo data ({len(data)} samples, {steps} steps of {BATCH} per epoch), "
        f"{args.epochs}-epoch `fit` calls, variants interleaved on the same model; "
        "'vs default' = default ms/step / variant ms/step (> 1: the variant is "
        "faster).\n\n" + "\n".join(lines)
    )
    report(f"Fit-call overheads ({args.task} template)", body, args)


if __name__ == "__main__":
    main()
