"""Hostile files and folders for the bad-input corpus (`test_bad_input_corpus.py`).

Everything is made beside the case's output folder `out` (in its parent), so
the corpus' "nothing left behind in `out`" check keeps its meaning.
"""

import os

import numpy as np
from PIL import Image

# A recipe with nested YAML aliases ("billion laughs"): ~600 bytes that expand
# to 9**9 strings.
ALIAS_BOMB = "".join(
    [
        "task: image_classifier\ndata: {dataset: digits}\nmodel:\n",
        '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
        *(
            f"  {b}: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n"
            for a, b in zip("abcdefgh", "bcdefghi")
        ),
        "fit: {epochs: *i}\n",
    ]
)


def beside(out, name):
    """A path next to `out`, unique to the case."""
    return os.path.join(os.path.dirname(out), f"{os.path.basename(out)}-{name}")


def fifo(out, name="pipe.csv"):
    path = beside(out, name)
    os.mkfifo(path)
    return path


def folder(out, name="dir.onnx"):
    path = beside(out, name)
    os.makedirs(path, exist_ok=True)
    return path


def broken_link(out, name="link.csv"):
    path = beside(out, name)
    os.symlink(beside(out, "missing"), path)
    return path


def text_file(out, name, content):
    path = beside(out, name)
    with open(path, "wb") as file:
        file.write(content if isinstance(content, bytes) else content.encode())
    return path


def _pixels(seed, size=8):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (size, size, 3), "uint8"))


def image_folder(out, extra=None, classes=("a", "b"), per_class=2):
    """A class-per-subfolder image folder; `extra(root)` adds hostile files."""
    root = folder(out, "photos")
    for name in classes:
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            _pixels(i).save(os.path.join(root, name, f"{i}.png"))
    if extra is not None:
        extra(root)
    return root


def odd_image(fmt, mode="RGB", name="a/odd.png"):
    """`extra` for `image_folder`: an image of `fmt`/`mode` named `name`."""

    def add(root):
        _pixels(0).convert(mode).save(os.path.join(root, name), fmt)

    return add


def truncated(name):
    def add(root):
        path = os.path.join(root, name)
        _pixels(0, size=64).save(path)
        with open(path, "rb") as file:
            data = file.read()
        with open(path, "wb") as file:
            file.write(data[: len(data) // 2])

    return add


def fifos_only(out, suffix=".png"):
    """A class folder layout whose every 'file' is a FIFO."""
    root = folder(out, "fifos")
    for name in ("a", "b"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        os.mkfifo(os.path.join(root, name, f"x{suffix}"))
    return root


def one_class_and_fifo(out):
    """Class `a` has images; class `b` has only a FIFO named like one."""
    root = image_folder(out, classes=("a",))
    os.makedirs(os.path.join(root, "b"), exist_ok=True)
    os.mkfifo(os.path.join(root, "b", "x.png"))
    return root


def truncated_only(out):
    root = folder(out, "cut")
    for name in ("a", "b"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        truncated(f"{name}/x.png")(root)
    return root


def text_fifos_only(out):
    return fifos_only(out, suffix=".txt")


def weights(index, weight, num_classes=10):
    """A `class_weight` of 1.0 for every class but `index`, which gets `weight`."""
    return {**dict.fromkeys(range(num_classes), 1.0), index: weight}


# ----------------------------------------------------- image folders (#40)
def not_images_only(out, content=b"<html>not found</html>"):
    """Two classes whose every `.jpg` is something else (or empty)."""
    root = folder(out, "junk")
    for name in ("a", "b"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        with open(os.path.join(root, name, "x.jpg"), "wb") as file:
            file.write(content)
    return root


def empty_classes(out):
    """Class subfolders without any file."""
    root = folder(out, "empty")
    for name in ("a", "b"):
        os.makedirs(os.path.join(root, name), exist_ok=True)
    return root


def flat_images(out):
    """Images straight in the folder: no class subfolders."""
    root = folder(out, "flat")
    for i in range(2):
        _pixels(i).save(os.path.join(root, f"{i}.png"))
    return root


def fake_image(out, name="fake.png"):
    """A text file named like an image."""
    return text_file(out, name, "not an image")
