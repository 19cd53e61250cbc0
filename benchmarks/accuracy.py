"""Accuracy of each template's recipe vs a classical baseline on its demo data.

Each template is built and trained with the settings of its bundled recipe
(`templates/*.yaml`: model and fit sections) and scored on its held-out
test split; one section per task (`--task`, default `all`):

- `tabular`: `kr.tabular_classifier` on the Palmer penguins
  (`kr.datasets.load_penguins`, seeded stratified 80/20 split, missing values
  kept) vs scikit-learn's `HistGradientBoostingClassifier` (native
  categorical support for `island` and `sex`, native NaN handling, default
  hyperparameters, 1 thread) on the same split, for several split seeds
  (`--seeds`). The bar: test accuracy within 2 points of the baseline, or
  better.
- `text`: `kr.text_classifier` on the WordNet glosses vs a TF-IDF (1-2
  grams) + `LogisticRegression` baseline on the same split.
- `translation`: `kr.seq2seq_transformer` on `kr.datasets.load_dates()`
  (written-out English dates -> ISO 8601; `--num-train`, `--num-test`):
  corpus BLEU (sacrebleu), exact-match rate and decoding throughput
  (sentences/s) of greedy decoding and beam search (beam_width=4) on the test
  split.

`--epochs` overrides the recipe's epochs. scikit-learn, sacrebleu and Babel
are optional dependencies of the kit (`pip install -e .[test]` brings them).

    .venv/bin/python benchmarks/accuracy.py [--task all] [--seeds 0 1 2]
        [--epochs N] [--num-train 10000] [--num-test 1000] [--note "..."]
"""

import statistics

from common import arg_parser
from common import recipe_settings
from common import report
from common import timed
from common import timed_call

import keras_recipes as kr

TASKS = ("tabular", "text", "translation")


def build_and_fit(factory, train, seed, model_kwargs, fit_kwargs):
    """A template built with the recipe's settings and trained; build included."""
    model = factory(data=train, seed=seed, **model_kwargs)
    model.fit(train, seed=seed, tensorboard=False, **fit_kwargs)
    return model


# --------------------------------------------------------------------- tabular
def hist_gradient_boosting(train, test, target="species"):
    import pandas as pd  # optional dependency: the baseline only
    from sklearn.ensemble import HistGradientBoostingClassifier  # baseline only
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    x, xt = train.drop(columns=target), test.drop(columns=target)
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]):
            x[column] = x[column].astype("category")
            xt[column] = pd.Categorical(xt[column], categories=x[column].cat.categories)
    classifier = HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=0
    )
    with threadpool_limits(1):  # stable timings on a shared machine
        seconds = timed(classifier.fit, x, train[target])
    return float((classifier.predict(xt) == test[target]).mean()), seconds


def tabular(args):
    import sklearn  # optional dependency: the baseline only

    model_kwargs, fit_kwargs = recipe_settings("tabular_classification.yaml")
    if args.epochs is not None:
        fit_kwargs["epochs"] = args.epochs
    rows = []
    for seed in args.seeds:
        train, test = kr.datasets.load_penguins(seed=seed)
        model, ours_s = timed_call(
            build_and_fit,
            kr.tabular_classifier,
            train,
            seed,
            model_kwargs,
            dict(fit_kwargs, verbose=0),
        )
        ours = float(model.evaluate(test, verbose=0)["accuracy"])
        base, base_s = hist_gradient_boosting(train, test)
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
    command = "python benchmarks/accuracy.py --task tabular " + " ".join(
        ["--seeds", *map(str, args.seeds)]
        + ([] if args.epochs is None else ["--epochs", str(args.epochs)])
    )
    lines = [
        f"`{command}`: Palmer penguins (344 rows, 7 raw feature columns with "
        "missing values kept), seeded stratified 80/20 split per seed. "
        f"`kr.tabular_classifier` with the template settings ({model_kwargs}, "
        f"fit {fit_kwargs}; {model.count_params():,} params) vs scikit-learn "
        "`HistGradientBoostingClassifier` (default hyperparameters, native "
        "categorical + NaN support, 1 thread). Test accuracy; training seconds.",
        "",
        f"Versions: scikit-learn {sklearn.__version__}.",
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
    report("Tabular accuracy (penguins)", "\n".join(lines), args)


# ------------------------------------------------------------------------ text
def tfidf_logistic_regression(train, test):
    # Optional dependency: the baseline only.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    (x_train, y_train), (x_test, y_test) = train, test
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    classifier = LogisticRegression(max_iter=2000, C=10.0)
    seconds = timed(classifier.fit, vectorizer.fit_transform(x_train), y_train)
    predicted = classifier.predict(vectorizer.transform(x_test))
    return float((predicted == y_test).mean()), seconds


def text(args):
    import sklearn  # optional dependency: the baseline only

    model_kwargs, fit_kwargs = recipe_settings("text_classification.yaml")
    if args.epochs is not None:
        fit_kwargs["epochs"] = args.epochs
    train, test = kr.datasets.load_wordnet_glosses()
    model, train_seconds = timed_call(
        build_and_fit,
        kr.text_classifier,
        train,
        0,
        model_kwargs,
        dict(fit_kwargs, verbose=2),
    )
    accuracy = float(model.evaluate(test, verbose=0)["accuracy"])
    base_accuracy, base_seconds = tfidf_logistic_regression(train, test)
    lines = [
        f"text_classifier (BiLSTM + attention): test accuracy {accuracy:.4f} "
        f"({fit_kwargs['epochs']} epochs, {train_seconds:.0f} s incl. vocabulary)",
        f"TF-IDF (1-2 grams) + LogisticRegression: test accuracy "
        f"{base_accuracy:.4f} ({base_seconds:.1f} s)",
    ]
    print("\n".join(lines))
    epochs = "" if args.epochs is None else f" --epochs {args.epochs}"
    body = (
        f"Command: `python benchmarks/accuracy.py --task text{epochs}`. Data: "
        f"WordNet glosses, {len(train[0]):,} train / {len(test[0]):,} test "
        "(stratified, seed 0); model from `templates/text_classification.yaml`; "
        f"scikit-learn {sklearn.__version__}.\n\n"
        + "\n".join(f"- {line}" for line in lines)
    )
    report("Text classification accuracy", body, args)


# ----------------------------------------------------------------- translation
def translation(args):
    import sacrebleu  # optional dependency: BLEU only

    model_kwargs, fit_kwargs = recipe_settings("translation.yaml")
    if args.epochs is not None:
        fit_kwargs["epochs"] = args.epochs
    (x_train, y_train), (x_test, y_test) = kr.datasets.load_dates(
        num_train=args.num_train, num_test=args.num_test, seed=0
    )
    model = kr.seq2seq_transformer(data=(x_train, y_train), seed=0, **model_kwargs)
    history, train_s = timed_call(
        model.fit,
        (x_train, y_train),
        seed=0,
        tensorboard=False,
        verbose=2,
        **fit_kwargs,
    )
    rows = []
    for beam in (1, 4):
        model.translate(x_test[:8], beam_width=beam)  # trace outside the timing
        scores, decode_s = timed_call(
            model.evaluate_bleu, (x_test, y_test), beam_width=beam
        )
        rows.append((beam, scores, len(x_test) / decode_s))
        print(
            f"beam_width={beam}: BLEU {scores['bleu']:.2f}, exact match "
            f"{scores['exact_match']:.4f}, {len(x_test) / decode_s:.1f} sent/s"
        )
    validation = fit_kwargs.get("validation_split", 0.0)
    epochs = "" if args.epochs is None else f" --epochs {args.epochs}"
    lines = [
        f"- Command: `python benchmarks/accuracy.py --task translation --num-train "
        f"{args.num_train} --num-test {args.num_test}{epochs}`; model and fit "
        "settings from `templates/translation.yaml`; sacrebleu "
        f"{sacrebleu.__version__}",
        f"- Data: {args.num_train} train pairs ({validation:.0%} held out for "
        f"validation), {args.num_test} test pairs; model: "
        f"{model.count_params():,} params, {model_kwargs}",
        f"- Training: {fit_kwargs['epochs']} epochs in {train_s:.0f} s (final "
        f"val token accuracy {history.history['val_accuracy'][-1]:.4f})",
        "",
        "| decoding | BLEU | exact match | sentences/s |",
        "|---|---|---|---|",
    ]
    for beam, scores, speed in rows:
        name = "greedy" if beam == 1 else f"beam={beam}"
        lines.append(
            f"| {name} | {scores['bleu']:.2f} | {scores['exact_match']:.4f} | "
            f"{speed:.1f} |"
        )
    report("Translation (dates -> ISO)", "\n".join(lines), args)


SECTIONS = {"tabular": tabular, "text": text, "translation": translation}


def main():
    parser = arg_parser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", nargs="+", choices=[*TASKS, "all"], default=["all"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--num-train", type=int, default=10000)
    parser.add_argument("--num-test", type=int, default=1000)
    args = parser.parse_args()
    for task in TASKS if "all" in args.task else args.task:
        SECTIONS[task](args)


if __name__ == "__main__":
    main()
