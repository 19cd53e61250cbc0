"""Adapters: numpy, pandas, CSV, image folders, text folders, tf.data -> `Data`."""

import os
import warnings

import numpy as np
import tensorflow as tf

from keras_recipes import utils
from keras_recipes import validation
from keras_recipes.data import streaming as streaming_module
from keras_recipes.data.frames import frame_columns
from keras_recipes.data.frames import read_csv
from keras_recipes.data.pipeline import Data

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


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


def image_folder(directory, image_size=None, color_mode="auto"):
    """Reads a class-per-subfolder image folder.

    `photos/cat/1.png`, `photos/dog/2.jpg`, ... give class names
    `["cat", "dog"]`. Images are checked with Pillow first: files that cannot
    be decoded are skipped with one warning that counts and names them, and
    so are paths that are not regular files (FIFOs, sockets, devices, broken
    links: never opened). Every kept file is then decoded once by the
    pipeline's own decoder: files Pillow reads but `tf.io.decode_image` does
    not (a TIFF, ICO or 1-bit BMP named `.png`) raise a `ValueError` naming
    them, before any training.
    Decoding and resizing then run in the tf.data pipeline, so the folder is
    never held in memory as Python objects.

    Args:
        directory: folder with one subfolder per class.
        image_size: `(height, width)` to resize to. Defaults to the size of
            the first readable image.
        color_mode: `"auto"` (from the first image), `"grayscale"` or `"rgb"`.

    Returns:
        A `kr.data.Data` with `class_names` and `info["image_shape"]`.
    """
    # Pillow: optional, imported on use (keeps `import keras_recipes` light).
    from PIL import Image

    validation.check_choice("color_mode", color_mode, ("auto", "grayscale", "rgb"))
    class_names, paths, labels = _list_class_folders(
        directory, IMAGE_EXTENSIONS, "image"
    )
    good_paths, good_labels, kinds, bad, first = [], [], [], [], None
    for path, label in zip(paths, labels):
        try:
            with utils.open_regular(path) as file, Image.open(file) as image:
                image.load()
                kinds.append(f"{image.format} mode {image.mode}")
                if first is None:
                    first = (image.size, image.mode)
        except Exception:  # any decode failure: the file is corrupt or not an image
            bad.append(path)
            continue
        good_paths.append(path)
        good_labels.append(label)
    if bad:
        warnings.warn(
            f"image_folder: skipped {len(bad)} unreadable image file(s) in "
            f"{directory!r} (corrupt, truncated or not images): "
            f"{_names(bad, directory)}",
            stacklevel=2,
        )
    if not good_paths:
        raise ValueError(
            f"`directory` holds no readable image. Received: directory={directory!r} "
            f"with {len(bad)} unreadable file(s)"
        )
    if len(set(good_labels)) < 2:
        raise ValueError(
            "`directory` must hold readable images of at least 2 classes. "
            f"Received: directory={directory!r}"
        )
    (width, height), mode = first
    if image_size is None:
        image_size = (height, width)
    if (
        not isinstance(image_size, tuple | list)
        or len(image_size) != 2
        or not all(isinstance(s, int | np.integer) and s > 0 for s in image_size)
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

    _check_decodable(directory, good_paths, kinds, load)
    return Data(
        x=np.asarray(good_paths),
        y=np.asarray(good_labels, dtype="int32"),
        class_names=class_names,
        loader=load,
        info={"image_shape": (*image_size, channels), "skipped_files": bad},
    )


def _check_decodable(directory, paths, kinds, load):
    """Raises unless the pipeline's `load` decodes every file of `paths`.

    Pillow reads more than `tf.io.decode_image` (JPEG, PNG, GIF, WebP, and
    BMP but not 1- or 4-bit BMP): a TIFF, ICO or 1-bit BMP under a
    `.png` name passes Pillow and would stop `fit` mid-epoch with a raw
    TensorFlow error. So every file runs through `load` once here (tf.data,
    in parallel), and the ones it fails on are named with their real format.
    """
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
            "or JPEG (e.g. `PIL.Image.open(p).convert('RGB').save(q, 'PNG')`) "
            f"or remove them. Received: directory={directory!r}"
        )


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
