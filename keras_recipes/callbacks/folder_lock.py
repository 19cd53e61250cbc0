"""`FolderLock`: one training run at a time writes a checkpoint folder.

An OS-level lock on a file inside the folder (`fcntl.flock` on POSIX,
`msvcrt.locking` on Windows), held for the whole `fit`. The operating
system releases it when its process dies, so a lock left by a killed run
never blocks the next one. The holder writes its process id into the file,
for the error a second run gets, and removes the file on release (while
still holding the lock; an acquirer checks that it locked the file that is
still at the path, so two runs never hold two generations of it).

Within one process a second acquisition takes the lock over: a `fit` that
failed with an exception may not have released it (Keras calls no callback
on errors), and it must not block the next `fit` of the same process.

On a file system without locks (some network mounts) a warning says so and
the run goes on unlocked.
"""

import os
import warnings

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None

LOCK_FILE = ".keras_recipes.lock"

# Lock file path (resolved) -> the `FolderLock` holding it in this process.
_HELD = {}


def _try_lock(fd):
    """Locks `fd` without waiting: `True`, or `False` when another holds it.

    Raises `OSError` when the file system cannot lock at all.
    """
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    if msvcrt is not None:  # pragma: no cover - Windows
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        return True
    raise OSError("no file locking on this platform")  # pragma: no cover


def _unlock(fd):
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:  # pragma: no cover - Windows
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _is_file_at(fd, path):
    """Whether the open file `fd` is still the file at `path`."""
    try:
        here = os.stat(path)
    except OSError:
        return False
    there = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _holder(fd):
    """The process id written into a lock file, or `"unknown"`."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):  # locked region (Windows), no pread
        return "unknown"
    return text if text.isdigit() else "unknown"


class FolderLock:
    """An OS-level lock on `directory`, for one writing process at a time.

    Args:
        directory: the folder (must exist).
        argument: the name the user gave the folder under, for the error.
        argument_value: the value shown with `argument` in the error.

    Example:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> lock = FolderLock(folder, "resume_dir", folder)
    >>> lock.acquire(), lock.held
    (True, True)
    >>> lock.release()
    >>> lock.held
    False
    """

    def __init__(self, directory, argument, argument_value):
        self.path = os.path.join(os.fspath(directory), LOCK_FILE)
        self.argument = argument
        self.argument_value = argument_value
        self._fd = None

    @property
    def held(self):
        return self._fd is not None

    def _key(self):
        return os.path.realpath(self.path)

    def acquire(self):
        """Takes the lock.

        Returns:
            `True` when held, `False` when the file system cannot lock (a
            warning says so).

        Raises:
            ValueError: another process holds the lock.
        """
        if self._fd is not None:
            return True
        held = _HELD.get(self._key())
        if held is not None:  # this process; see the module docstring
            self._fd, held._fd = held._fd, None
            _HELD[self._key()] = self
            return True
        for _ in range(100):  # a new try only when a holder just released
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                locked = _try_lock(fd)
            except OSError as error:
                os.close(fd)
                warnings.warn(
                    f"Cannot lock `{self.argument}` ({error}); two runs given "
                    "the same folder at once would overwrite each other's "
                    f"checkpoints. Received: {self.argument}="
                    f"{self.argument_value!r}",
                    stacklevel=3,
                )
                return False
            if not locked:
                pid = _holder(fd)
                os.close(fd)
                raise ValueError(
                    f"`{self.argument}` is in use by another training run "
                    f"(pid {pid}): one folder serves one run at a time. Wait "
                    f"for it to end or give another folder. Received: "
                    f"{self.argument}={self.argument_value!r}"
                )
            if _is_file_at(fd, self.path):
                break
            _unlock(fd)  # the holder removed it as we opened it: again
            os.close(fd)
        else:  # pragma: no cover - a folder that changes under us forever
            raise ValueError(
                f"`{self.argument}` could not be locked: its lock file keeps "
                f"changing. Received: {self.argument}={self.argument_value!r}"
            )
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        _HELD[self._key()] = self
        return True

    def release(self):
        """Releases the lock (if held) and removes the lock file."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if _HELD.get(self._key()) is self:
            del _HELD[self._key()]
        try:
            os.remove(self.path)  # still locked: nobody else holds this file
        except OSError:
            pass  # Windows cannot remove an open file; the next run reuses it
        try:
            _unlock(fd)
        finally:
            os.close(fd)
