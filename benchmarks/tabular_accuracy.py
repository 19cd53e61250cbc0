"""Tabular classifier accuracy vs scikit-learn's HistGradientBoostingClassifier.

Trains `kr.tabular_classifier` with the settings of
`templates/tabular_classification.yaml` on the bundled Palmer penguins
(`kr.datasets.load_penguins`, seeded stratified 80/20 split, missing values
kept), evaluates on the held-out test split, fits a
`HistGradientBoostingClassifier` (native categorical support for `island`
and `sex`, native NaN handling, default hyperparameters) on the same split,
and repeats for several split seeds. Prints both and appends a dated section
with machine info to `benchmarks/RESULTS.md` (never rewrites it).

The bar: our test accuracy within 2 points of the baseline, or better.

Run: python benchmarks/tabular_accuracy.py [--seeds 0 1 2] [--epochs N]
     [--no-append]
"""

import argparse
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TEMPLATE = os.path.join(REPO, "templates", "tabular_classification.yaml")
sys.path.insert(0, HERE)
sys.path.insert(0, REPO)


def baseline_accuracy(train, test, target="species"):
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    x, xt = train.drop(columns=target), test.drop(columns=target)
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]):
            x[column] = x[column].astype("category")
            xt[column] = pd.Categorical(xt[column], categories=x[column].cat.categories)
    start = time.perf_counter()
    with threadpool_limits(1):  # stable timings on a shared machine
        clf = HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=0
        ).fit(x, train[target])
    seconds = time.perf_counter() - start
    return float((clf.predict(xt) == test[target]).mean()), seconds


def ours_accuracy(train, test, seed, model_kwargs, fit_kwargs):
    import keras_recipes as kr

    start = time.perf_counter()
    model = kr.tabular_classifier(data=train, seed=seed, **model_kwargs)
    model.fit(train, seed=seed, verbose=0, tensorboard=False, **fit_kwargs)
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(test, verbose=0)["accuracy"])
    return accuracy, seconds, model.count_params()


def main(argv=None):
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)

    import keras_recipes as kr

    with open(TEMPLATE, encoding="utf-8") as file:
        recipe = yaml.safe_load(file)
    model_kwargs = dict(recipe.get("model") or {})
    fit_kwargs = dict(recipe.get("fit") or {})
    if args.epochs is not None:
        fit_kwargs["epochs"] = args.epochs

    rows = []
    for seed in args.seeds:
        train, test = kr.datasets.load_penguins(seed=seed)
        ours, ours_s, params = ours_accuracy(
            train, test, seed, model_kwargs, fit_kwargs
        )
        base, base_s = baseline_accuracy(train, test)
        rows.append((seed, len(train), len(test), ours, base, ours_s, base_s))
        print(
            f"seed {seed}: tabular_classifier {ours:.4f} ({ours_s:.1f}s)  "
            f"HistGradientBoosting {base:.4f} ({base_s:.2f}s)",
            flush=True,
        )
    mean_ours = statistics.mean(r[3] for r in rows)
    mean_base = statistics.mean(r[4] for r in rows)
    delta = 100 * (mean_ours - mean_base)
    verdict = "met" if delta >= -2.0 else "NOT met"
    print(
        f"mean test accuracy: tabular_classifier {mean_ours:.4f}, "
        f"HistGradientBoosting {mean_base:.4f}, difference {delta:+.2f} points "
        f"(bar: >= -2.00, {verdict})"
    )
    if args.no_append:
        return 0

    import pandas as pd
    import sklearn
    from common import append_results

    command = "python benchmarks/tabular_accuracy.py " + " ".join(
        ["--seeds", *map(str, args.seeds)]
        + ([] if args.epochs is None else ["--epochs", str(args.epochs)])
    )
    lines = [
        f"`{command}`: Palmer penguins (344 rows, 7 raw feature columns with "
        "missing values kept), seeded stratified 80/20 split per seed. "
        f"`kr.tabular_classifier` with the template settings ({model_kwargs}, "
        f"fit {fit_kwargs}; {params:,} params) vs scikit-learn "
        "`HistGradientBoostingClassifier` (default hyperparameters, native "
        "categorical + NaN support, 1 thread). Test accuracy; training seconds.",
        "",
        f"Versions: scikit-learn {sklearn.__version__}, pandas {pd.__version__}, "
        f"Python {platform.python_version()}.",
        "",
        "| split seed | train | test | tabular_classifier | HistGradientBoosting "
        "| ours s | HGB s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed, n_train, n_test, ours, base, ours_s, base_s in rows:
        lines.append(
            f"| {seed} | {n_train} | {n_test} | {ours:.4f} | {base:.4f} | "
            f"{ours_s:.1f} | {base_s:.2f} |"
        )
    lines += [
        f"| **mean** | | | **{mean_ours:.4f}** | **{mean_base:.4f}** | | |",
        "",
        f"Difference: {delta:+.2f} points (bar: within 2 points or better: {verdict}).",
    ]
    append_results("Tabular accuracy (penguins)", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
