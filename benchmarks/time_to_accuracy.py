"""Time to accuracy: each template vs the keras.io recipe for the same task.

Wall time from building the model (vocabulary/normalisation adaptation and
graph tracing included) until the held-out test split (passed as validation
data, evaluated after every epoch, same for all contenders) first reaches a
fixed target accuracy; training stops there (`StopAtTarget`). Contenders run
interleaved, `--repeats` rounds, median reported.

- image (digits 8x8): `kr.image_classifier` with
  `templates/image_classification.yaml` settings vs the keras.io
  "Image classification from scratch" mini-Xception (entry conv 128, blocks
  256/512/728 of separable convs with residuals, separable conv 1024, Adam
  3e-4, batch 128; its RandomFlip is left out since digits are not
  mirror-symmetric, RandomRotation(0.1) kept).
- tabular (penguins): `kr.tabular_classifier` with
  `templates/tabular_classification.yaml` settings vs the keras.io
  "Structured data classification with FeatureSpace" recipe (FeatureSpace:
  float_normalized numerics, string/integer categoricals one-hot, concat;
  Dense(32, relu), Dropout(0.5), softmax; Adam, batch 32). That recipe has no
  missing-value handling, so the hand-written side fills NaNs first (train
  medians, "unknown") — work the template does itself.
- AutoKeras (image only) when `import autokeras` works: `ak.ImageClassifier(
  max_trials=1)`; skipped with a message otherwise. AutoKeras is not a
  dependency of keras_recipes.

    .venv/bin/python benchmarks/time_to_accuracy.py --task image [--repeats 3]
    .venv/bin/python benchmarks/time_to_accuracy.py --task tabular
"""

import argparse
import os
import statistics
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from common import append_results
from common import spread

import keras_recipes as kr

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(os.path.dirname(HERE), "templates")


class StopAtTarget(keras.callbacks.Callback):
    """Stops training when `monitor` first reaches `target`; records the time."""

    def __init__(self, target, start, monitor="val_accuracy"):
        super().__init__()
        self.target = target
        self.start = start
        self.monitor = monitor
        self.reached = None
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        value = (logs or {}).get(self.monitor)
        if value is not None and value >= self.target and self.reached is None:
            self.reached = time.perf_counter() - self.start
            self.model.stop_training = True


def recipe_settings(name):
    from keras_recipes import recipe as recipe_lib

    config = recipe_lib.load(os.path.join(TEMPLATES, name)).config
    return dict(config.get("model", {})), dict(config.get("fit", {}))


# ----------------------------------------------------------------------- image
def image_template(data, target):
    (x, y), (xt, yt) = data
    model_kwargs, fit_kwargs = recipe_settings("image_classification.yaml")
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    model = kr.image_classifier(data=(x, y), seed=0, **model_kwargs)
    model.fit(
        (x, y),
        validation_data=(xt, yt),
        epochs=fit_kwargs["epochs"],
        batch_size=fit_kwargs["batch_size"],
        callbacks=[stop],
        verbose=0,
        tensorboard=False,
        seed=0,
    )
    return stop


def mini_xception(input_shape, num_classes):
    """keras.io "Image classification from scratch" `make_model`."""
    layers = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = layers.RandomRotation(0.1)(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous = x
    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs)


def image_keras_io(data, target, max_epochs=25):
    (x, y), (xt, yt) = data
    start = time.perf_counter()
    stop = StopAtTarget(target, start, monitor="val_acc")
    keras.utils.set_random_seed(0)
    model = mini_xception(x.shape[1:], 10)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model.fit(
        x.astype("float32"),
        y,
        batch_size=128,
        epochs=max_epochs,
        validation_data=(xt.astype("float32"), yt),
        callbacks=[stop],
        verbose=0,
    )
    return stop


def image_autokeras(data, target, max_epochs=20):
    import autokeras as ak

    (x, y), (xt, yt) = data
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    with tempfile.TemporaryDirectory(prefix="bench_ak_") as directory:
        clf = ak.ImageClassifier(
            max_trials=1, overwrite=True, directory=directory, seed=0
        )
        clf.fit(
            x.astype("float32"),
            y,
            validation_data=(xt.astype("float32"), yt),
            epochs=max_epochs,
            callbacks=[stop],
            verbose=0,
        )
    return stop


# --------------------------------------------------------------------- tabular
def tabular_template(data, target):
    train, test = data
    model_kwargs, fit_kwargs = recipe_settings("tabular_classification.yaml")
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    model = kr.tabular_classifier(data=train, target="species", seed=0, **model_kwargs)
    model.fit(
        train,
        validation_data=test,
        epochs=fit_kwargs["epochs"],
        batch_size=fit_kwargs["batch_size"],
        callbacks=[stop],
        verbose=0,
        tensorboard=False,
        seed=0,
    )
    return stop


def tabular_keras_io(data, target, max_epochs=60):
    train, test = data
    start = time.perf_counter()
    stop = StopAtTarget(target, start)
    keras.utils.set_random_seed(0)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    classes = sorted(train["species"].unique())

    def to_dataset(frame, shuffle):
        frame = frame.copy()
        for column in numeric:  # the keras.io recipe assumes no missing values
            frame[column] = frame[column].fillna(train[column].median())
        frame["sex"] = frame["sex"].fillna("unknown")
        labels = frame.pop("species").map(classes.index).to_numpy()
        features = {c: frame[c].to_numpy().astype("float32") for c in numeric}
        features["island"] = frame["island"].to_numpy().astype(str)
        features["sex"] = frame["sex"].to_numpy().astype(str)
        features["year"] = frame["year"].to_numpy().astype("int64")
        ds = tf.data.Dataset.from_tensor_slices((features, labels))
        if shuffle:
            ds = ds.shuffle(len(frame), seed=0)
        return ds.batch(32)

    fs = keras.utils.FeatureSpace
    feature_space = fs(
        features={
            "island": fs.string_categorical(num_oov_indices=0),
            "sex": fs.string_categorical(num_oov_indices=0),
            "year": fs.integer_categorical(num_oov_indices=0),
            **{c: fs.float_normalized() for c in numeric},
        },
        output_mode="concat",
    )
    train_ds = to_dataset(train, shuffle=True)
    test_ds = to_dataset(test, shuffle=False)
    feature_space.adapt(train_ds.map(lambda x, _: x))
    train_ds = train_ds.map(
        lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
    ).prefetch(tf.data.AUTOTUNE)
    test_ds = test_ds.map(
        lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
    ).prefetch(tf.data.AUTOTUNE)
    encoded = feature_space.get_encoded_features()
    x = keras.layers.Dense(32, activation="relu")(encoded)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(len(classes), activation="softmax")(x)
    model = keras.Model(encoded, outputs)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        train_ds,
        epochs=max_epochs,
        validation_data=test_ds,
        callbacks=[stop],
        verbose=0,
    )
    return stop


TASKS = {
    "image": {
        "target": 0.97,
        "data": lambda: kr.datasets.load_digits(),
        "contenders": {
            "kr.image_classifier (template)": image_template,
            "keras.io mini-Xception": image_keras_io,
            "AutoKeras ImageClassifier (max_trials=1)": image_autokeras,
        },
        "describe": "digits 8x8 (1437 train / 360 test)",
    },
    "tabular": {
        "target": 0.97,
        "data": lambda: kr.datasets.load_penguins(),
        "contenders": {
            "kr.tabular_classifier (template)": tabular_template,
            "keras.io FeatureSpace MLP": tabular_keras_io,
        },
        "describe": "penguins (275 train / 69 test, missing values kept)",
    },
}


def autokeras_available():
    try:
        import autokeras  # noqa: F401
    except Exception as error:  # noqa: BLE001 - any import failure skips it
        return f"{type(error).__name__}: {error}"
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=sorted(TASKS), default="image")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=None)
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--note", default="")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    spec = TASKS[args.task]
    target = args.target or spec["target"]
    data = spec["data"]()
    contenders = {
        k: v
        for k, v in spec["contenders"].items()
        if not any(s.lower() in k.lower() for s in args.skip)
    }
    notes = []
    if any("AutoKeras" in k for k in contenders):
        missing = autokeras_available()
        if missing:
            notes.append(f"AutoKeras skipped (not importable: {missing[:120]}).")
            contenders = {k: v for k, v in contenders.items() if "AutoKeras" not in k}
    results = {name: {"seconds": [], "epochs": [], "missed": 0} for name in contenders}
    for round_ in range(args.repeats):
        names = list(contenders)
        if round_ % 2:
            names.reverse()
        for name in names:
            try:
                stop = contenders[name](data, target)
            except Exception as error:  # noqa: BLE001 - report, keep going
                notes.append(f"{name} failed: {type(error).__name__}: {error}"[:300])
                results[name]["missed"] += 1
                continue
            if stop.reached is None:
                results[name]["missed"] += 1
            else:
                results[name]["seconds"].append(stop.reached)
                results[name]["epochs"].append(stop.epochs)
            print(f"round {round_ + 1}: {name}: {stop.reached} s, {stop.epochs} ep")
    first = next(iter(contenders))
    lines = [
        f"| contender | seconds to test accuracy >= {target}: median (min-max, n) "
        "| epochs (median) | runs that missed the target | template / this |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        secs = r["seconds"]
        shown = spread(secs) if secs else "never reached"
        ratio = ""
        if name != first and secs and results[first]["seconds"]:
            mine = statistics.median(results[first]["seconds"])
            ratio = f"{mine / statistics.median(secs):.2f}x"
        epochs = f"{statistics.median(r['epochs']):g}" if r["epochs"] else ""
        lines.append(f"| {name} | {shown} | {epochs} | {r['missed']} | {ratio} |")
    body = (
        f"`.venv/bin/python benchmarks/time_to_accuracy.py --task {args.task} "
        f"--repeats {args.repeats}`: {spec['describe']}; wall time from model "
        "build to the first epoch whose test accuracy (validation data) reaches "
        f"{target}; contenders interleaved (order alternating per round). Goal: "
        "template <= 0.7x the keras.io recipe's time.\n\n" + "\n".join(lines)
    )
    if notes:
        body += "\n\n" + "\n".join(f"- {n}" for n in notes)
    if args.note:
        body += f"\n\nNote: {args.note}"
    if args.no_write:
        print(body)
    else:
        append_results(f"Time to accuracy ({args.task})", body)


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
