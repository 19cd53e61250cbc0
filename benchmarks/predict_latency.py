"""Latency of `predict` on in-memory input: batch by batch vs the pipeline.

A template's `predict` runs raw in-memory inputs (rows, images, sentences)
batch by batch through `predict_on_batch`; before, any input larger than
one batch went through a `tf.data` pipeline and Keras' predict loop (and
one batch did too before that). This times both routes on
the same model and the same raw input (the pipeline route forced by
patching `Task._predict_by_batches`), for the tabular (penguins), image
(digits) and text (glosses) templates after a short fit, at 1 sample, 32
(one default batch) and the whole test split (several batches); calls
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
    by_batches = Task._predict_by_batches
    Task._predict_by_batches = lambda *args: False
    try:
        return model.predict(x, verbose=0)
    finally:
        Task._predict_by_batches = by_batches


def main():
    parser = arg_parser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    lines = [
        "| template | samples | by batches, ms | pipeline, ms "
        "| pipeline / by batches |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for name, build in TEMPLATES.items():
        kr.set_seed(0)
        model, data, test = build()
        model.fit(*data, epochs=1, verbose=0, tensorboard=False, seed=0)
        for n in (1, 32, len(test)):
            x = test.iloc[:n] if hasattr(test, "iloc") else test[:n]
            fast = model.predict(x, verbose=0)  # also the first-call tracing
            slow = through_pipeline(model, x)
            np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
            routes = {
                "by batches": lambda x=x, m=model: m.predict(x, verbose=0),
                "pipeline": lambda x=x, m=model: through_pipeline(m, x),
            }
            times = {route: [] for route in routes}
            for _ in range(args.repeats):
                for route, fn in routes.items():
                    start = time.perf_counter()
                    fn()
                    times[route].append((time.perf_counter() - start) * 1e3)
            ratio = [b / a for a, b in zip(times["by batches"], times["pipeline"])]
            lines.append(
                f"| {name} | {n} | {spread(times['by batches'])} | "
                f"{spread(times['pipeline'])} | {spread(ratio)} |"
            )
            print(lines[-1], flush=True)
    body = (
        f"`.venv/bin/python benchmarks/predict_latency.py --repeats "
        f"{args.repeats}`: `predict` of raw in-memory input, batch by batch "
        "through `predict_on_batch` (now) vs through the tf.data pipeline and "
        "Keras' predict loop (before), same model and input, batch 32, "
        "interleaved; ms per call, median (min-max, n); equal outputs "
        "checked.\n\n" + "\n".join(lines)
    )
    report("Predict latency: in-memory input batch by batch", body, args)


if __name__ == "__main__":
    main()
