"""Text classifier accuracy vs a TF-IDF + logistic regression baseline.

Trains `kr.text_classifier` with `templates/text_classification.yaml` on the
bundled WordNet glosses, evaluates it on the held-out test split, fits a
scikit-learn TF-IDF (1-2 grams) + LogisticRegression baseline on the same
split, prints both, and appends a dated section with machine info to
`benchmarks/RESULTS.md` (never overwrites it).

With `--speed`, it also times training epochs two ways on the same model
config: vectorizing in the tf.data pipeline (what `fit` does) vs. feeding raw
strings and running `TextVectorization` inside the training step (epochs of
the two interleaved; wall and process CPU seconds).

Run: python benchmarks/text_accuracy.py [--epochs N] [--speed] [--no-append]
"""

import argparse
import datetime
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS.md")
TEMPLATE = os.path.join(REPO, "templates", "text_classification.yaml")


def machine_info():
    import keras
    import sklearn
    import tensorflow as tf

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpus": ", ".join(gpus) or "none",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
    }


def baseline_accuracy(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    (x_train, y_train), (x_test, y_test) = train, test
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    classifier = LogisticRegression(max_iter=2000, C=10.0)
    start = time.perf_counter()
    classifier.fit(vectorizer.fit_transform(x_train), y_train)
    seconds = time.perf_counter() - start
    predicted = classifier.predict(vectorizer.transform(x_test))
    accuracy = float((predicted == y_test).mean())
    return accuracy, seconds


def speed(train, model_kwargs, batch_size, rounds, seed):
    """Per-epoch wall and CPU seconds for both vectorization paths.

    Both models are built and traced first; then epochs of the two paths are
    interleaved (`rounds` each), so load from other processes hits both alike.
    Returns medians.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_recipes as kr
    from keras_recipes.data.pipeline import Data

    x, y = train
    models, datasets = {}, {}
    for path in ("tf.data", "in-graph"):
        model = kr.text_classifier(data=(x, y), seed=seed, **model_kwargs)
        labels = model.encode_y(np.asarray(y))
        if path == "tf.data":
            # What `fit` does: the batch of strings -> token ids map runs in
            # tf.data, in parallel with the training step.
            ds = model.make_dataset(
                Data(x=model.check_x(x), y=labels),
                batch_size,
                training=True,
                seed=seed,
            )
        else:
            # Raw strings reach `call`: TextVectorization runs in the step.
            ds = (
                tf.data.Dataset.from_tensor_slices((x.astype(str), labels))
                .cache()
                .shuffle(len(x), seed=seed)
                .batch(batch_size)
                .prefetch(tf.data.AUTOTUNE)
            )
        keras.Model.fit(model, ds, epochs=1, verbose=0)  # trace + warm up
        models[path], datasets[path] = model, ds
    wall = {path: [] for path in models}
    cpu = {path: [] for path in models}
    for _ in range(rounds):
        for path, model in models.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            keras.Model.fit(model, datasets[path], epochs=1, verbose=0)
            wall[path].append(time.perf_counter() - start_wall)
            cpu[path].append(time.process_time() - start_cpu)
    return {
        path: (float(np.median(wall[path])), float(np.median(cpu[path])))
        for path in models
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--speed-rounds", type=int, default=5)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)

    import yaml

    import keras_recipes as kr

    with open(TEMPLATE) as file:
        recipe = yaml.safe_load(file)
    model_kwargs = dict(recipe["model"])
    fit_kwargs = dict(recipe["fit"])
    seed = recipe.get("seed", 0)
    if args.epochs is not None:
        fit_kwargs["epochs"] = args.epochs
    train, test = kr.datasets.load_wordnet_glosses()

    start = time.perf_counter()
    model = kr.text_classifier(data=train, seed=seed, **model_kwargs)
    model.fit(train, seed=seed, verbose=2, tensorboard=False, **fit_kwargs)
    train_seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(test, verbose=0)["accuracy"])
    base_accuracy, base_seconds = baseline_accuracy(train, test)

    lines = [
        f"text_classifier (BiLSTM + attention): test accuracy {accuracy:.4f} "
        f"({fit_kwargs['epochs']} epochs, {train_seconds:.0f} s incl. vocabulary)",
        f"TF-IDF (1-2 grams) + LogisticRegression: test accuracy "
        f"{base_accuracy:.4f} ({base_seconds:.1f} s)",
    ]
    if args.speed:
        speeds = speed(
            train,
            model_kwargs,
            fit_kwargs.get("batch_size", 32),
            args.speed_rounds,
            seed,
        )
        for path, what in (
            ("tf.data", "vectorize in tf.data (what fit does)"),
            ("in-graph", "TextVectorization inside the train step"),
        ):
            wall, cpu = speeds[path]
            lines.append(
                f"one epoch, {what}: {wall:.2f} s wall, {cpu:.2f} s CPU "
                f"(median of {args.speed_rounds} interleaved epochs)"
            )
    print("\n".join(lines))
    if args.no_append:
        return 0
    info = machine_info()
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = [
        f"\n## Text classification accuracy ({when})\n",
        "Command: `python benchmarks/text_accuracy.py"
        + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))
        + "`. Data: WordNet glosses, 3,600 train / 900 test (stratified, seed "
        "0); model from `templates/text_classification.yaml`.\n",
        *[f"- {line}" for line in lines],
        "- machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        f"- load average when done: {os.getloadavg()[0]:.1f} (seconds are "
        "inflated when other jobs share the cores; accuracies are not)",
        "",
    ]
    with open(RESULTS, "a", encoding="utf-8") as file:
        if file.tell() == 0:
            file.write("# Benchmark results\n")
        file.write("\n".join(section))
    print(f"Appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
