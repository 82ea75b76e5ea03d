"""The container of a Keras 3 model: a ``.keras`` zip, or the same files in a directory.

Both hold ``config.json`` (the model's config), ``metadata.json``
(``keras_version``, ``date_saved``) and ``model.weights.h5`` (the weights),
plus ``assets/...`` for layers that keep files (vocabularies). Keras writes
the zip members uncompressed; so does layerwise.

Reading is defensive, because a model file may come from anyone:

* only those member names are accepted; an absolute name, a name with
  ``..``, a backslash or a drive letter, a duplicate, an encrypted member or
  any other member refuses the whole file;
* every member's declared size is checked against a limit and against the
  bytes it stores (a member that would expand more than 100 times is a
  decompression bomb) before a byte is decompressed, and reading stops at
  the declared size;
* nothing is extracted to disk: the members are read into memory.

Writing goes to a temporary name that is renamed at the end, so a kill never
leaves a truncated file (or a half-written directory).

Example:

>>> members = read_model_archive("model.keras")
>>> sorted(members.files)
['config.json', 'metadata.json', 'model.weights.h5']
"""

import datetime
import json
import os
import re
import stat
import zipfile

from layerwise.saving.file_io import atomic_write
from layerwise.saving.safety import UnsafeFileError

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
ASSETS = "assets"
KNOWN_FILES = (CONFIG, METADATA, WEIGHTS)
# The Keras release whose file format layerwise writes (metadata.json's "keras_version").
KERAS_VERSION = "3.15.1"

# Limits: a config of a course model is kilobytes; weights are what the model holds.
MAX_JSON_BYTES = 64 * 1024**2
MAX_WEIGHTS_BYTES = 16 * 1024**3
MAX_ASSET_BYTES = 1024**3
MAX_MEMBERS = 10_000
# A member that declares more than this may not expand more than MAX_EXPANSION times.
_EXPANSION_FLOOR = 1024**2
MAX_EXPANSION = 100
_CHUNK = 1024**2
_LIMITS = {CONFIG: MAX_JSON_BYTES, METADATA: MAX_JSON_BYTES, WEIGHTS: MAX_WEIGHTS_BYTES}


class ModelFiles:
    """The members read from a ``.keras`` zip or directory: ``files[name] -> bytes``, assets apart."""

    def __init__(self, source, files, assets):
        self.source = source
        self.files = files
        self.assets = assets

    def require(self, name):
        if name not in self.files:
            what = {CONFIG: "the model's config", WEIGHTS: "the weights"}.get(name, name)
            raise UnsafeFileError(
                f"Refused {self.source}: it has no {name} ({what}); a Keras 3 model holds config.json, "
                "metadata.json and model.weights.h5. Is it truncated, or not a model?"
            )
        return self.files[name]


def check_member_name(name, source):
    """Refuse a member name that is absolute, climbs out (``..``) or is not a plain relative path."""
    bad = (
        not name
        or "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name) is not None
        or any(part in ("", ".", "..") for part in name.rstrip("/").split("/"))
    )
    if bad:
        raise UnsafeFileError(
            f"Refused {source}: it contains a member named {name!r}. Member names that are absolute or "
            "climb out of the archive ('..') are never accepted; a .keras file holds config.json, "
            "metadata.json and model.weights.h5."
        )


def _kind(name, source):
    if name in KNOWN_FILES:
        return name
    if name == ASSETS + "/" or name.startswith(ASSETS + "/"):
        return ASSETS
    if name == "model.weights.npz":
        raise UnsafeFileError(
            f"Refused {source}: its weights are in model.weights.npz; layerwise reads the HDF5 weights "
            "(model.weights.h5) that Keras writes by default."
        )
    raise UnsafeFileError(
        f"Refused {source}: it contains an unknown member {name!r}. A .keras file holds config.json, "
        "metadata.json and model.weights.h5 (and assets/...); layerwise accepts nothing else."
    )


def _check_declared_size(name, declared, stored, source):
    limit = _LIMITS.get(name, MAX_ASSET_BYTES)
    if declared > limit:
        raise UnsafeFileError(
            f"Refused {source}: member {name!r} declares {declared:,} bytes, more than the {limit:,} "
            "bytes it may take."
        )
    if stored is not None and declared > _EXPANSION_FLOOR and declared > MAX_EXPANSION * stored:
        raise UnsafeFileError(
            f"Refused {source}: member {name!r} declares {declared:,} bytes but stores only {stored:,}; "
            f"it would expand more than {MAX_EXPANSION} times, which is a decompression bomb, not a model."
        )


def read_model_archive(path):
    """Read and check the members of a ``.keras`` zip into memory (see the module docstring)."""
    path = os.fspath(path)
    source = f"'{path}'"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No file at '{path}'.")
    try:
        archive = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnsafeFileError(
            f"Refused {source}: it is not a zip archive (a .keras file is one), or it is truncated or "
            f"corrupt ({error})."
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeFileError(f"Refused {source}: it has {len(infos):,} members; a model has a handful.")
        archive_size = os.path.getsize(path)
        seen = set()
        for info in infos:
            name = info.filename
            check_member_name(name, source)
            if name in seen:
                raise UnsafeFileError(
                    f"Refused {source}: member {name!r} appears twice; which copy is meant is ambiguous."
                )
            seen.add(name)
            _kind(name, source)
            if info.flag_bits & 0x1:
                raise UnsafeFileError(f"Refused {source}: member {name!r} is encrypted.")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UnsafeFileError(
                    f"Refused {source}: member {name!r} uses compression method {info.compress_type}; "
                    "model files are stored or deflated."
                )
            if info.compress_size > archive_size:
                raise UnsafeFileError(
                    f"Refused {source}: member {name!r} claims {info.compress_size:,} stored bytes in a "
                    f"file of {archive_size:,}; the file is truncated or corrupt."
                )
            _check_declared_size(name, info.file_size, info.compress_size, source)
        files, assets = {}, {}
        for info in infos:
            if info.is_dir():
                continue
            data = _read_member(archive, info, source)
            if info.filename in KNOWN_FILES:
                files[info.filename] = data
            else:
                assets[info.filename[len(ASSETS) + 1:]] = data
    return ModelFiles(source, files, assets)


def _read_member(archive, info, source):
    """A member's bytes, read in chunks and never past its declared size."""
    chunks, total = [], 0
    try:
        with archive.open(info, "r") as handle:
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > info.file_size:
                    raise UnsafeFileError(
                        f"Refused {source}: member {info.filename!r} holds more than the {info.file_size:,} "
                        "bytes it declares."
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, UnsafeFileError):
            raise
        raise UnsafeFileError(
            f"Refused {source}: member {info.filename!r} cannot be read (truncated or corrupt file?): {error}"
        ) from None
    return b"".join(chunks)


def read_model_directory(path):
    """Read and check the files of an unzipped model directory (what ``model.save('name')`` writes)."""
    path = os.fspath(path)
    source = f"'{path}'"
    files, assets = {}, {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        info = os.lstat(full)
        if name.startswith(".") and name not in KNOWN_FILES:
            continue  # hidden files (.DS_Store, editor files) are never read
        if stat.S_ISLNK(info.st_mode):
            raise UnsafeFileError(
                f"Refused {source}: '{name}' is a symbolic link; a model directory holds its own files."
            )
        if name == ASSETS and stat.S_ISDIR(info.st_mode):
            assets.update(_read_assets(full, source))
            continue
        if name not in KNOWN_FILES or not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(
                f"Refused {source}: it contains {name!r}; a model directory holds config.json, "
                "metadata.json and model.weights.h5 (and assets/), nothing else."
            )
        _check_declared_size(name, info.st_size, None, source)
        with open(full, "rb") as handle:
            data = handle.read(_LIMITS[name] + 1)
        _check_declared_size(name, len(data), None, source)
        files[name] = data
    return ModelFiles(source, files, assets)


def _read_assets(root, source):
    found, total = {}, 0
    for directory, subdirectories, names in os.walk(root, followlinks=False):
        for name in subdirectories + names:
            if os.path.islink(os.path.join(directory, name)):
                raise UnsafeFileError(f"Refused {source}: assets contain the symbolic link '{name}'.")
        for name in names:
            full = os.path.join(directory, name)
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            size = os.path.getsize(full)
            total += size
            _check_declared_size(ASSETS + "/" + relative, total, None, source)
            with open(full, "rb") as handle:
                found[relative] = handle.read(size + 1)
    return found


def metadata_json(extra=None):
    """The ``metadata.json`` text: the Keras format version written, and when."""
    from layerwise import __version__

    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "layerwise_version": __version__}
    metadata.update(extra or {})
    return json.dumps(metadata)


def write_model_archive(path, members):
    """Write ``members`` (``[(name, bytes)]``) as an uncompressed zip, atomically."""
    with atomic_write(path) as temporary, \
            zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(name, data)


def check_replaceable_directory(path):
    """Refuse to replace ``path`` unless it is absent or an earlier saved model directory."""
    path = os.fspath(path)
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        raise FileExistsError(
            f"'{path}' exists and is not a model directory; layerwise will not replace it. Choose "
            "another name (e.g. 'model.keras'), or remove it first."
        )
    others = sorted(name for name in os.listdir(path)
                    if name not in KNOWN_FILES and name != ASSETS and not name.startswith("."))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise FileExistsError(
            f"'{path}' is an existing directory that holds other files ({shown}); layerwise will not "
            "replace it with a model. Choose another name (e.g. 'model.keras'), or remove the directory "
            "first."
        )


def write_model_directory(path, members):
    """Write ``members`` into directory ``path``, replacing an earlier model directory atomically."""
    check_replaceable_directory(path)
    with atomic_write(path, directory=True) as temporary:
        for name, data in members:
            full = os.path.join(temporary, *name.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as handle:
                handle.write(data)
