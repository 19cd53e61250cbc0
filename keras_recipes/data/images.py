"""Image files for `kr.data.image_folder` and image `predict`: headers, decoding.

What a folder of users' photos needs, without a decoding pass in Python:

- `read_header` opens a file with Pillow without decoding its pixels (format,
  mode, size, EXIF orientation) and checks its end (a JPEG ends with its EOI
  marker, a PNG with its IEND chunk, a GIF with its trailer; a BMP or WebP is
  as long as its header says): a file cut short, a file that is no image and
  a format `tf.io.decode_image` cannot read are found by reading a few bytes.
  Only a file whose end looks wrong is decoded (once, by TensorFlow) to decide.
- `image_loader` decodes in tf.data: `tf.io.decode_image`, the EXIF
  orientation applied with tf ops (`apply_orientation`, the same result as
  Pillow's `ImageOps.exif_transpose`), a bilinear resize (the op of
  `keras.layers.Resizing`, so a model that resizes again to the same size
  sees the same pixels) and `uint8` output (4x less memory than float32).
  A file that still fails to decode (corrupt data between a good header and
  a good end) becomes a blank image and a log line naming the file: an epoch
  never stops on a TensorFlow error.
"""

import os
import sys
import warnings

import numpy as np
import tensorflow as tf

from keras_recipes import utils

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
# Formats tf.io.decode_image reads (MPO: a camera JPEG with extra frames).
TF_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "BMP", "WEBP")
GRAY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
# `image_folder(image_size=None)`: the folder's median height and width,
# scaled down (ratio kept) so the longer side is at most this many pixels
# (the input size of keras.applications backbones).
DEFAULT_MAX_SIDE = 224
EXIF_ORIENTATION = 0x0112
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


class ImageHeader:
    """What `read_header` learns about one file without decoding it.

    Attributes:
        format: Pillow's format name (`"JPEG"`, `"PNG"`, ...).
        mode: Pillow's mode (`"RGB"`, `"L"`, `"P"`, ...).
        height, width: the stored size (before the EXIF orientation).
        orientation: the EXIF orientation tag, 1 (upright) to 8.
        colour: whether the image has colour (`False`: grayscale).
        problem: `None`, `"unreadable"`, `"truncated"` or `"format"` (a
            format tf.io.decode_image cannot read).
        suspect: the file's end looks wrong; TensorFlow decides.
    """

    def __init__(self, format=None, mode=None, height=0, width=0, orientation=1):
        self.format = format
        self.mode = mode
        self.height = height
        self.width = width
        self.orientation = orientation
        self.colour = False
        self.problem = None
        self.suspect = False

    @property
    def upright_size(self):
        """`(height, width)` once the EXIF orientation is applied."""
        if self.orientation in (5, 6, 7, 8):  # a quarter turn swaps the sides
            return self.width, self.height
        return self.height, self.width

    def describe(self):
        return f"{self.format} mode {self.mode}"


def read_header(path):
    """Reads `path`'s header with Pillow (no pixel decoding) and checks its end.

    Returns:
        An `ImageHeader`; its `problem` says why the file cannot be used.
    """
    # Pillow: optional, imported on use (keeps `import keras_recipes` light).
    from PIL import Image

    header = ImageHeader()
    try:
        with utils.open_regular(path) as file:
            with Image.open(file) as image:
                header.format, header.mode = image.format, image.mode
                header.width, header.height = image.size
                header.colour = _has_colour(image)
                # Only EXIF found in the header: Pillow's `getexif` decodes
                # the pixels of a PNG to look for EXIF after them.
                if "exif" in image.info:
                    orientation = image.getexif().get(EXIF_ORIENTATION, 1)
                    header.orientation = (
                        int(orientation) if orientation in range(1, 9) else 1
                    )
            if header.format not in TF_FORMATS or not _bmp_depth_ok(file, header):
                header.problem = "format"
            elif not _end_ok(file, header.format):
                header.suspect = True
    except Exception:  # not an image, a broken header, unreadable, vanished
        header.problem = "unreadable"
    if header.problem is None and min(header.width, header.height) < 1:
        header.problem = "unreadable"
    return header


def _has_colour(image):
    if image.mode in GRAY_MODES:
        return False
    if image.mode in ("P", "PA"):
        # The palette read with the header (`getpalette` would decode).
        palette = getattr(image, "palette", None)
        raw = getattr(palette, "palette", b"")
        if getattr(palette, "mode", None) != "RGB" or palette.rawmode not in (
            None,
            "RGB",
        ):
            return True  # unknown: colour is the safe side
        rgb = np.frombuffer(bytes(raw[: len(raw) // 3 * 3]), "uint8").reshape(-1, 3)
        return bool(len(rgb)) and not bool((rgb == rgb[:, :1]).all())
    return True


def _bmp_depth_ok(file, header):
    """tf.io.decode_bmp reads 8-, 24- and 32-bit BMPs only."""
    if header.format != "BMP":
        return True
    file.seek(28)
    bits = int.from_bytes(file.read(2), "little")
    return bits in (8, 24, 32)


def _end_ok(file, format):
    """Whether the file ends as its format says (a few bytes read, no decode)."""
    size = file.seek(0, os.SEEK_END)
    if format in ("JPEG", "MPO"):
        file.seek(max(0, size - 64))
        tail = file.read().rstrip(b"\x00\r\n ")
        return tail.endswith(b"\xff\xd9")
    if format == "PNG":
        file.seek(max(0, size - 12))
        return file.read() == _PNG_END
    if format == "GIF":
        file.seek(max(0, size - 1))
        return file.read() == b";"
    file.seek(0)
    head = file.read(12)
    if format == "BMP":
        return size >= int.from_bytes(head[2:6], "little")
    # WEBP: a RIFF container, 8 bytes + the size in its header.
    return size >= int.from_bytes(head[4:8], "little") + 8


def tf_decodes(path, channels=3):
    """Whether `tf.io.decode_image` reads `path` (one eager decode)."""
    try:
        tf.io.decode_image(tf.io.read_file(path), channels, expand_animations=False)
    except (tf.errors.OpError, OSError, ValueError):
        return False
    return True


def scan_images(paths):
    """`read_header` for each path; a suspect end is decided by TensorFlow.

    Returns:
        A list of `ImageHeader`, aligned with `paths`.
    """
    headers = [read_header(path) for path in paths]
    for path, header in zip(paths, headers):
        if header.suspect and not tf_decodes(path):
            header.problem = "truncated"
    return headers


def default_image_size(sizes, max_side=DEFAULT_MAX_SIDE):
    """The folder's median `(height, width)`, scaled so no side exceeds `max_side`.

    Example:

    >>> default_image_size([(480, 640), (600, 800), (300, 400)])
    (168, 224)
    >>> default_image_size([(28, 28), (28, 30)])
    (28, 29)
    """
    sizes = np.asarray(sizes, dtype="float64").reshape(-1, 2)
    height, width = np.median(sizes, axis=0)
    scale = min(1.0, max_side / max(height, width))
    return max(1, int(round(height * scale))), max(1, int(round(width * scale)))


def apply_orientation(image, orientation):
    """Turns a decoded `(H, W, C)` image upright for its EXIF `orientation`.

    The same pixels as Pillow's `ImageOps.exif_transpose`: 2 mirrors, 3
    turns 180 degrees, 4 flips, 5 transposes, 6 turns 90 degrees clockwise,
    7 transverses, 8 turns 90 degrees counter-clockwise; 1 and anything else
    leave the image as it is.
    """

    image = tf.convert_to_tensor(image)

    def transpose(x):
        return tf.transpose(x, (1, 0, 2))

    branches = [
        lambda: image,
        lambda: tf.image.flip_left_right(image),
        lambda: tf.image.rot90(image, 2),
        lambda: tf.image.flip_up_down(image),
        lambda: transpose(image),
        lambda: tf.image.rot90(image, 3),
        lambda: tf.image.rot90(transpose(image), 2),
        lambda: tf.image.rot90(image, 1),
    ]
    index = tf.cast(orientation, "int32") - 1
    index = tf.where((index < 0) | (index > 7), 0, index)
    return tf.switch_case(index, branches)


def resize_uint8(image, image_size):
    """Bilinear resize (as `keras.layers.Resizing`) to `uint8` pixels."""
    image = tf.image.resize(image, image_size, method="bilinear")
    return tf.cast(tf.round(tf.clip_by_value(image, 0.0, 255.0)), "uint8")


def image_loader(image_size, channels, orientations=None, dtype="uint8"):
    """A tf.data loader: file path -> upright `uint8` image of `image_size`.

    Args:
        image_size: `(height, width)` the images are resized to.
        channels: 1 (grayscale) or 3 (RGB).
        orientations: optional `{path: EXIF orientation}` for the files that
            are not upright (looked up in a `tf.lookup.StaticHashTable`).
        dtype: `"uint8"` (rounded: what the training cache holds) or
            `"float32"` (the resized values as they are: what `predict`
            feeds, equal to the model resizing the raw image itself).

    Returns:
        A function `load(path)`, with an `on_error(path)` attribute that
        `kr.data.make_dataset` maps a failed file to: a blank image, and a
        line on stderr naming the file.
    """
    image_size = (int(image_size[0]), int(image_size[1]))
    table = None
    if orientations:
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(list(orientations), tf.string),
                tf.constant(list(orientations.values()), tf.int32),
            ),
            default_value=1,
        )

    def load(path):
        raw = tf.io.read_file(path)
        image = tf.io.decode_image(raw, channels=channels, expand_animations=False)
        image.set_shape((None, None, channels))
        if table is not None:
            image = apply_orientation(image, table.lookup(path))
        if dtype == "uint8":
            return resize_uint8(image, image_size)
        return tf.image.resize(image, image_size, method="bilinear")

    def on_error(path):
        tf.print(
            "keras_recipes: could not decode image",
            path,
            "- a blank image stands in for it",
            output_stream=sys.stderr,
        )
        return tf.zeros((*image_size, channels), dtype)

    load.on_error = on_error
    load.image_size = image_size
    load.channels = channels
    return load


# ------------------------------------------------------ predict's raw inputs
def is_file_input(x):
    """Whether `x` names image files: a path or a non-empty list of paths."""
    if isinstance(x, str | os.PathLike):
        return True
    if isinstance(x, np.ndarray):
        if x.ndim != 1 or x.dtype.kind not in "OU" or not len(x):
            return False
        x = x.tolist()
    if isinstance(x, list | tuple):
        return bool(x) and all(isinstance(i, str | os.PathLike) for i in x)
    return False


def list_image_files(x, name="x", skip_bad=False):
    """Paths from a path, a list of paths, or a folder (its image files).

    A folder expands to its image files (`IMAGE_EXTENSIONS`, subfolders too,
    sorted). Each file's header and end are checked as `image_folder` checks
    them; a missing path is a `ValueError` naming it, and so is an unreadable
    or broken file, unless `skip_bad`: then it is left out with a warning
    naming it.

    Returns:
        `(paths, headers)`: lists of `str` and `ImageHeader`.
    """
    items = [x] if isinstance(x, str | os.PathLike) else list(np.ravel(x))
    paths = []
    for item in items:
        item = os.fspath(item)
        if os.path.isdir(item):
            found = sorted(
                os.path.join(root, f)
                for root, _, files in os.walk(item)
                for f in files
                if f.lower().endswith(IMAGE_EXTENSIONS)
            )
            if not found:
                raise ValueError(
                    f"`{name}` names a folder with no image files "
                    f"({', '.join(IMAGE_EXTENSIONS)}). Received: {name}={item!r}"
                )
            paths.extend(found)
        elif os.path.isfile(item):
            paths.append(item)
        else:
            raise ValueError(
                f"`{name}` must name image files or folders; {item!r} is not "
                f"a regular file or folder. Received: {name}={item!r}"
            )
    headers = scan_images(paths)
    bad = [f"{p} ({h.problem})" for p, h in zip(paths, headers) if h.problem]
    if bad and skip_bad and len(bad) < len(paths):
        warnings.warn(
            f"skipped {len(bad)} file(s) of `{name}` that are not readable "
            f"images: {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}",
            stacklevel=3,
        )
        kept = [(p, h) for p, h in zip(paths, headers) if not h.problem]
        return [p for p, _ in kept], [h for _, h in kept]
    if bad:
        raise ValueError(
            f"`{name}` holds {len(bad)} file(s) that are not readable images "
            "(unreadable, truncated, or a format tf.io.decode_image cannot "
            f"read): {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}. "
            f"Received: {name} with {len(paths)} file(s)"
        )
    return paths, headers


def is_pil_input(x):
    """Whether `x` is a PIL image or a non-empty list of them."""
    items = x if isinstance(x, list | tuple) else [x]
    return bool(items) and all(
        type(i).__module__.startswith("PIL.") and hasattr(i, "getexif") for i in items
    )


def pil_to_arrays(x, channels):
    """PIL image(s) -> list of upright `uint8` arrays with `channels`."""
    # Pillow: optional, imported on use (keeps `import keras_recipes` light).
    from PIL import ImageOps

    items = x if isinstance(x, list | tuple) else [x]
    arrays = []
    for image in items:
        image = ImageOps.exif_transpose(image).convert("L" if channels == 1 else "RGB")
        array = np.asarray(image, dtype="uint8")
        arrays.append(array[..., None] if channels == 1 else array)
    return arrays


def stack_images(arrays, image_size, always=False):
    """A batch from images of any sizes: each resized like the model resizes.

    Arrays that already share one size are stacked as they are (the model
    resizes them); else each is resized to `image_size` with the model's
    bilinear op (float32, no rounding), so the model's own resize is then
    the identity and the result equals predicting each image alone.
    `always` resizes arrays of one size too.
    """
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) == 1 and not always:
        return np.stack([np.asarray(a) for a in arrays])
    size = (int(image_size[0]), int(image_size[1]))
    return np.stack(
        [
            tf.image.resize(np.asarray(a, "float32"), size, method="bilinear").numpy()
            for a in arrays
        ]
    )
