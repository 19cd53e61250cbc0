"""Users' data at users' sizes (#40): a big CSV and a big photo folder.

CSV section (default): generates, in a temporary folder outside the
repository, a CSV of `--rows` rows (default 10 M, ~2.2 GB: 18 float columns
(1% missing in one), 2 integer columns, 3 string columns of 5/50/1000
values, a 3-class label), then runs each contender in a fresh interpreter
(its peak RSS from `resource.getrusage` in the child):

- `kit-adapt`: `kr.tabular_classifier(data=kr.data.csv(path))`, which
  streams the file (above the 512 MiB budget) and adapts the column
  statistics and vocabularies in one pass over every row;
- `kit-stream`: the batches `fit` trains on (`model.make_dataset(data,
  training=True)`: chunks converted by the template, shuffled within
  chunks) for the first `--read-rows` rows;
- `make_csv_dataset`: `tf.data.experimental.make_csv_dataset` (batches of
  raw column tensors, shuffle buffer 10 000, parsing on all cores) for the
  same rows and batch size.

Writing rows with pandas runs at ~20 k rows/s on 2 cores, so the file is
4 distinct blocks of `--block-rows` generated rows written in a seeded
order: parsing costs the same per row; only the statistics repeat.

`--images N` adds the photo section: N JPEGs of mixed sizes (48-320 px a
side, 10 class folders), then `kr.data.image_folder` + `kr.data.make_dataset`
(one pass, batch 64, 64x64) vs `keras.utils.image_dataset_from_directory`
(same size and batch), each in a fresh interpreter: seconds to list/scan
the folder, images/s of the pass and peak RSS.

Run from the repository root (full scale, ~2.2 GB and 50k photos in a
temporary folder, deleted at the end unless `--keep`):

    .venv/bin/python benchmarks/scale.py --images 50000

Quick run: `--rows 200000 --read-rows 100000 --images 2000 --no-write`.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

RSS_BOUND_GIB = 3.0
CATEGORIES = {
    "c0": ["red", "green", "blue", "cyan", "black"],
    "c1": [f"city_{i}" for i in range(50)],
    "c2": [f"sku{i:05d}" for i in range(1000)],
}


# ------------------------------------------------------------ generation
def make_block(rows, seed):
    """One block of rows as CSV text (no header)."""
    # pandas: a benchmark dependency of the kit anyway.
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns = {f"f{i}": rng.normal(size=rows).round(6) for i in range(18)}
    columns["f0"][rng.random(rows) < 0.01] = np.nan
    columns["i0"] = rng.integers(0, 100_000, rows)
    columns["i1"] = rng.integers(0, 5, rows)
    for name, values in CATEGORIES.items():
        columns[name] = rng.choice(np.array(values), rows)
    score = columns["f1"] + 0.5 * columns["f2"] + (columns["c0"] == "red")
    columns["label"] = np.where(
        score > 0.8, "gamma", np.where(score > -0.3, "beta", "alpha")
    )
    return pd.DataFrame(columns).to_csv(index=False, header=False)


def header():
    names = [f"f{i}" for i in range(18)] + ["i0", "i1", *CATEGORIES, "label"]
    return ",".join(names) + "\n"


def write_csv(path, rows, block_rows, seed=0):
    blocks = [make_block(block_rows, seed + i) for i in range(4)]
    order = np.random.default_rng(seed).integers(0, 4, -(-rows // block_rows))
    with open(path, "w") as file:
        file.write(header())
        written = 0
        for index in order:
            block = blocks[index]
            take = min(block_rows, rows - written)
            if take < block_rows:
                block = "".join(block.splitlines(keepends=True)[:take])
            file.write(block)
            written += take
    return os.path.getsize(path)


def write_images(folder, count, seed=0):
    """`count` JPEGs of mixed sizes in 10 class folders; returns bytes."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    total = 0
    for i in range(count):
        label = f"class_{i % 10}"
        os.makedirs(os.path.join(folder, label), exist_ok=True)
        height, width = (int(v) for v in rng.integers(48, 321, 2))
        yy, xx = np.mgrid[0:height, 0:width]
        base = rng.integers(0, 256, 3)
        image = (base + (xx * (i % 7) + yy * (i % 5))[..., None]) % 256
        path = os.path.join(folder, label, f"{i:06d}.jpg")
        Image.fromarray(image.astype("uint8")).save(path, quality=85)
        total += os.path.getsize(path)
    return total


# ------------------------------------------------------------ contenders
def peak_rss_gib():
    """This process's peak RSS (`VmHWM`: `ru_maxrss` keeps the parent's peak
    across `exec` on Linux, so it would count the generator's memory)."""
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def child_kit_adapt(args):
    import keras_recipes as kr

    start = time.perf_counter()
    data = kr.data.csv(args.path, target="label", streaming=True)
    model = kr.tabular_classifier(data=data, seed=0)
    seconds = time.perf_counter() - start
    return {"rows": args.rows, "seconds": seconds, "streamed": data.source is not None,
            "features": len(model.features)}  # fmt: skip


def _iterate(ds, limit, batch_size):
    start, rows = time.perf_counter(), 0
    for batch in ds.take(-(-limit // batch_size)):
        rows += int(batch[1].shape[0])
    return rows, time.perf_counter() - start


def child_kit_stream(args):
    import keras_recipes as kr

    data = kr.data.csv(args.path, target="label", streaming=True)
    # The factory on the first 100k rows only: its pass is timed above.
    head = kr.data.csv(args.path, target="label", streaming=False, nrows=100_000)
    model = kr.tabular_classifier(data=head, seed=0)
    ds = model.make_dataset(data, args.batch_size, training=True, seed=0)
    rows, seconds = _iterate(ds, args.read_rows, args.batch_size)
    return {"rows": rows, "seconds": seconds, "streamed": data.source is not None}


def child_make_csv_dataset(args):
    import tensorflow as tf

    ds = tf.data.experimental.make_csv_dataset(
        args.path,
        batch_size=args.batch_size,
        label_name="label",
        num_epochs=1,
        shuffle=True,
        shuffle_seed=0,
    )
    rows, seconds = _iterate(ds, args.read_rows, args.batch_size)
    return {"rows": rows, "seconds": seconds}


def child_kit_images(args):
    import keras_recipes as kr

    start = time.perf_counter()
    data = kr.data.image_folder(args.path, image_size=(64, 64))
    scan = time.perf_counter() - start
    ds = kr.data.make_dataset(
        data.x, data.y, batch_size=64, shuffle=True, seed=0, loader=data.loader
    )
    rows, seconds = _iterate(ds, len(data), 64)
    return {"rows": rows, "seconds": seconds, "scan_seconds": scan}


def child_keras_images(args):
    import keras

    start = time.perf_counter()
    ds = keras.utils.image_dataset_from_directory(
        args.path, image_size=(64, 64), batch_size=64, seed=0, verbose=False
    )
    scan = time.perf_counter() - start
    rows, seconds = _iterate(ds, args.images, 64)
    return {"rows": rows, "seconds": seconds, "scan_seconds": scan}


CHILDREN = {
    "kit-adapt": child_kit_adapt,
    "kit-stream": child_kit_stream,
    "make_csv_dataset": child_make_csv_dataset,
    "kit-image_folder": child_kit_images,
    "keras-image_dataset_from_directory": child_keras_images,
}


def run_child(name, path, args):
    command = [
        sys.executable, __file__, "--child", name, "--path", path,
        "--rows", str(args.rows), "--read-rows", str(args.read_rows),
        "--batch-size", str(args.batch_size), "--images", str(args.images),
    ]  # fmt: skip
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
    return json.loads(lines[-1])


# Contenders timed on other work than the pipelines: no "vs best" ratio.
STANDALONE = ("kit-adapt",)


def table(results, unit):
    rates = [
        r["rows"] / r["seconds"]
        for name, r in results.items()
        if "rows" in r and name not in STANDALONE
    ]
    best = max(rates, default=0)
    lines = [
        f"| contender | {unit} | seconds | {unit}/s | vs best | peak RSS GiB | "
        "scan s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | failed: {r['error']} | | | | | |")
            continue
        rate = r["rows"] / r["seconds"]
        ratio = "" if name in STANDALONE else f"{rate / best:.2f}x"
        scan = f"{r['scan_seconds']:.1f}" if "scan_seconds" in r else ""
        lines.append(
            f"| {name} | {r['rows']:,} | {r['seconds']:.1f} | {rate:,.0f} | "
            f"{ratio} | {r['peak_rss_gib']:.2f} | {scan} |"
        )
    return "\n".join(lines)


def main():
    from common import arg_parser
    from common import report

    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--read-rows", type=int, default=500_000,
                        help="rows the two pipelines read (0: all)")  # fmt: skip
    parser.add_argument("--block-rows", type=int, default=125_000)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--images", type=int, default=0,
                        help="also generate N photos and compare folders")  # fmt: skip
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--workdir", default=None, help="where to generate")
    parser.add_argument("--csv", default=None, help="reuse a CSV this script made")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse_hide())
    parser.add_argument("--path", help=argparse_hide())
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](args)
        result["peak_rss_gib"] = peak_rss_gib()
        print(json.dumps(result))
        return
    if args.read_rows <= 0:
        args.read_rows = args.rows
    workdir = tempfile.mkdtemp(prefix="kr-scale-", dir=args.workdir)
    sections = []
    try:
        if not args.skip_csv:
            path = args.csv or os.path.join(workdir, "big.csv")
            start = time.perf_counter()
            if args.csv:
                size = os.path.getsize(path)
            else:
                size = write_csv(path, args.rows, args.block_rows)
            made = time.perf_counter() - start
            print(f"wrote {path}: {size / 1e9:.2f} GB in {made:.0f} s", flush=True)
            results = {}
            for name in ("kit-adapt", "kit-stream", "make_csv_dataset"):
                results[name] = run_child(name, path, args)
                print(name, results[name], flush=True)
            sections.append(
                f"CSV: {args.rows:,} rows, {size / 1e9:.2f} GB (24 columns); "
                f"`kit-adapt` reads every row, the two pipelines the first "
                f"{args.read_rows:,} rows in batches of {args.batch_size}. "
                f"Peak RSS bound: {RSS_BOUND_GIB} GiB.\n\n" + table(results, "rows")
            )
        if args.images:
            folder = os.path.join(workdir, "photos")
            start = time.perf_counter()
            size = write_images(folder, args.images)
            made = time.perf_counter() - start
            print(f"wrote {args.images} photos, {size / 2**20:.0f} MiB, {made:.0f} s")
            results = {}
            for name in ("kit-image_folder", "keras-image_dataset_from_directory"):
                results[name] = run_child(name, folder, args)
                print(name, results[name], flush=True)
            sections.append(
                f"Photos: {args.images:,} JPEGs of 48-320 px a side "
                f"({size / 2**20:.0f} MiB), one pass at 64x64, batch 64; `scan s`: "
                "listing/checking the folder before the pass.\n\n"
                + table(results, "images")
            )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    command = "benchmarks/scale.py " + " ".join(sys.argv[1:])
    body = f"`{command}`, each contender in a fresh interpreter.\n\n" + "\n\n".join(
        sections
    )
    report("Scale: big CSV and photo folders", body, args)


def argparse_hide():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
