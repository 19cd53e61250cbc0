"""Shared helpers of the benchmarks: machine line, timers, RESULTS.md appends.

Every script in `benchmarks/` builds its parser with `arg_parser()` (adds
`--note` and `--no-write`), times with `timed` / `EpochTimer`, and ends with
`report(title, body, args)`, which appends a dated section naming the machine
(`machine()`) to RESULTS.md, or only prints it with `--no-write`. `DEMOS` holds
each template's factory and bundled demo data, so the scripts train on the same
data.
"""

import argparse
import datetime
import os
import platform
import statistics
import time

import keras
import tensorflow as tf

import keras_recipes as kr
from keras_recipes import recipe as recipe_lib

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS.md")
TEMPLATES = os.path.join(os.path.dirname(HERE), "templates")


# ------------------------------------------------------------ machine line
def machine():
    """One line naming the CPU, cores, GPU (if any) and the stack versions."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return (
        f"{cpu}, {os.cpu_count()} cores, GPU: {', '.join(gpus) or 'none'}; "
        f"Python {platform.python_version()}, TF {tf.__version__}, "
        f"Keras {keras.__version__}"
    )


# ------------------------------------------------------------------ timers
def timed(fn, *args, **kwargs):
    """Wall seconds of one call `fn(*args, **kwargs)`."""
    return timed_call(fn, *args, **kwargs)[1]


def timed_call(fn, *args, **kwargs):
    """`(result, wall seconds)` of one call `fn(*args, **kwargs)`."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


class EpochTimer(keras.callbacks.Callback):
    """Wall and CPU seconds of each epoch, from epoch begin to epoch end.

    No batch hooks, so Keras syncs nothing per batch for it. After `fit`:
    `times` / `cpu_times` (one per epoch), `seconds` / `cpu_seconds` (the last
    epoch's), and `train_end` (`time.perf_counter()` at `on_train_end`).
    """

    def __init__(self):
        super().__init__()
        self.times, self.cpu_times = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start
        self.cpu_seconds = time.process_time() - self.cpu_start
        self.times.append(self.seconds)
        self.cpu_times.append(self.cpu_seconds)

    def on_train_end(self, logs=None):
        self.train_end = time.perf_counter()


def spread(values):
    """`median (min-max, n=...)` of a list of numbers."""
    return (
        f"{statistics.median(values):.3f} "
        f"({min(values):.3f}-{max(values):.3f}, n={len(values)})"
    )


# ---------------------------------------------------------- RESULTS.md writer
def append_results(title, body):
    """Appends a dated section to benchmarks/RESULTS.md (never rewrites it)."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = f"\n## {title} — {stamp}\n\nMachine: {machine()}\n\n{body.strip()}\n"
    with open(RESULTS, "a", encoding="utf-8") as file:
        file.write(section)
    print(section)


def arg_parser(description=None):
    """An `ArgumentParser` with the `--note` and `--no-write` that `report` reads."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--note", default="", help="a line added to the section")
    parser.add_argument(
        "--no-write",
        "--no-append",
        action="store_true",
        help="print the section only; do not append it to RESULTS.md",
    )
    return parser


def report(title, body, args):
    """Adds `--note` to `body`; prints it (`--no-write`) or appends it."""
    if args.note:
        body += f"\n\nNote: {args.note}"
    if args.no_write:
        print(body)
    else:
        append_results(title, body)


# -------------------------------------------------------------- shared data
def _dates(num_test):
    return kr.datasets.load_dates(num_train=2000, num_test=num_test, seed=0)


# Each template's factory, extra factory arguments and demo data as
# `(train, test)`; translation: 2000 date pairs, so one epoch is seconds.
DEMOS = {
    "image": (kr.image_classifier, {}, kr.datasets.load_digits),
    "tabular": (
        kr.tabular_classifier,
        {"target": "species"},
        kr.datasets.load_penguins,
    ),
    "text": (kr.text_classifier, {}, kr.datasets.load_wordnet_glosses),
    "translation": (kr.seq2seq_transformer, {}, lambda: _dates(200)),
}


def recipe_settings(name):
    """`(model kwargs, fit kwargs)` of a bundled recipe, `templates/<name>`."""
    config = recipe_lib.load(os.path.join(TEMPLATES, name)).config
    return dict(config.get("model", {})), dict(config.get("fit", {}))
