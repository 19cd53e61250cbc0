"""Fit-call overheads of the image template that are not its train step.

Two costs found while chasing the compute-efficiency goal, measured side by
side on the same model (digits, batch 32, one-epoch `fit` calls, variants
interleaved, first round excluded):

- the per-batch hook of `kr.callbacks.TerminateOnNaN`, which `Task.fit`
  adds by default (`terminate_on_nan=False` removes it): Keras runs it on
  a worker thread, but the hook alone makes Keras hand every batch's logs
  to a callback;
- the time a `fit` call spends after `on_train_end` before it returns:
  the teardown of the `tf.data` iterator Keras built for the call. The
  template's datasets have tf.data autotuning off
  (`kr.data.pipeline.make_dataset`); the variant "tf.data autotune on"
  turns it back on, as it was before that change.

Reported: in-epoch ms/step (callback from epoch begin to epoch end) and the
after-train-end time per call, median and max.

    .venv/bin/python benchmarks/fit_overheads.py [--rounds 8] [--note "..."]
"""

import contextlib
import time

import keras
import numpy as np
import tensorflow as tf
from common import arg_parser
from common import report
from common import spread

import keras_recipes as kr
from keras_recipes.tasks import task as task_module

BATCH = 32


class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds = time.perf_counter() - self.start

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


VARIANTS = [
    # name, fit kwargs, context
    ("template fit (default: TerminateOnNaN, autotune off)", {},
     contextlib.nullcontext),
    ("terminate_on_nan=False", {"terminate_on_nan": False}, contextlib.nullcontext),
    ("tf.data autotune on (before)", {}, autotune_on),
]


def main():
    parser = arg_parser()
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    (x, y), _ = kr.datasets.load_digits()
    kr.set_seed(0)
    model = kr.image_classifier(data=(x, y))
    steps = int(np.ceil(len(x) / BATCH))
    results = {name: {"step_ms": [], "tail_ms": []} for name, *_ in VARIANTS}
    for round_index in range(args.rounds + 1):
        for name, fit_kwargs, context in VARIANTS:
            timer = Timer()
            with context():
                model.fit(
                    (x, y),
                    epochs=1,
                    batch_size=BATCH,
                    verbose=0,
                    tensorboard=False,
                    seed=0,
                    callbacks=[timer],
                    **fit_kwargs,
                )
            returned = time.perf_counter()
            if round_index:  # round 0: tracing and warm-up
                results[name]["step_ms"].append(timer.epoch_seconds / steps * 1e3)
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
        f"`.venv/bin/python benchmarks/fit_overheads.py --rounds {args.rounds}`: "
        f"image template on digits ({len(x)} samples, {steps} steps of {BATCH} per "
        "epoch), one-epoch `fit` calls, variants interleaved on the same model; "
        "'vs default' = default ms/step / variant ms/step (> 1: the variant is "
        "faster).\n\n" + "\n".join(lines)
    )
    report("Fit-call overheads (image template)", body, args)


if __name__ == "__main__":
    main()
