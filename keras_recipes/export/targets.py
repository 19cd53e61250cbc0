"""The one check of an export path, run before any export work.

`kr.export.export`, `Task.export`, `export_saved_model` and `export_onnx`
call `check_target` first, so a path that cannot receive the export (an
existing file where a SavedModel folder goes, a folder where a `.onnx` file
goes, a parent that is a file or not writable) is a `ValueError` naming
`filepath` and nothing is written.
"""

import os


def check_target(filepath, format):
    """Checks an export path before any work; returns it as a `str`.

    `"keras"` and `"onnx"` write a file: the path must not be an existing
    folder. `"saved_model"` writes a folder: the path must not be an existing
    file. The parent folder must be a folder (it is created when missing) and
    writable. Nothing is written when a check fails.

    Example:

    >>> check_target("model.keras", "keras")
    'model.keras'
    >>> check_target(".", "onnx")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `filepath` must be a file path ... Received: filepath='.'
    """
    if not isinstance(filepath, str | os.PathLike) or isinstance(filepath, bytes):
        raise TypeError(
            "`filepath` must be a path (str or os.PathLike). "
            f"Received: filepath of type {type(filepath).__name__}"
        )
    filepath = os.fspath(filepath)
    if not filepath or filepath.endswith(os.sep):
        what = "a folder path" if format == "saved_model" else "a file path"
        raise ValueError(
            f"`filepath` must be {what} for format={format!r}. "
            f"Received: filepath={filepath!r}"
        )
    if format == "saved_model":
        if os.path.lexists(filepath) and not os.path.isdir(filepath):
            raise ValueError(
                "`filepath` must be a folder path for format='saved_model' "
                "(a SavedModel is a folder); it names an existing file. "
                f"Received: filepath={filepath!r}"
            )
    elif os.path.isdir(filepath):
        raise ValueError(
            f"`filepath` must be a file path for format={format!r}, not an "
            f"existing folder. Received: filepath={filepath!r}"
        )
    elif os.path.lexists(filepath) and not os.path.isfile(filepath):
        raise ValueError(
            f"`filepath` must be a file path for format={format!r}; it names "
            f"something that is not a regular file (a FIFO, socket, device or "
            f"broken link). Received: filepath={filepath!r}"
        )
    sidecar = filepath[: -len(".onnx")] + ".json"
    if format == "onnx" and filepath.endswith(".onnx") and os.path.lexists(sidecar):
        if not os.path.isfile(sidecar):  # the JSON sidecar some models write
            raise ValueError(
                f"`filepath` needs its sidecar {sidecar!r} to be a file path, "
                "but that is an existing folder or special file. "
                f"Received: filepath={filepath!r}"
            )
    parent = os.path.dirname(os.path.abspath(filepath))
    ancestor = parent
    while not os.path.lexists(ancestor):  # created on write; check what exists
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise ValueError(
            f"`filepath` must be in a writable folder, but {ancestor!r} is a "
            "file. "
            f"Received: filepath={filepath!r}"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(
            f"`filepath` must be in a writable folder; {ancestor!r} is not "
            f"writable. Received: filepath={filepath!r}"
        )
    return filepath
