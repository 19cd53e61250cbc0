"""What a seeded tabular run costs and whether it repeats, on this CPU.

Each round trains the tabular template once per variant, each in a fresh
interpreter (so equal weights across processes are what is checked), on a
seeded synthetic table (16,000 training rows, 3 numeric and 2 categorical
columns), as a user would: `kr.set_seed(0)`, the factory, `fit(...,
validation_split=0.2)` with no `fit(seed=)`, then `evaluate` on held-out rows.

Variants:
- `in-order` (the default): `kr.set_seed(0)`; the tf.data maps hand batches on
  in input order (`kr.data.pipeline.DETERMINISTIC_ORDER = True`).
- `any-order`: the same with the maps' output in completion order, the rule
  before it for a fit without `seed=` (`DETERMINISTIC_ORDER = False`).
- `op-determinism`: `kr.set_seed(0, deterministic=True)` (TensorFlow's
  `enable_op_determinism`) on top of `in-order`.

The table gives the median fit seconds, the test accuracies and how many
distinct final weights the rounds of each variant produced (1: repeatable).

    .venv/bin/python benchmarks/reproducibility.py --rounds 3
"""

import hashlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = ("in-order", "any-order", "op-determinism")


def child(variant, epochs):
    import numpy as np
    import pandas as pd

    import keras_recipes as kr
    from keras_recipes.data import pipeline

    pipeline.DETERMINISTIC_ORDER = variant != "any-order"
    rng = np.random.default_rng(1)
    n = 20_000
    table = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.uniform(size=n),
            "cat": rng.choice(list("pqrstu"), size=n),
            "cat2": rng.choice(["x", "y", "z"], size=n),
        }
    )
    signal = table.a + (table.cat == "p") * 1.5 + rng.normal(scale=0.8, size=n)
    table["label"] = np.where(signal > 0.5, "yes", "no")
    train, test = table.iloc[:16_000], table.iloc[16_000:]
    kr.set_seed(0, deterministic=variant == "op-determinism")
    model = kr.tabular_classifier(data=train, target="label")
    start = time.perf_counter()
    model.fit(train, epochs=epochs, validation_split=0.2, verbose=0, tensorboard=False)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(test, verbose=0)["accuracy"]
    digest = hashlib.sha1(
        b"".join(np.asarray(w).tobytes() for w in model.get_weights())
    ).hexdigest()[:12]
    print(json.dumps({"seconds": seconds, "accuracy": accuracy, "weights": digest}))


def main():
    sys.path.insert(0, HERE)
    import common

    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    runs = {v: [] for v in VARIANTS}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for round_ in range(args.rounds):
        order = VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            out = subprocess.run(
                [sys.executable, __file__, "--child", variant, str(args.epochs)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs[variant].append(json.loads(out.strip().splitlines()[-1]))
            print(round_ + 1, variant, runs[variant][-1], flush=True)
    base = [r["seconds"] for r in runs["any-order"]]
    lines = [
        "| variant | fit s (3 epochs) | vs any-order | test accuracy | "
        "distinct final weights |",
        "| --- | --- | --- | --- | --- |",
    ]
    for variant in VARIANTS:
        seconds = [r["seconds"] for r in runs[variant]]
        ratio = [s / b for s, b in zip(seconds, base, strict=True)]
        accuracies = ", ".join(f"{r['accuracy']:.4f}" for r in runs[variant])
        distinct = len({r["weights"] for r in runs[variant]})
        lines.append(
            f"| {variant} | {common.spread(seconds)} | {common.spread(ratio)} | "
            f"{accuracies} | {distinct} of {len(seconds)} |"
        )
    body = (
        f"`benchmarks/reproducibility.py --rounds {args.rounds} --epochs "
        f"{args.epochs}`: the tabular template on a 16,000-row synthetic table, "
        "`kr.set_seed(0)`, `fit(validation_split=0.2)` without `seed=`, each "
        "run in a fresh interpreter, variants interleaved per round.\n\n"
        + "\n".join(lines)
    )
    common.report("Reproducibility of a seeded run", body, args)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
