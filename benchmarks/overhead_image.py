"""Overhead of the image template vs the same network written by hand in Keras.

Both models have the same architecture (rescaling, the same augmentation,
a 3x3 stem, residual squeeze-excitation stages, pooling, dropout, softmax), the
same optimizer/loss/metric, and train on the same tf.data pipeline. Epochs are
interleaved (template, hand, template, hand, ...) in one process so machine
noise hits both alike. Reported: training throughput (samples/s) medians and
their ratio (goal >= 0.98), and the same for `predict` on the test split.

    .venv/bin/python benchmarks/overhead_image.py [--repeats 7]
"""

import argparse
import time

import keras
from common import append_results
from common import spread

import keras_recipes as kr

EPOCHS = 3


def hand_written(num_classes, image_shape, width=32, depth=3, se_ratio=0.25):
    """The template's default network in plain Keras functional code."""
    inputs = keras.Input(shape=image_shape)
    x = keras.layers.Rescaling(1.0 / 255)(inputs)
    x = keras.layers.RandomTranslation(0.1, 0.1)(x)
    x = keras.layers.RandomRotation(0.05)(x)
    x = keras.layers.RandomZoom(0.1)(x)
    x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    for stage in range(depth):
        filters = width * 2**stage
        strides = 2 if stage > 0 else 1
        shortcut = x
        y = keras.layers.Conv2D(
            filters, 3, strides=strides, padding="same", use_bias=False
        )(x)
        y = keras.layers.BatchNormalization()(y)
        y = keras.layers.Activation("relu")(y)
        y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = keras.layers.BatchNormalization()(y)
        s = keras.layers.GlobalAveragePooling2D()(y)
        s = keras.layers.Dense(max(1, int(filters * se_ratio)), activation="silu")(s)
        s = keras.layers.Dense(filters, activation="sigmoid")(s)
        y = keras.layers.Multiply()([y, keras.layers.Reshape((1, 1, filters))(s)])
        if strides != 1 or shortcut.shape[-1] != filters:
            shortcut = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False)(
                shortcut
            )
            shortcut = keras.layers.BatchNormalization()(shortcut)
        x = keras.layers.Activation("relu")(keras.layers.Add()([y, shortcut]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.1)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    kr.set_seed(0)
    (x, y), (x_test, _) = kr.datasets.load_digits()
    template = kr.image_classifier(data=(x, y))
    hand = hand_written(10, x.shape[1:])
    assert template.count_params() == hand.count_params(), (
        template.count_params(),
        hand.count_params(),
    )
    # The same pipeline for both: kr.data.make_dataset, cached + shuffled.
    ds = kr.data.make_dataset(
        x.astype("float32"), y, batch_size=32, shuffle=True, seed=0
    )

    # The template's fit also builds its pipeline and decays the LR (cosine),
    # as a user's call would; both train EPOCHS epochs per timed call.
    def template_epoch():
        template.fit((x, y), epochs=EPOCHS, verbose=0, tensorboard=False, seed=0)

    def hand_epoch():
        hand.fit(ds, epochs=EPOCHS, verbose=0)

    # Decomposition: the template's graph under plain `keras.Model.fit` on the
    # hand-written side's pipeline, and the template's `fit` without its two
    # default callbacks (per-batch NaN check, cosine LR decay).
    def template_graph_epoch():
        keras.Model.fit(template, ds, epochs=EPOCHS, verbose=0)

    def template_bare_epoch():
        template.fit(
            (x, y),
            epochs=EPOCHS,
            verbose=0,
            tensorboard=False,
            seed=0,
            terminate_on_nan=False,
            lr_schedule=None,
        )

    def template_predict():
        template.predict(x_test, verbose=0)

    def hand_predict():
        hand.predict(x_test.astype("float32"), batch_size=32, verbose=0)

    train_n, test_n = EPOCHS * len(x), len(x_test)
    contenders = (
        ("template fit", template_epoch, train_n),
        ("hand fit", hand_epoch, train_n),
        ("template graph, keras fit on the same ds", template_graph_epoch, train_n),
        ("template fit, no NaN check / LR decay", template_bare_epoch, train_n),
        ("template predict", template_predict, test_n),
        ("hand predict", hand_predict, test_n),
    )
    results = {}
    for name, fn, _ in contenders:
        fn()  # warm-up: tracing and the first pass over the cache
        results[name] = []
    for _ in range(args.repeats):
        for name, fn, n in contenders:
            start = time.perf_counter()
            fn()
            results[name].append(n / (time.perf_counter() - start))

    def ratio(a, b):
        return spread([x / y for x, y in zip(results[a], results[b])])

    lines = [
        "| measure | samples/s: median (min-max, n) |",
        "| --- | --- |",
        *(f"| {name} | {spread(v)} |" for name, v in results.items()),
        "| **fit throughput ratio template/hand** (goal >= 0.98) | "
        f"{ratio('template fit', 'hand fit')} |",
        "| fit ratio template graph (plain keras fit) / hand | "
        f"{ratio('template graph, keras fit on the same ds', 'hand fit')} |",
        "| fit ratio template fit / template fit without its callbacks | "
        f"{ratio('template fit', 'template fit, no NaN check / LR decay')} |",
        "| predict throughput ratio template/hand | "
        f"{ratio('template predict', 'hand predict')} |",
    ]
    body = (
        "`.venv/bin/python benchmarks/overhead_image.py` — digits (1437 train, "
        "360 test), default template (width 32, depth 3), batch 32, epochs "
        "interleaved in one process, 3 epochs per timed `fit` call. "
        "The template call includes input "
        "validation and building its tf.data pipeline; the hand-written model "
        "reuses one prebuilt pipeline.\n\n" + "\n".join(lines)
    )
    if args.no_write:
        print(body)
    else:
        append_results("Image template overhead (issue #2)", body)


if __name__ == "__main__":
    main()
