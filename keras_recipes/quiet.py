"""Library and native chatter kept off the terminal, shown when something fails.

TensorFlow's C++ side writes straight to file descriptor 2 through absl
(`failed call to cuInit` on machines without a GPU, oneDNN notes, "All log
messages before absl::InitializeLog() is called", twice), and
`TF_CPP_MIN_LOG_LEVEL` no longer silences all of it. tf2onnx logs full
tracebacks and "Cannot infer shape" lines while converting models that it then
converts correctly. `native_stderr` sends the native writes to a file while
Python's `sys.stderr` keeps the terminal; `captured_logs` collects the Python
loggers' records. Both hand the text back, so a caller shows it on failure.

Example:

>>> import logging
>>> with captured_logs() as log:
...     logging.getLogger("tf2onnx").warning("Cannot infer shape")
>>> "Cannot infer shape" in log.getvalue()
True
"""

import contextlib
import io
import logging
import os
import sys
import tempfile

# The Python loggers of the converter and TensorFlow (absl prints TF's).
LOGGERS = ("tensorflow", "tf2onnx", "absl")


@contextlib.contextmanager
def captured_logs(names=LOGGERS):
    """Collects the records of the loggers `names` (all levels) in a buffer.

    While active, the loggers do not propagate to the root logger or print
    through their own handlers; the yielded `io.StringIO` holds the text.
    """
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers = [handler]
        logger.propagate = False
    try:
        yield buffer
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate


@contextlib.contextmanager
def logger_levels(level=logging.ERROR, names=LOGGERS):
    """Raises the loggers `names` to `level` while active (warnings hidden)."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in names]
    for logger, _ in saved:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, old in saved:
            logger.setLevel(old)


@contextlib.contextmanager
def native_stderr():
    """Sends what native code writes to file descriptor 2 to a temporary file.

    Python's `sys.stderr` keeps writing to the terminal (warnings, errors and
    tracebacks stay visible). Yields an object whose `read()` returns the
    native text written so far. Where fd 2 cannot be duplicated, it does
    nothing and `read()` returns "".
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield _Native(None)
        return
    log = tempfile.TemporaryFile(mode="w+b")
    python_stderr = sys.stderr
    try:
        uses_fd2 = python_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        uses_fd2 = False
    os.dup2(log.fileno(), 2)
    if uses_fd2:  # Python's own writes keep the terminal
        sys.stderr = open(os.dup(saved), "w", buffering=1, errors="backslashreplace")
    try:
        yield _Native(log)
    finally:
        if uses_fd2:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)
        log.close()


class _Native:
    def __init__(self, file):
        self._file = file

    def read(self):
        if self._file is None or self._file.closed:
            return ""
        self._file.flush()
        self._file.seek(0)
        return self._file.read().decode("utf-8", "replace")


def tail(text, lines=40):
    """The last `lines` lines of `text` (the end of a log is where it failed)."""
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept)
