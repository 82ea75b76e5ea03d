"""Writing files so that a crash or a kill never leaves a truncated one.

Every file layerwise writes (models, weights, checkpoints, backups,
downloads) is written under a temporary name in the same directory and then
renamed over the target. A rename within one directory is atomic on POSIX
and on Windows (``os.replace``), so readers see either the old file or the
complete new one.

Example:

>>> with atomic_write("model.keras") as temporary_path:
...     write_the_zip(temporary_path)
"""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_write(path, directory=False):
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    With ``directory=True`` the temporary path is an empty directory that
    replaces ``path`` (an existing directory at ``path`` is removed only after
    the new one is complete). On an exception the temporary file or directory
    is removed and ``path`` is left as it was.

    Example:

    >>> with atomic_write("weights.h5") as temporary:
    ...     h5py.File(temporary, "w").close()
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    prefix = "." + os.path.basename(path) + "."
    if directory:
        temporary = tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=parent)
    else:
        handle, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=parent)
        os.close(handle)
    try:
        yield temporary
        _set_final_mode(temporary, path, directory)
        if not directory:
            _flush_to_disk(temporary)
        if directory and os.path.isdir(path):
            # Two renames: a directory cannot be replaced in one step. The old
            # one moves aside first, so a kill in between leaves both complete.
            old = tempfile.mkdtemp(prefix=prefix, suffix=".old", dir=parent)
            os.rmdir(old)
            os.replace(path, old)
            os.replace(temporary, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, path)
    except BaseException:
        if os.path.isdir(temporary):
            shutil.rmtree(temporary, ignore_errors=True)
        elif os.path.exists(temporary):
            os.remove(temporary)
        raise


def _set_final_mode(temporary, path, directory):
    """Give the new file the permissions a plain ``open(path, "w")`` would (mkstemp makes it private).

    An existing target keeps its own permissions.
    """
    try:
        if os.path.exists(path):
            mode = os.stat(path).st_mode & 0o7777
        else:
            mode = (0o777 if directory else 0o666) & ~_umask()
        os.chmod(temporary, mode)
    except OSError:
        pass  # permissions are a courtesy; the data are what matters


def _umask():
    # Reading the umask by setting it is not thread-safe; Linux reports it in /proc instead.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def _flush_to_disk(path):
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
