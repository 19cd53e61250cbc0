"""Translation benchmark: trains the dates demo, reports BLEU and decode speed.

Trains `kr.seq2seq_transformer` on `kr.datasets.load_dates()` (written-out
English dates -> ISO 8601) on CPU, then reports corpus BLEU (sacrebleu),
exact-match rate and decoding throughput (sentences/s) for greedy decoding
and beam search (beam_width=4) on the test split, and appends a dated section
with machine info to `benchmarks/RESULTS.md` (never overwrites it).

Run: python benchmarks/translation.py [--epochs 6] [--threads 2]
"""

import argparse
import datetime
import os
import platform
import sys
import time


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--num-train", type=int, default=10000)
    parser.add_argument("--num-test", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--intermediate-dim", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="TF intra/inter-op threads (the target is 2 cores)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--results",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"),
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import babel
    import keras
    import sacrebleu

    import keras_recipes as kr

    (x_train, y_train), (x_test, y_test) = kr.datasets.load_dates(
        num_train=args.num_train, num_test=args.num_test, seed=args.seed
    )
    model = kr.seq2seq_transformer(
        data=(x_train, y_train),
        embedding_dim=args.embedding_dim,
        num_heads=4,
        intermediate_dim=args.intermediate_dim,
        num_encoder_layers=args.layers,
        num_decoder_layers=args.layers,
        dropout=0.0,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    start = time.perf_counter()
    history = model.fit(
        (x_train, y_train),
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=0.1,
        seed=args.seed,
        tensorboard=False,
        verbose=2,
    )
    train_s = time.perf_counter() - start

    rows = []
    for beam in (1, 4):
        model.translate(x_test[:8], beam_width=beam)  # trace outside the timing
        start = time.perf_counter()
        scores = model.evaluate_bleu((x_test, y_test), beam_width=beam)
        decode_s = time.perf_counter() - start
        rows.append((beam, scores, len(x_test) / decode_s))
        print(
            f"beam_width={beam}: BLEU {scores['bleu']:.2f}, exact match "
            f"{scores['exact_match']:.4f}, {len(x_test) / decode_s:.1f} sent/s"
        )

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        f"\n## Translation (dates -> ISO), {stamp}\n",
        f"- Machine: {cpu_model()}, {os.cpu_count()} logical cores visible, "
        f"TF threads intra/inter={args.threads}, load average at end "
        f"{', '.join(f'{v:.1f}' if isinstance(v, float) else v for v in load)} "
        "(the machine is shared; wall times include contention)",
        f"- Versions: Python {platform.python_version()}, TensorFlow "
        f"{tf.__version__}, Keras {keras.__version__}, sacrebleu "
        f"{sacrebleu.__version__}, Babel {babel.__version__}",
        f"- Command: `python benchmarks/translation.py "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}`",
        f"- Data: {args.num_train} train pairs (10% held out for validation), "
        f"{args.num_test} test pairs; model: {model.count_params():,} params, "
        f"embedding_dim={args.embedding_dim}, layers={args.layers}+{args.layers}",
        f"- CPU training: {args.epochs} epochs in {train_s:.0f} s "
        f"(final val token accuracy "
        f"{history.history['val_accuracy'][-1]:.4f})",
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
    with open(args.results, "a") as file:
        file.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"Appended to {args.results}")


if __name__ == "__main__":
    main()
