"""Input pipeline and XLA: where the training time goes for the templates.

Part 1 (image template, digits): one compiled template model trained one
epoch at a time from
  - numpy arrays straight into `keras.Model.fit(x, y, batch_size=32)`,
  - a hand-built tf.data pipeline (`from_tensor_slices -> cache -> shuffle ->
    batch -> prefetch`) into `keras.Model.fit`,
  - the template's own path, `model.fit((x, y))` (validation + `kr.data`
    pipeline via `Task.make_dataset`),
interleaved round by round (same model, same compiled train step), samples/s
and ratios to numpy.

Part 2: `jit_compile=True` (XLA) vs `False` for the image template (digits)
and the tabular template (penguins), two identically seeded models each,
epochs interleaved. The templates compile with Keras' default
`jit_compile="auto"`, which Keras resolves to False on CPU-only machines and
to True on GPUs when every layer supports XLA.

    .venv/bin/python benchmarks/input_pipeline.py [--repeats 5] [--note "..."]
"""

import statistics
import time

import keras
import tensorflow as tf
from common import arg_parser
from common import report
from common import spread
from common import timed

import keras_recipes as kr


def pipeline_part(repeats):
    (x, y), _ = kr.datasets.load_digits()
    x = x.astype("float32")
    kr.set_seed(0)
    model = kr.image_classifier(data=(x, y))
    ds = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .cache()
        .shuffle(len(x), seed=0)
        .batch(32)
        .prefetch(tf.data.AUTOTUNE)
    )
    paths = {
        "numpy -> keras.Model.fit": lambda: keras.Model.fit(
            model, x, y, batch_size=32, epochs=1, verbose=0
        ),
        "tf.data cache+prefetch -> keras.Model.fit": lambda: keras.Model.fit(
            model, ds, epochs=1, verbose=0
        ),
        "template model.fit((x, y)) (kr.data pipeline)": lambda: model.fit(
            (x, y), batch_size=32, epochs=1, verbose=0, tensorboard=False, seed=0
        ),
    }
    rates = {name: [] for name in paths}
    for fn in paths.values():
        fn()  # warm-up: tracing, cache fill
    for _ in range(repeats):
        for name, fn in paths.items():
            rates[name].append(len(x) / timed(fn))
    base = rates["numpy -> keras.Model.fit"]
    lines = [
        "| input path (image template, digits, batch 32) | samples/s | "
        "ratio to numpy (per round) |",
        "| --- | --- | --- |",
    ]
    for name, values in rates.items():
        ratio = [a / b for a, b in zip(values, base)]
        lines.append(f"| {name} | {spread(values)} | {spread(ratio)} |")
    return lines


def image_models(jit):
    (x, y), _ = kr.datasets.load_digits()
    kr.set_seed(0)
    model = kr.image_classifier(data=(x, y))
    model.compile(jit_compile=jit)
    return model, (x, y), len(x)


def tabular_models(jit):
    train, _ = kr.datasets.load_penguins()
    kr.set_seed(0)
    model = kr.tabular_classifier(data=train, target="species")
    model.compile(jit_compile=jit)
    return model, train, len(train)


def xla_part(repeats):
    lines = [
        "| template | jit_compile=False samples/s | jit_compile=True samples/s | "
        "XLA/no-XLA ratio (per round) | first epoch s (False / True) |",
        "| --- | --- | --- | --- | --- |",
    ]
    verdicts = []
    for name, build in (
        ("image (digits)", image_models),
        ("tabular (penguins)", tabular_models),
    ):
        runs = {}
        for jit in (False, True):
            model, data, n = build(jit)

            def fit(model=model, data=data):
                model.fit(data, epochs=1, verbose=0, tensorboard=False, seed=0)

            start = time.perf_counter()
            try:
                fit()
                runs[jit] = {"fit": fit, "n": n, "rates": [], "error": None}
            except Exception as error:  # noqa: BLE001 - report it
                runs[jit] = {
                    "error": f"{type(error).__name__}: "
                    f"{str(error).splitlines()[0][:100]}"
                }
            runs[jit]["first"] = time.perf_counter() - start
        if any(run["error"] for run in runs.values()):
            lines.append(f"| {name} | | failed: {runs[True]['error']} | | |")
            verdicts.append(f"{name}: XLA fails")
            continue
        for _ in range(repeats):
            for jit in (False, True):
                runs[jit]["rates"].append(runs[jit]["n"] / timed(runs[jit]["fit"]))
        ratio = [a / b for a, b in zip(runs[True]["rates"], runs[False]["rates"])]
        lines.append(
            f"| {name} | {spread(runs[False]['rates'])} | "
            f"{spread(runs[True]['rates'])} | {spread(ratio)} | "
            f"{runs[False]['first']:.1f} / {runs[True]['first']:.1f} |"
        )
        faster = statistics.median(ratio) > 1.05
        verdicts.append(
            f"{name}: XLA {'faster' if faster else 'not faster'} "
            f"({statistics.median(ratio):.2f}x)"
        )
    return lines, verdicts


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    pipeline_lines = pipeline_part(args.repeats)
    xla_lines, verdicts = xla_part(args.repeats)
    resolved = kr.image_classifier(num_classes=2, image_shape=(8, 8, 1))
    body = (
        f"`.venv/bin/python benchmarks/input_pipeline.py --repeats "
        f"{args.repeats}`: one epoch per timed call, paths/variants interleaved "
        "per round in one process, warm-up (tracing, XLA compilation, cache "
        "fill) excluded.\n\n"
        + "\n".join(pipeline_lines)
        + "\n\n"
        + "\n".join(xla_lines)
        + f"\n\nXLA verdict on this machine: {'; '.join(verdicts)}. The "
        'templates leave `jit_compile` at Keras\' `"auto"`, which resolved to '
        f"`{resolved.jit_compile}` here (Keras turns XLA off on CPU-only "
        "machines, on for GPUs)."
    )
    report("Input pipeline and XLA", body, args)


if __name__ == "__main__":
    main()
