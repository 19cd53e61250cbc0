"""`kr.load_model`: safe loading of `.keras` files.

A `.keras` file is a zip archive of `config.json` (what to build),
`metadata.json` and `model.weights.h5`. Keras' own `safe_mode` refuses only
Lambda *bytecode*: a Lambda (or a loss, an activation...) that names an
exported Keras function, such as `keras.config.set_floatx`, runs it on load.
So before Keras deserializes anything, `check_model_file` reads the archive
itself and refuses it unless

- it is a readable zip whose entries are exactly the ones Keras writes, none
  larger than `MAX_JSON_BYTES` (JSON) or `MAX_WEIGHTS_BYTES`, and none
  expanding more than `MAX_COMPRESSION_RATIO` times (zip bombs);
- `config.json` is JSON nested at most `MAX_CONFIG_DEPTH` deep;
- every object it names is on the allow-list: `ALLOWED_CLASSES`,
  `ALLOWED_FUNCTIONS` and the plain-data markers of `DATA_MARKERS`. Lambda
  layers (bytecode or a function reference) and `TFSMLayer` (which loads
  another model from a path) are refused with their own messages.

Then Keras loads the file, with `safe_mode=True`.
Every refusal is a `ValueError` that names `filepath`.
"""

import json
import os
import warnings
import zipfile
import zlib

import keras

from keras_recipes.saving_allow_list import _MODEL_CLASSES
from keras_recipes.saving_allow_list import ALLOWED_CLASSES
from keras_recipes.saving_allow_list import ALLOWED_FUNCTIONS
from keras_recipes.saving_allow_list import DATA_MARKERS
from keras_recipes.utils import open_regular

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
ENTRIES = (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE)  # what `model.save` writes

# Size bounds, checked on the archive's directory before anything expands.
MAX_JSON_BYTES = 64 * 2**20  # config.json, metadata.json (ours: a few KB)
MAX_WEIGHTS_BYTES = 16 * 2**30  # model.weights.h5
MAX_COMPRESSION_RATIO = 100  # Keras stores entries (ratio 1); deflate < 1032
MAX_CONFIG_DEPTH = 100  # ours: 5 (templates), ~15 (functional models)
# JSON objects and arrays in one file: each costs ~100 bytes of Python
# memory for 2 bytes of JSON. Counted on the raw bytes (brackets inside
# strings too), before parsing. Ours: ~10 (templates), ~1000 (functional).
MAX_JSON_CONTAINERS = 1_000_000
# What zipfile raises on a corrupt, encrypted or oddly compressed archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    zlib.error,
    RuntimeError,
    NotImplementedError,
)
_RATIO_FLOOR_BYTES = 2**20  # tiny entries may compress any amount
_CHUNK = 2**20


_TRUST_HINT = (
    "Load it only if you trust its source, with keras.saving.load_model(..., "
    "safe_mode=False)."
)


def load_model(filepath, compile=True):
    """Loads a `.keras` file into its task class, safely.

    Every keras_recipes object is registered, so no `custom_objects` are
    needed. Loading never executes code from the file and never changes
    global state: before Keras reads the file, `check_model_file` refuses
    archives that are not what `model.save` writes, oversized or
    over-compressed entries, and configs naming anything off the allow-list
    (Lambda layers, `TFSMLayer`, function references, unknown classes).
    Keras then loads it with `safe_mode=True`. Legacy `.h5` files are
    refused because they cannot be loaded safely.

    Args:
        filepath: path to a `.keras` file.
        compile: restore the training configuration as well.

    Returns:
        The model, an instance of the class it was saved from.

    Raises:
        ValueError: naming `filepath`, for a missing, corrupt, oversized or
            refused file.

    Example:

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "empty.keras")
    >>> open(path, "wb").close()
    >>> load_model(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `filepath` is empty (0 bytes), not a `.keras` archive. ...
    """
    # The package itself: kept local (tests/test_layering.py LAZY_MODULES),
    # its _load_all registers every serializable class before Keras loads.
    import keras_recipes

    keras_recipes._load_all()

    filepath = _check_path(filepath)
    try:
        # Never blocks: a path swapped for a FIFO after the check is refused.
        file = open_regular(filepath)
    except OSError as error:
        reason = error.strerror or error
        raise _refuse(filepath, f"cannot be read ({reason})") from None
    with file:
        check_model_file(file, filepath)
        try:
            with warnings.catch_warnings():
                # A model saved before any training step has an unbuilt
                # optimizer (2 variables: iterations, learning rate); its
                # slots are rebuilt at zero on load, which is exactly the
                # saved state. Nothing is lost, so Keras' "Skipping variable
                # loading" warning is noise.
                warnings.filterwarnings(
                    "ignore",
                    message=r"Skipping variable loading for optimizer .* the "
                    r"saved optimizer has 2 variables",
                )
                return keras.saving.load_model(
                    filepath, compile=compile, safe_mode=True
                )
        except (ValueError, TypeError) as error:
            # Keras wraps a constructor's error: keep the part that names
            # the argument (our checks: "Received: num_classes=...").
            text = str(error).split("Exception encountered: ")[-1].strip()
            if "Received:" in text and "filepath" not in text:
                raise ValueError(
                    f"`filepath` holds an invalid model config: {_short(text, 400)} "
                    f"(Received: filepath={filepath!r})"
                ) from None
            raise _refuse(
                filepath, f"could not be loaded ({_first_line(error)})"
            ) from error
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error) as error:
            raise _refuse(
                filepath, f"is corrupt: its weights cannot be read ({error!r})"
            ) from None
        except (RecursionError, MemoryError) as error:
            raise _refuse(filepath, f"could not be loaded ({error!r})") from None


def check_model_file(file, filepath):
    """Checks a `.keras` archive before anything in it is deserialized.

    Args:
        file: the archive, open in binary mode.
        filepath: its path, for error messages.

    Returns:
        The parsed `config.json`.

    Raises:
        ValueError: naming `filepath`: not a zip archive, truncated or
            corrupt, unexpected entries, entries past the size bounds, a
            config nested too deep or naming anything off the allow-list.
    """
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        raise _refuse(filepath, "is empty (0 bytes), not a `.keras` archive")
    try:
        archive = zipfile.ZipFile(file)
    except (*_ZIP_ERRORS, ValueError) as error:
        raise _refuse(
            filepath,
            "is not a `.keras` archive (not a readable zip file: truncated or "
            f"corrupt? {_first_line(error)})",
        ) from None
    with archive:
        infos = _check_entries(archive, size, filepath)
        if METADATA_FILE in infos:
            _read_json(archive, METADATA_FILE, filepath)
        config = _read_json(archive, CONFIG_FILE, filepath)
        _check_crc(archive, WEIGHTS_FILE, filepath)
    check_config(config, filepath)
    return config


def check_config(config, filepath="config.json"):
    """Walks a parsed `config.json`: depth bound and allow-list.

    Args:
        config: the parsed JSON.
        filepath: the file it came from, for error messages.

    Raises:
        ValueError: naming `filepath` and where in the config the problem is.
    """
    if not (isinstance(config, dict) and "class_name" in config):
        raise _refuse(
            filepath,
            f"has a `{CONFIG_FILE}` that describes no model (expected a JSON "
            f"object with a `class_name`; found {type(config).__name__})",
        )
    if config["class_name"] not in _MODEL_CLASSES:
        raise _refuse(
            filepath,
            f"holds a `{_short(config['class_name'])}`, not a model "
            f"kr.load_model builds (one of {list(_MODEL_CLASSES)})",
        )
    stack = [(config, "config", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise _refuse(
                filepath,
                f"has a `{CONFIG_FILE}` nested more than {MAX_CONFIG_DEPTH} "
                "levels deep",
            )
        if isinstance(node, dict):
            if "class_name" in node:
                _check_object(node, where, filepath)
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        for key, child in children:
            if isinstance(child, dict | list):
                stack.append((child, f"{where}[{_short(key, 30)}]", depth + 1))


def _check_object(node, where, filepath):
    module = node.get("module")
    class_name = node.get("class_name")
    registered = node.get("registered_name")
    if not isinstance(class_name, str):
        raise _refuse(filepath, f"names an object without a class name at {where}")
    for key, value in (("module", module), ("registered_name", registered)):
        if not (value is None or isinstance(value, str)):
            raise _refuse(
                filepath,
                f"names an object whose `{key}` is not a string (at {where}: "
                f"{_short(value)})",
            )
    if class_name in DATA_MARKERS:
        return
    if class_name in ("Lambda", "__lambda__") or registered == "Lambda":
        raise _refuse(
            filepath,
            f"contains a Lambda layer (at {where}). Refusing to load a model that "
            "contains a Lambda layer: its function, Python bytecode or a "
            "reference to any Python function, would run on load (unsafe). "
            + _TRUST_HINT,
        )
    if class_name == "TFSMLayer" or registered == "TFSMLayer":
        raise _refuse(
            filepath,
            f"contains a TFSMLayer (at {where}). Refusing to load a model that "
            "wraps a TensorFlow SavedModel read from another path: that model's "
            "graph is not in this file and cannot be checked. " + _TRUST_HINT,
        )
    if class_name == "function":
        name = node.get("config")
        if (
            not isinstance(name, str)
            or (module, name) not in ALLOWED_FUNCTIONS
            or registered
            not in (
                None,
                "function",
                name,
            )
        ):
            raise _refuse(
                filepath,
                f"refers to the function `{_short(module)}.{_short(name)}` (at "
                f"{where}). Refusing to load a model that names a function not "
                "on kr.load_model's allow-list (ALLOWED_FUNCTIONS): it could run "
                "on load. " + _TRUST_HINT,
            )
        return
    if _allowed(module, class_name, registered):
        return
    raise _refuse(
        filepath,
        f"contains `{_short(class_name)}` (module={_short(module)}, "
        f"registered_name={_short(registered)}, at {where}). Refusing to load a "
        "model that names a class not on kr.load_model's allow-list "
        "(keras_recipes.saving.ALLOWED_CLASSES: the classes keras_recipes "
        "models are made of). " + _TRUST_HINT,
    )


# keras_recipes classes match on (class_name, registered_name) whatever their
# module (see saving_allow_list); derived once, looked up per object.
_OWN_CLASSES = frozenset(
    entry[1:] for entry in ALLOWED_CLASSES if entry[0].startswith("keras_recipes.")
)


def _allowed(module, class_name, registered):
    if (module, class_name, registered) in ALLOWED_CLASSES:
        return True
    own = isinstance(module, str) and module.startswith("keras_recipes.")
    return own and (class_name, registered) in _OWN_CLASSES


def _check_path(filepath):
    if not isinstance(filepath, str | os.PathLike):
        raise TypeError(
            "`filepath` must be a path to a `.keras` file. Received: filepath="
            f"{_short(filepath)} of type {type(filepath).__name__}"
        )
    filepath = os.fspath(filepath)
    if isinstance(filepath, bytes):
        filepath = os.fsdecode(filepath)
    if "\0" in filepath:
        raise ValueError(
            f"`filepath` must not contain NUL bytes. Received: filepath={filepath!r}"
        )
    if filepath.endswith((".h5", ".hdf5")):
        raise ValueError(
            "`filepath` is a legacy HDF5 file; keras_recipes loads only `.keras` "
            "files, which can be loaded without running code from the file. "
            f"Re-save the model with `model.save('model.keras')`. "
            f"Received: filepath={filepath!r}"
        )
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"`filepath` must be a `.keras` file. Received: filepath={filepath!r}"
        )
    if not os.path.exists(filepath):
        raise ValueError(f"`filepath` does not exist. Received: filepath={filepath!r}")
    if os.path.isdir(filepath):
        raise _refuse(filepath, "is a folder, not a `.keras` file")
    if not os.path.isfile(filepath):
        raise _refuse(filepath, "is not a regular file (a FIFO or a device?)")
    return filepath


def _check_entries(archive, size, filepath):
    infos = {}
    for info in archive.infolist():
        name = info.filename
        if name not in ENTRIES or name in infos:
            raise _refuse(
                filepath,
                f"holds an unexpected entry {_short(name)!s} (a `.keras` file "
                f"saved by keras_recipes holds exactly {list(ENTRIES)})",
            )
        infos[name] = info
        limit = MAX_WEIGHTS_BYTES if name == WEIGHTS_FILE else MAX_JSON_BYTES
        if info.file_size > limit:
            raise _refuse(
                filepath,
                f"has a `{name}` of {info.file_size} bytes, more than the "
                f"{limit} bytes kr.load_model accepts (keras_recipes.saving."
                f"{'MAX_WEIGHTS_BYTES' if name == WEIGHTS_FILE else 'MAX_JSON_BYTES'})",
            )
        if info.compress_size > size:
            raise _refuse(
                filepath,
                f"is corrupt: its `{name}` claims {info.compress_size} bytes in "
                f"a file of {size} bytes (truncated?)",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise _refuse(
                filepath,
                f"has a `{name}` that expands {ratio:.0f}x ({info.compress_size} "
                f"-> {info.file_size} bytes), more than the "
                f"{MAX_COMPRESSION_RATIO}x kr.load_model accepts (a zip bomb?)",
            )
    missing = [n for n in (CONFIG_FILE, WEIGHTS_FILE) if n not in infos]
    if missing:
        raise _refuse(
            filepath,
            f"is not a complete `.keras` archive: it has no `{missing[0]}` "
            f"(entries: {sorted(infos)})",
        )
    return infos


def _read_json(archive, name, filepath):
    try:
        with archive.open(name) as entry:
            raw = entry.read(MAX_JSON_BYTES + 1)
    except _ZIP_ERRORS as error:
        raise _refuse(
            filepath, f"is corrupt: its `{name}` cannot be read ({_first_line(error)})"
        ) from None
    if len(raw) > MAX_JSON_BYTES:  # the directory lied about the size
        raise _refuse(filepath, f"has a `{name}` larger than {MAX_JSON_BYTES} bytes")
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_CONTAINERS:
        raise _refuse(
            filepath,
            f"has a `{name}` with more than {MAX_JSON_CONTAINERS} JSON objects "
            "and arrays (keras_recipes.saving.MAX_JSON_CONTAINERS)",
        )
    try:
        return json.loads(raw)
    except RecursionError:
        raise _refuse(
            filepath,
            f"has a `{name}` nested more than {MAX_CONFIG_DEPTH} levels deep",
        ) from None
    except ValueError as error:  # JSONDecodeError, bad UTF-8, huge integers
        raise _refuse(
            filepath, f"has a `{name}` that is not valid JSON ({_first_line(error)})"
        ) from None


def _check_crc(archive, name, filepath):
    """Reads an entry through, in chunks: zipfile checks its size and CRC."""
    try:
        with archive.open(name) as entry:
            total = 0
            while chunk := entry.read(_CHUNK):
                total += len(chunk)
                if total > MAX_WEIGHTS_BYTES:
                    raise _refuse(filepath, f"has a `{name}` past its size bound")
    except _ZIP_ERRORS as error:
        raise _refuse(
            filepath,
            f"is corrupt: its `{name}` fails its checksum or is truncated "
            f"({_first_line(error)})",
        ) from None


def _refuse(filepath, reason):
    reason = reason.rstrip(".")
    return ValueError(f"`filepath` {reason}. Received: filepath={filepath!r}")


def _first_line(error):
    text = str(error).strip().splitlines()
    return _short(text[0] if text else type(error).__name__, 200).strip("'\"")


def _short(value, limit=80):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
