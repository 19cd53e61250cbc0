"""`kr.data.image_targets`: a folder of images with a CSV of numeric targets."""

import os
import warnings

import numpy as np
import tensorflow as tf

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data.frames import read_csv
from keras_recipes.data.pipeline import Data

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
FILENAME_COLUMN = "filename"


def image_targets(directory, targets="targets.csv", image_size=None, color_mode="auto"):
    """Reads images and their numeric targets, for `kr.image_regressor`.

    The folder holds the images (at any depth) and a CSV file, by default
    `targets.csv`, with a `filename` column (paths relative to `directory`)
    and one or more numeric target columns:

    ```
    photos/
        targets.csv        filename,age
        a.jpg              a.jpg,31
        b.png              b.png,54.5
        more/c.jpg         more/c.jpg,8
    ```

    Every row must name an existing image file and hold finite numbers
    (else a `ValueError` names the rows); images the CSV does not list are
    left out. Files Pillow cannot read are skipped with one warning that
    names them; every kept file is then decoded once by the pipeline's own
    decoder, so a file TensorFlow cannot decode is a `ValueError` before any
    training. Decoding and resizing run in the tf.data pipeline.

    Args:
        directory: the folder of images.
        targets: the CSV file's name inside `directory` (or a path to it).
        image_size: `(height, width)` to resize to; defaults to the size of
            the first image.
        color_mode: `"auto"` (from the first image), `"grayscale"` or `"rgb"`.

    Returns:
        A `kr.data.Data`: `x` the file paths, `y` a float32 `(n, k)` array,
        `info["target_names"]` the target columns and `info["image_shape"]`.

    Example:

    >>> import os, tempfile
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     Image.new("L", (8, 8), color=40 * i).save(f"{root}/{i}.png")
    >>> with open(f"{root}/targets.csv", "w") as f:
    ...     _ = f.write("filename,brightness\\n0.png,0\\n1.png,40\\n2.png,80\\n")
    >>> data = image_targets(root)
    >>> data.info["target_names"], data.info["image_shape"], data.y.ravel().tolist()
    (['brightness'], (8, 8, 1), [0.0, 40.0, 80.0])
    """
    # Pillow: optional, imported on use (keeps `import keras_recipes` light).
    from PIL import Image

    validation.check_choice("color_mode", color_mode, ("auto", "grayscale", "rgb"))
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(
            "`directory` must be a path to a folder. "
            f"Received: directory of type {type(directory).__name__}"
        )
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(
            "`directory` must be an existing folder of images with a targets "
            f"CSV. Received: directory={directory!r} (not found)"
        )
    paths, values, names = _read_targets(directory, targets)
    good, rows, kinds, bad, first = [], [], [], [], None
    for path, row in zip(paths, values):
        try:
            with utils.open_regular(path) as file, Image.open(file) as image:
                image.load()
                kinds.append(f"{image.format} mode {image.mode}")
                if first is None:
                    first = (image.size, image.mode)
        except Exception:  # any decode failure: the file is corrupt or not an image
            bad.append(path)
            continue
        good.append(path)
        rows.append(row)
    if bad:
        warnings.warn(
            f"image_targets: skipped {len(bad)} unreadable image file(s) in "
            f"{directory!r} (corrupt, truncated or not images): "
            + ", ".join(os.path.relpath(p, directory) for p in bad[:5])
            + (" ..." if len(bad) > 5 else ""),
            stacklevel=2,
        )
    if not good:
        raise ValueError(
            f"`directory` holds no readable image listed in `targets`. Received: "
            f"directory={directory!r} with {len(bad)} unreadable file(s)"
        )
    (width, height), mode = first
    if image_size is None:
        image_size = (height, width)
    if (
        not isinstance(image_size, tuple | list)
        or len(image_size) != 2
        or not all(
            isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0
            for s in image_size
        )
    ):
        raise ValueError(
            "`image_size` must be a (height, width) pair of positive integers. "
            f"Received: image_size={image_size!r}"
        )
    image_size = (int(image_size[0]), int(image_size[1]))
    if color_mode == "auto":
        color_mode = "grayscale" if mode in ("1", "L", "LA", "I", "I;16") else "rgb"
    channels = 1 if color_mode == "grayscale" else 3

    def load(path):
        raw = tf.io.read_file(path)
        image = tf.io.decode_image(raw, channels=channels, expand_animations=False)
        image.set_shape((None, None, channels))
        image = tf.image.resize(image, image_size, antialias=True)
        return tf.clip_by_value(image, 0.0, 255.0)

    _check_decodable(directory, good, kinds, load)
    return Data(
        x=np.asarray(good),
        y=np.asarray(rows, dtype="float32"),
        loader=load,
        info={
            "image_shape": (*image_size, channels),
            "target_names": names,
            "skipped_files": bad,
        },
    )


def _read_targets(directory, targets):
    """`(paths, (n, k) float64 values, target names)` from the targets CSV."""
    if not isinstance(targets, str | os.PathLike):
        raise TypeError(
            "`targets` must be the name of a CSV file in `directory`. "
            f"Received: targets of type {type(targets).__name__}"
        )
    path = os.fspath(targets)
    if not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(directory, path)
    if not os.path.isfile(path):
        raise ValueError(
            "`targets` must name a CSV file (`filename,<target>` rows) in "
            f"`directory`. Received: targets={os.fspath(targets)!r} "
            f"(not found in {directory!r})"
        )
    frame = read_csv(path, "targets")
    if FILENAME_COLUMN not in frame.columns or len(frame.columns) < 2:
        raise ValueError(
            f"`targets` must have a `{FILENAME_COLUMN}` column and at least one "
            f"numeric target column. Received: targets={path!r} with columns "
            f"{[str(c) for c in frame.columns][:10]}"
        )
    if len(frame) == 0:
        raise ValueError(f"`targets` holds no rows. Received: targets={path!r}")
    names = [str(c) for c in frame.columns if c != FILENAME_COLUMN]
    columns = frame.drop(columns=[FILENAME_COLUMN])
    try:
        values = columns.to_numpy(dtype="float64")
    except (TypeError, ValueError):
        wrong = [str(c) for c in columns.columns if columns[c].dtype.kind not in "iufb"]
        raise TypeError(
            f"`targets` must hold numbers in its target columns {names}; "
            f"{wrong} hold text. Received: targets={path!r}"
        ) from None
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad):
        raise ValueError(
            f"`targets` must hold finite numbers: {len(bad)} rows hold NaN, "
            f"empty or infinite targets (first data rows: {bad[:5].tolist()}). "
            f"Received: targets={path!r}"
        )
    files = [str(f) for f in frame[FILENAME_COLUMN]]
    paths = [os.path.normpath(os.path.join(directory, f)) for f in files]
    root = os.path.abspath(directory)
    outside = [f for f, p in zip(files, paths) if not _inside(p, root)]
    missing = [f for f, p in zip(files, paths) if _inside(p, root) and not _image(p)]
    if outside or missing:
        listed = (outside or missing)[:5]
        what = "outside `directory`" if outside else "missing or not image files"
        raise ValueError(
            f"`targets` names {len(outside or missing)} file(s) {what} "
            f"({', '.join(listed)}{' ...' if len(outside or missing) > 5 else ''}): "
            f"each `{FILENAME_COLUMN}` must be an image path relative to "
            f"`directory` ({', '.join(IMAGE_EXTENSIONS)}). Received: targets={path!r}"
        )
    return paths, values, names


def _inside(path, root):
    return os.path.commonpath([os.path.abspath(path), root]) == root


def _image(path):
    return path.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(path)


def _check_decodable(directory, paths, kinds, load):
    """Raises unless the pipeline's `load` decodes every file of `paths`."""
    indices = tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), paths))
    decoded = indices.map(
        # A reduction, not the shape: that is static and would skip decoding.
        lambda i, path: (i, tf.reduce_max(load(path))),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).ignore_errors()
    ok = {int(i) for i, _ in decoded.as_numpy_iterator()}
    failed = [i for i in range(len(paths)) if i not in ok]
    if failed:
        listed = ", ".join(
            f"{os.path.relpath(paths[i], directory)} ({kinds[i]})" for i in failed[:5]
        )
        raise ValueError(
            f"`directory` holds {len(failed)} image file(s) that TensorFlow's "
            "decoder (tf.io.decode_image: JPEG, PNG, GIF, WebP, and BMP but "
            "not 1- or 4-bit BMP) cannot read, though Pillow can: "
            f"{listed}{' ...' if len(failed) > 5 else ''}. Convert them to PNG "
            f"or JPEG. Received: directory={directory!r}"
        )
