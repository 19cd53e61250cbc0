"""Image folders: `kr.data.image_folder`'s pipeline vs Keras' own reader.

Generates a class-per-subfolder folder of seeded JPEG photos of mixed sizes
(outside the repository, in a temporary folder), then reads it with
  - `keras.utils.image_dataset_from_directory` (the hand-written baseline:
    listing, decode, bilinear resize, batch; no shuffle),
  - `kr.data.image_folder` + `kr.data.make_dataset` without a cache (the
    listing reads headers and file ends; the pass decodes, applies EXIF
    orientation, resizes to uint8 and batches, through the tolerant loader),
  - the same with a plain `Dataset.map` loader (no blank-image fallback),
    which is what the fallback costs,
  - the kit's second pass from its in-memory uint8 cache,
each contender in a fresh interpreter (so peak RSS is its own), rounds
interleaved. Figures: listing seconds, images/s of one full pass, images/s
with the listing counted in (what the "vs Keras" ratio compares: Keras lists
inside its call), the worst round, and peak RSS. The second-pass row counts
no listing (it is the later epochs' rate).

    .venv/bin/python benchmarks/image_folder.py [--images 3000] [--repeats 3]
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from common import arg_parser
from common import report

SIZE = (160, 160)
BATCH = 32


def make_folder(root, count, classes=4, seed=0):
    """`count` JPEG photos, sides 200-640 px, smooth colours plus noise."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class{c}"), exist_ok=True)
    for i in range(count):
        h, w = (int(s) for s in rng.integers(200, 641, 2))
        base = rng.integers(0, 256, (4, 4, 3)).astype("uint8")
        image = Image.fromarray(base).resize((w, h), Image.BILINEAR)
        noise = rng.integers(-12, 13, (h, w, 3))
        pixels = np.clip(np.asarray(image, "int16") + noise, 0, 255).astype("uint8")
        Image.fromarray(pixels).save(
            os.path.join(root, f"class{i % classes}", f"{i:06d}.jpg"), quality=90
        )


def run_contender(name, root):
    """Runs in a fresh interpreter; prints one JSON line."""
    import tensorflow as tf

    import keras_recipes as kr

    start = time.perf_counter()
    listing = 0.0
    if name == "keras image_dataset_from_directory":
        import keras

        ds = keras.utils.image_dataset_from_directory(
            root, image_size=SIZE, batch_size=BATCH, shuffle=False, verbose=False
        )
        count = sum(int(x.shape[0]) for x, _ in ds)
        seconds = time.perf_counter() - start
    else:
        data = kr.data.image_folder(root, image_size=SIZE, cache="memory")
        listing = time.perf_counter() - start
        loader = data.loader
        if name == "kr plain map (no fallback)":

            def loader(path):  # the same decode, without `on_error`
                return data.loader(path)

        cache = name == "kr second pass (uint8 memory cache)"
        ds = kr.data.make_dataset(
            data.x, data.y, batch_size=BATCH, loader=loader, cache=cache
        )
        if cache:
            for _ in ds:  # the first pass fills the cache
                pass
            listing = 0.0  # a later epoch lists nothing
        start = time.perf_counter()
        count = sum(int(x.shape[0]) for x, _ in ds)
        seconds = time.perf_counter() - start
    del tf
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB
    print(
        json.dumps({"count": count, "seconds": seconds, "listing": listing, "rss": rss})
    )


CONTENDERS = (
    "keras image_dataset_from_directory",
    "kr image_folder pass (tolerant loader)",
    "kr plain map (no fallback)",
    "kr second pass (uint8 memory cache)",
)


def main():
    parser = arg_parser(__doc__)
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--contender", help=argparse_hidden())
    parser.add_argument("--root", help=argparse_hidden())
    args = parser.parse_args()
    if args.contender:
        return run_contender(args.contender, args.root)
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "photos")
        start = time.perf_counter()
        make_folder(root, args.images)
        made = time.perf_counter() - start
        megabytes = (
            sum(
                os.path.getsize(os.path.join(d, f))
                for d, _, fs in os.walk(root)
                for f in fs
            )
            / 2**20
        )
        results = {name: [] for name in CONTENDERS}
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        for _ in range(args.repeats):
            for name in CONTENDERS:
                out = subprocess.run(
                    [sys.executable, __file__, "--contender", name, "--root", root],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = statistics.median(  # Keras lists inside its pass
        r["count"] / r["seconds"] for r in results[CONTENDERS[0]]
    )
    lines = [
        f"{args.images} JPEG photos, sides 200-640 px, 4 classes, {megabytes:.0f} "
        f"MB (made in {made:.0f} s); resized to {SIZE[0]}x{SIZE[1]}, batch "
        f"{BATCH}; each contender in a fresh interpreter, {args.repeats} "
        "interleaved rounds; medians (min-max).",
        "",
        "| contender | listing s | pass images/s | with listing | vs Keras | "
        "worst (with listing) | peak RSS GiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, runs in results.items():
        rates = [r["count"] / r["seconds"] for r in runs]
        total = [r["count"] / (r["seconds"] + r["listing"]) for r in runs]
        listing = statistics.median(r["listing"] for r in runs)
        rss = max(r["rss"] for r in runs)
        lines.append(
            f"| {name} | {listing:.2f} | {statistics.median(rates):.0f} | "
            f"{statistics.median(total):.0f} | "
            f"{statistics.median(total) / base:.2f}x | {min(total):.0f} | "
            f"{rss:.2f} |"
        )
    report("Image folder pipeline", "\n".join(lines), args)


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
