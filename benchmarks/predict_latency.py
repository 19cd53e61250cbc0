"""Latency of `predict` on inputs that fit in one batch: one call vs the pipeline.

A template's `predict` runs raw in-memory inputs that fit in one batch (a
row, an image, a few sentences) as one `predict_on_batch` call; larger ones
go through a `tf.data` pipeline and Keras' predict loop. This times both
routes on the same model and the same raw input (the pipeline route forced
by patching `Task._one_batch_predict`, i.e. the code as it was before),
for the tabular (penguins), image (digits) and text (glosses) templates
after a short fit, at 1 sample and at 32 (one default batch); calls
interleaved, first call of each excluded (tracing). It also checks that
both routes give the same probabilities.

    .venv/bin/python benchmarks/predict_latency.py [--repeats 15]
"""

import time

import numpy as np
from common import arg_parser
from common import report
from common import spread

import keras_recipes as kr
from keras_recipes.tasks.task import Task


def tabular():
    train_df, test_df = kr.datasets.load_penguins()
    model = kr.tabular_classifier(data=train_df)
    return model, (train_df,), test_df.drop(columns=[train_df.attrs["target"]])


def image():
    (x, y), (x_test, _) = kr.datasets.load_digits()
    return kr.image_classifier(data=(x, y)), ((x, y),), x_test


def text():
    (x, y), (x_test, _) = kr.datasets.load_wordnet_glosses()
    return kr.text_classifier(data=(x, y)), ((x, y),), np.asarray(x_test)


TEMPLATES = {"tabular": tabular, "image": image, "text": text}


def through_pipeline(model, x):
    """`predict` by the tf.data route, whatever the size of `x`."""
    one_batch = Task._one_batch_predict
    Task._one_batch_predict = lambda *args: False
    try:
        return model.predict(x, verbose=0)
    finally:
        Task._one_batch_predict = one_batch


def main():
    parser = arg_parser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    lines = [
        "| template | samples | one call, ms | pipeline, ms | pipeline / one call |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for name, build in TEMPLATES.items():
        kr.set_seed(0)
        model, data, test = build()
        model.fit(*data, epochs=1, verbose=0, tensorboard=False, seed=0)
        for n in (1, 32):
            x = test.iloc[:n] if hasattr(test, "iloc") else test[:n]
            fast = model.predict(x, verbose=0)  # also the first-call tracing
            slow = through_pipeline(model, x)
            np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
            routes = {
                "one call": lambda x=x, m=model: m.predict(x, verbose=0),
                "pipeline": lambda x=x, m=model: through_pipeline(m, x),
            }
            times = {route: [] for route in routes}
            for _ in range(args.repeats):
                for route, fn in routes.items():
                    start = time.perf_counter()
                    fn()
                    times[route].append((time.perf_counter() - start) * 1e3)
            ratio = [b / a for a, b in zip(times["one call"], times["pipeline"])]
            lines.append(
                f"| {name} | {n} | {spread(times['one call'])} | "
                f"{spread(times['pipeline'])} | {spread(ratio)} |"
            )
            print(lines[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/predict_latency.py --repeats "
        f"{args.repeats}`: `predict` of raw input that fits in one batch, as "
        "one `predict_on_batch` call (now) vs through the tf.data pipeline and "
        "Keras' predict loop (before), same model and input, interleaved; ms "
        "per call, median (min-max, n); equal outputs checked.\n\n"
        + "\n".join(lines)
    )
    report("Predict latency: one batch as one call", body, args)


if __name__ == "__main__":
    main()
