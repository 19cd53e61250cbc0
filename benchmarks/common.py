"""Shared helpers for the benchmarks: machine description and RESULTS.md appends."""

import argparse
import datetime
import os
import platform
import statistics

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


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
    import keras
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return (
        f"{cpu}, {os.cpu_count()} cores, GPU: {', '.join(gpus) or 'none'}; "
        f"Python {platform.python_version()}, TF {tf.__version__}, "
        f"Keras {keras.__version__}"
    )


def spread(values):
    """`median (min-max)` of a list of numbers."""
    return (
        f"{statistics.median(values):.3f} "
        f"({min(values):.3f}-{max(values):.3f}, n={len(values)})"
    )


def append_results(title, body):
    """Appends a dated section to benchmarks/RESULTS.md (never rewrites it)."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = f"\n## {title} — {stamp}\n\nMachine: {machine()}\n\n{body.strip()}\n"
    with open(RESULTS, "a", encoding="utf-8") as file:
        file.write(section)
    print(section)


def arg_parser():
    """An `ArgumentParser` with the `--note` and `--no-write` that `report` reads."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--note", default="")
    parser.add_argument("--no-write", action="store_true")
    return parser


def report(title, body, args):
    """Adds `--note` to `body`; prints it (`--no-write`) or appends it."""
    if args.note:
        body += f"\n\nNote: {args.note}"
    if args.no_write:
        print(body)
    else:
        append_results(title, body)
