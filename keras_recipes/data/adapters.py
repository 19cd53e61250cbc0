"""Adapters: numpy, pandas, CSV, image folders, text folders, tf.data -> `Data`."""

import hashlib
import logging
import os
import tempfile
import warnings

import numpy as np
import tensorflow as tf

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data import images
from keras_recipes.data import streaming as streaming_module
from keras_recipes.data.frames import frame_columns
from keras_recipes.data.frames import read_csv
from keras_recipes.data.pipeline import Data

IMAGE_EXTENSIONS = images.IMAGE_EXTENSIONS
# `image_folder(cache="auto")` keeps decoded uint8 images in memory up to
# this many bytes, and caches them on disk beyond.
DEFAULT_CACHE_BUDGET = 2**30


def from_numpy(x, y=None, class_names=None):
    """Wraps in-memory samples (numpy, lists, pandas) and labels as `Data`.

    Example:

    >>> import numpy as np
    >>> data = from_numpy(np.zeros((4, 8, 8, 1)), ["a", "b", "a", "b"])
    >>> data.class_names
    ['a', 'b']
    """
    if y is not None:
        y = validation.as_array("y", y)
        validation.check_same_length("x", x, "y", y)
        if class_names is None and y.dtype.kind in "OUSb":
            _, class_names = validation.infer_classes("y", y)
    return Data(x=x, y=y, class_names=class_names)


def from_dataset(dataset, class_names=None):
    """Wraps a batched `tf.data.Dataset` of `(x, y)` as `Data`."""
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            "`dataset` must be a tf.data.Dataset. "
            f"Received: dataset of type {type(dataset).__name__}"
        )
    return Data(dataset=dataset, class_names=class_names)


def _names(paths, directory=None, limit=5):
    """The first `limit` paths, relative to `directory` (else base names)."""
    names = ", ".join(
        os.path.relpath(p, directory) if directory else os.path.basename(p)
        for p in paths[:limit]
    )
    return names + (" ..." if len(paths) > limit else "")


def _list_class_folders(directory, extensions, what):
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(
            "`directory` must be a path to a folder. "
            f"Received: directory of type {type(directory).__name__}"
        )
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(
            f"`directory` must be an existing folder with one subfolder per class. "
            f"Received: directory={directory!r} (not found)"
        )
    class_names = sorted(
        d
        for d in os.listdir(directory)
        if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
    )
    paths, labels, special = [], [], []
    for index, name in enumerate(class_names):
        folder = os.path.join(directory, name)
        for root, _, files in sorted(os.walk(folder)):
            for file in sorted(files):
                if file.lower().endswith(extensions):
                    path = os.path.join(root, file)
                    # A FIFO would block open(); isfile stats, never opens.
                    if not os.path.isfile(path):
                        special.append(path)
                        continue
                    paths.append(path)
                    labels.append(index)
    if special:
        warnings.warn(
            f"{what}_folder: skipped {len(special)} path(s) in {directory!r} that "
            "are not regular files (FIFOs, sockets, devices, broken links): "
            f"{_names(special, directory)}",
            stacklevel=3,
        )
    if not paths:
        raise ValueError(
            f"`directory` holds no {what} files ({', '.join(extensions)}) in "
            f"class subfolders. Received: directory={directory!r} "
            f"with subfolders {class_names}"
        )
    used = sorted(set(labels))
    if len(used) < 2:
        raise ValueError(
            "`directory` must hold at least 2 class subfolders with files to "
            f"train a classifier. Received: directory={directory!r} with classes "
            f"{[class_names[i] for i in used]}"
        )
    return class_names, paths, labels


def image_folder(
    directory,
    image_size=None,
    color_mode="auto",
    cache="auto",
    cache_dir=None,
    cache_budget=DEFAULT_CACHE_BUDGET,
):
    """Reads a class-per-subfolder image folder, as users have them.

    `photos/cat/1.png`, `photos/dog/2.jpg`, ... give class names
    `["cat", "dog"]`. Nothing is decoded here: each file's header is read
    with Pillow (format, mode, size, EXIF orientation) and its last bytes are
    checked (a JPEG ends with its EOI marker, a PNG with IEND, ...), so the
    folder's settings hold for every file, and broken files are found
    without a decoding pass (`kr.data.images.read_header`):

    - Files that are no image, have a broken header or are cut short are
      skipped with one warning that counts and names them (a file whose end
      looks wrong is decoded once by TensorFlow to decide), and so are paths
      that are not regular files (FIFOs, sockets, devices, broken links:
      never opened).
    - Formats `tf.io.decode_image` cannot read (a TIFF, ICO or 1-bit BMP
      named `.png`) raise a `ValueError` naming them, before any training.
    - A file with corrupt data between a good header and a good end (rare)
      is found while decoding in tf.data: it stands in as a blank image, a
      log line names it, and the epoch goes on.

    Images are decoded in the tf.data pipeline, turned upright by their EXIF
    orientation (tf ops, the same pixels as `PIL.ImageOps.exif_transpose`),
    resized to `image_size` with the bilinear op of `keras.layers.Resizing`
    (only so that they batch; the model built from this data resizes inside
    its graph too, so it takes photos of any size) and kept as `uint8`.

    Decoded images are cached so later epochs skip the decoding: in memory
    when they fit `cache_budget` bytes (height x width x channels bytes per
    image), else in files under `cache_dir`. `data.info["cache_mode"]` says
    which (`"memory"`, `"disk"` or `"none"`), and so does a log line
    (logger `"keras_recipes"`, level INFO).

    Args:
        directory: folder with one subfolder per class.
        image_size: `(height, width)` the pipeline resizes to (the model's
            size). Defaults to the folder's median height and width, scaled
            down (ratio kept) so that neither side exceeds 224 pixels
            (`kr.data.images.DEFAULT_MAX_SIDE`). Never one file's size.
        color_mode: `"auto"` (`"rgb"` when any image of the folder has
            colour, else `"grayscale"`), `"grayscale"` or `"rgb"`.
        cache: `"auto"` (memory within `cache_budget`, else disk),
            `"memory"`, `"disk"` or `None` (no cache: decode again each
            epoch).
        cache_dir: folder for the disk cache; defaults to
            `<tempdir>/keras_recipes_image_cache`. Files are named by a hash
            of the file paths, sizes and modification times and the image
            size, so a later run on the same folder reuses them (delete the
            folder to free the space). One process at a time per folder.
        cache_budget: bytes of decoded `uint8` pixels `"auto"` keeps in
            memory (default `2**30`, 1 GiB: about 7,000 RGB images at
            224x224).

    Returns:
        A `kr.data.Data` with `class_names`, `x` the file paths and `info`
        with `image_shape`, `image_size`, `channels`, `skipped_files`,
        `cache_mode` and `decoded_bytes`.

    Example:

    >>> import os, tempfile
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for i, (label, size) in enumerate([("cat", 40), ("dog", 60)] * 2):
    ...     os.makedirs(f"{root}/{label}", exist_ok=True)
    ...     Image.new("RGB", (size, size)).save(f"{root}/{label}/{i}.png")
    >>> data = image_folder(root)
    >>> data.class_names, data.info["image_shape"], data.info["cache_mode"]
    (['cat', 'dog'], (50, 50, 3), 'memory')
    """
    validation.check_choice("color_mode", color_mode, ("auto", "grayscale", "rgb"))
    if cache is not None:  # check_choice sorts its choices: None apart
        validation.check_choice("cache", cache, ("auto", "memory", "disk"))
    validation.check_int("cache_budget", cache_budget, minimum=0)
    if image_size is not None:
        image_size = _check_image_size(image_size)
    class_names, paths, labels = _list_class_folders(
        directory, images.IMAGE_EXTENSIONS, "image"
    )
    headers = images.scan_images(paths)
    _refuse_formats(directory, paths, headers)
    bad = [p for p, h in zip(paths, headers) if h.problem is not None]
    keep = [i for i, h in enumerate(headers) if h.problem is None]
    if bad:
        warnings.warn(
            f"image_folder: skipped {len(bad)} unreadable image file(s) in "
            f"{directory!r} (corrupt, truncated or not images): "
            f"{_names(bad, directory)}",
            stacklevel=2,
        )
    if not keep:
        raise ValueError(
            f"`directory` holds no readable image. Received: directory={directory!r} "
            f"with {len(bad)} unreadable file(s): {_names(bad, directory)}"
        )
    paths = [paths[i] for i in keep]
    labels = [labels[i] for i in keep]
    headers = [headers[i] for i in keep]
    if len(set(labels)) < 2:
        raise ValueError(
            "`directory` must hold readable images of at least 2 classes. "
            f"Received: directory={directory!r} with readable images only in "
            f"{[class_names[i] for i in sorted(set(labels))]}"
        )
    if image_size is None:
        image_size = images.default_image_size([h.upright_size for h in headers])
    if color_mode == "auto":
        color_mode = "rgb" if any(h.colour for h in headers) else "grayscale"
    channels = 1 if color_mode == "grayscale" else 3
    orientations = {p: h.orientation for p, h in zip(paths, headers)}
    orientations = {p: o for p, o in orientations.items() if o != 1}
    decoded = len(paths) * image_size[0] * image_size[1] * channels
    if cache == "auto":
        cache = "memory" if decoded <= cache_budget else "disk"
    setting = cache == "memory"
    if cache == "disk":
        setting = _disk_cache_folder(cache_dir, paths, image_size, channels)
    mode = cache or "none"
    logging.getLogger("keras_recipes").info(
        "image_folder: %d images in %s, %.2f GiB decoded (uint8): cache in %s%s",
        len(paths),
        directory,
        decoded / 2**30,
        mode,
        f" ({setting})" if mode == "disk" else "",
    )
    return Data(
        x=np.asarray(paths),
        y=np.asarray(labels, dtype="int32"),
        class_names=class_names,
        loader=images.image_loader(image_size, channels, orientations),
        info={
            "image_shape": (*image_size, channels),
            "image_size": image_size,
            "channels": channels,
            "skipped_files": bad,
            "cache": setting,
            "cache_mode": mode,
            "decoded_bytes": decoded,
        },
    )


def _refuse_formats(directory, paths, headers):
    """Raises for files Pillow reads but tf.io.decode_image does not."""
    wrong = [(p, h) for p, h in zip(paths, headers) if h.problem == "format"]
    if not wrong:
        return
    listed = ", ".join(
        f"{os.path.relpath(p, directory)} ({h.describe()})" for p, h in wrong[:5]
    )
    raise ValueError(
        f"`directory` holds {len(wrong)} image file(s) that TensorFlow's "
        "decoder (tf.io.decode_image: JPEG, PNG, GIF, WebP, and BMP but "
        "not 1- or 4-bit BMP) cannot read, though Pillow can: "
        f"{listed}{' ...' if len(wrong) > 5 else ''}. Convert them to "
        "PNG or JPEG (e.g. `PIL.Image.open(p).convert('RGB').save(q, 'PNG')`) "
        f"or remove them. Received: directory={directory!r}"
    )


def _check_image_size(image_size):
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
    if max(image_size) > validation.MAX_IMAGE_SIDE:
        raise ValueError(
            f"`image_size` sides must be <= {validation.MAX_IMAGE_SIDE} pixels. "
            f"Received: image_size={image_size!r}"
        )
    return int(image_size[0]), int(image_size[1])


def _disk_cache_folder(cache_dir, paths, image_size, channels):
    """`<cache_dir>/<hash>`: a hash of the files (paths, sizes, times) and size."""
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "keras_recipes_image_cache")
    digest = hashlib.sha1(repr((tuple(image_size), channels)).encode())
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    folder = os.path.join(os.fspath(cache_dir), digest.hexdigest()[:16])
    utils.check_writable_dir("cache_dir", folder)
    return folder


def text_folder(directory, encoding="utf-8", streaming="auto", memory_budget=None):
    """Reads a class-per-subfolder folder of `.txt` files.

    Paths that are not regular files (FIFOs, sockets, devices, broken
    links) are skipped with a warning that names them; they are never opened.

    Args:
        directory: folder with one subfolder per class.
        encoding: the files' text encoding (undecodable bytes are replaced).
        streaming: `"auto"` streams when the files add up to more than
            `memory_budget` bytes; `True` always, `False` never. A streamed
            folder keeps only the file list in memory and reads the texts
            `2000` files at a time, in each pass.
        memory_budget: bytes; `None`: `KERAS_RECIPES_MEMORY_BUDGET` or
            512 MiB (`keras_recipes.data.streaming.memory_budget`).

    Returns:
        A `kr.data.Data` with `x` an array of strings and `class_names`, or
        with a `source` (streamed).
    """
    streaming_module.check_streaming(streaming)
    class_names, paths, labels = _list_class_folders(directory, (".txt",), "text")
    size = sum(map(streaming_module.file_size, paths)) if streaming == "auto" else 0
    if streaming_module.wants_stream(size, streaming, memory_budget):
        source = streaming_module.TextFolderStream(
            directory, paths, labels, class_names, encoding
        )
        return Data(source=source, class_names=class_names)
    texts = []
    for path in paths:
        try:
            with utils.open_regular(
                path, "r", encoding=encoding, errors="replace"
            ) as file:
                texts.append(file.read())
        except OSError as error:  # unreadable, or no longer a regular file
            raise ValueError(
                f"`directory` holds a text file that cannot be read: "
                f"{os.path.basename(path)} ({error.strerror or error}). "
                f"Received: directory={directory!r}"
            ) from None
    return Data(
        x=np.asarray(texts, dtype=object),
        y=np.asarray(labels, dtype="int32"),
        class_names=class_names,
    )


def text_file(
    path,
    text="text",
    label="label",
    streaming="auto",
    memory_budget=None,
    chunk_rows=streaming_module.CHUNK_ROWS,
):
    """Reads texts and labels from a CSV/TSV or JSON-lines file.

    `.jsonl`, `.ndjson` and `.json` files are JSON lines (one object per
    line); other files are CSV (`.tsv`: tab-separated). Missing texts read
    as `""`; rows whose label is missing are dropped.

    Args:
        path: the file.
        text: name of the text column.
        label: name of the label column (`None`: texts only, to predict).
        streaming: `"auto"` streams files larger than `memory_budget`
            bytes, `True` always, `False` never. A streamed file is read
            `chunk_rows` rows at a time in each pass; `kr.text_classifier`
            adapts its vocabulary on all texts in one streaming pass.
        memory_budget: bytes; `None`: `KERAS_RECIPES_MEMORY_BUDGET` or
            512 MiB.
        chunk_rows: rows per chunk when streaming.

    Returns:
        A `kr.data.Data` of texts (`x`) and raw labels (`y`), or with a
        `source` (streamed).

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "reviews.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("text,label\\ngreat fun,pos\\nawful plot,neg\\n")
    >>> data = text_file(path)
    >>> data.x.tolist(), data.y.tolist()
    (['great fun', 'awful plot'], ['pos', 'neg'])
    >>> text_file(path, streaming=True)
    <kr.data.Data streamed from '...reviews.csv' classes=None info={}>
    """
    source = streaming_module.TextFileStream(path, text, label, chunk_rows)
    size = streaming_module.file_size(source.path)
    if streaming_module.wants_stream(size, streaming, memory_budget):
        return Data(source=source)
    texts, labels = [], []
    for _, x, y in source.pieces(with_labels=label is not None):
        texts.append(x)
        labels.append(y)
    if source.dropped_labels:
        warnings.warn(
            f"Dropping {source.dropped_labels} row(s) of {source.path!r} whose "
            f"label ({label!r}) is missing.",
            stacklevel=2,
        )
    y = None if label is None else np.concatenate(labels)
    return Data(x=np.concatenate(texts), y=y)


def from_pandas(frame, target=None):
    """Wraps a DataFrame: columns become a dict of arrays, `target` the labels."""
    # pandas: imported on first use, keeps `import keras_recipes` light.
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            "`data` must be a pandas DataFrame. "
            f"Received: data of type {type(frame).__name__}"
        )
    if len(frame) == 0:
        raise ValueError(
            "`data` is empty: expected at least one row. "
            f"Received: a DataFrame with shape {frame.shape}"
        )
    y = None
    if target is not None:
        if target not in frame.columns:
            raise ValueError(
                f"`target` must be a column of the DataFrame."
                f"{validation.did_you_mean(target, frame.columns)} Received: "
                f"target={target!r}; columns are {list(frame.columns)}"
            )
        y = frame[target].to_numpy()
        frame = frame.drop(columns=[target])
    return Data(x=frame_columns(frame), y=y)


def csv(
    path,
    target=None,
    streaming="auto",
    memory_budget=None,
    chunk_rows=streaming_module.CHUNK_ROWS,
    **read_csv_kwargs,
):
    """Reads a CSV file with pandas and wraps it like `from_pandas`.

    A file larger than `memory_budget` bytes is not read but streamed
    (`streaming="auto"`; `True` always streams, `False` never): the `Data`
    then holds a `source` that the tabular template reads `chunk_rows` rows
    at a time, in its factory (one pass: column kinds from the first chunk,
    statistics and vocabularies over every row) and in each pass of `fit`,
    `evaluate` and `predict`. See `keras_recipes.data.streaming`.

    Args:
        path: the CSV file.
        target: the label column (kept apart as `y`).
        streaming: `"auto"`, `True` or `False`.
        memory_budget: bytes; `None`: `KERAS_RECIPES_MEMORY_BUDGET` or
            512 MiB.
        chunk_rows: rows per chunk when streaming.
        **read_csv_kwargs: passed to `pandas.read_csv`.

    Returns:
        A `kr.data.Data` of columns, or with a `source` (streamed).
    """
    streaming_module.check_streaming(streaming)
    is_path = isinstance(path, str | os.PathLike)
    size = streaming_module.file_size(path) if is_path else 0
    if streaming_module.wants_stream(size, streaming, memory_budget):
        source = streaming_module.CsvStream(path, target, chunk_rows, **read_csv_kwargs)
        return Data(source=source)
    return from_pandas(read_csv(path, "path", **read_csv_kwargs), target=target)
