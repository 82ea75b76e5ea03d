"""``get_file``: download a file once, verify it, cache it, and extract it safely.

Shaped like ``keras.utils.get_file`` (Keras 3): same arguments, defaults and
return values, and the same file names inside the cache, so code written for
Keras runs unchanged. What layerwise adds:

* **Cache location.** Files go to ``$LAYERWISE_HOME/<cache_subdir>``, by
  default ``~/.layerwise/datasets``. When that folder cannot be written,
  the system's temporary folder is used instead (as Keras falls back to
  ``/tmp/.keras``). A file that Keras already downloaded (under
  ``$KERAS_HOME``, default ``~/.keras``) is copied from there instead of
  downloaded again, but only when a ``file_hash`` is given and matches:
  the Keras cache is read, never written.
* **Downloads** show Keras's progress bar, are retried a few times on network
  errors, resume where a cut-off transfer stopped (HTTP ``Range``), and are
  written to ``<name>.part`` beside the target and renamed only once complete
  and verified. A failed download leaves nothing behind. Processes that fetch
  the same file at the same moment (one per GPU, say) wait for each other
  instead of writing the same file twice.
* **Errors say what to do.** A wrong checksum deletes the file and names the
  expected and the actual checksum. Without a network, the error names the
  URL, the exact path to copy the file to, and the checksum it must have.
* **Extraction is safe.** An archive with a member that would land outside
  the extraction folder (``../x``, ``/etc/x``), a link that points outside
  it, or a device file is refused whole, before anything is written.

Example:

>>> path = layerwise.utils.get_file(
...     origin="https://example.org/data/flowers.tgz",
...     file_hash="<sha256 of flowers.tgz>",
...     extract=True,
... )
>>> path   # the extraction folder, as in Keras 3
'/home/me/.layerwise/datasets/flowers.tgz'
"""

import hashlib
import http.client
import os
import shutil
import socket
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
import zlib

try:  # POSIX: lets concurrent processes share one download; absent on Windows.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from layerwise.callbacks.progbar import Progbar

# Tunables. Module constants rather than arguments so that get_file keeps
# Keras's signature; tests shorten them.
DOWNLOAD_ATTEMPTS = 3
RETRY_WAIT_SECONDS = 1.0  # doubled after every failed attempt
TIMEOUT_SECONDS = 60  # longest silence from the server before an attempt counts as failed
CHUNK_SIZE = 1 << 16

# HTTP answers that say "try again later"; every other HTTP error is final.
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_SCHEMES = ("http", "https", "ftp", "file")


class DownloadError(OSError):
    """``get_file`` could not fetch a file (offline, server error, cut-off transfer).

    The message names the URL, the path to copy the file to by hand, and the
    checksum the file must have. It is an ``OSError``, like other I/O failures.

    Example:

    >>> try:
    ...     layerwise.datasets.mnist.load_data()
    ... except layerwise.utils.file_utils.DownloadError as error:
    ...     print(error)
    Could not download https://.../mnist.npz: [Errno -3] Temporary failure in name resolution (3 attempts).
    Without a network connection, download the file on another machine and copy it to
      /home/me/.layerwise/datasets/mnist.npz
    get_file then uses it without downloading, after checking that its sha256 checksum is 731c5ac6....
    """


class _Transient(Exception):
    """A failed attempt worth retrying."""


class _Final(Exception):
    """A failed attempt that retrying cannot fix (HTTP 404, ...)."""


def layerwise_home():
    """The cache root: ``$LAYERWISE_HOME`` if set, else ``~/.layerwise``.

    Read at every call, so setting the variable after import works.

    Example:

    >>> os.environ["LAYERWISE_HOME"] = "/data/cache"
    >>> layerwise.utils.file_utils.layerwise_home()
    '/data/cache'
    """
    home = os.environ.get("LAYERWISE_HOME")
    if home:
        return os.path.expanduser(home)
    return os.path.join(os.path.expanduser("~"), ".layerwise")


def _resolve_algorithm(hash_algorithm, file_hash):
    """The concrete algorithm name for ``hash_algorithm`` ("auto": by the hash's length, as Keras)."""
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got {hash_algorithm!r}."
        )
    if hash_algorithm != "auto":
        return hash_algorithm
    return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of the file at ``fpath`` (``"sha256"`` or ``"md5"``).

    Example:

    >>> layerwise.utils.file_utils.hash_file("empty.txt")
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    hasher = hashlib.new(_resolve_algorithm(algorithm, None))
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at ``fpath`` has the checksum ``file_hash`` (sha256 or md5, case-insensitive).

    Example:

    >>> layerwise.utils.file_utils.validate_file("mnist.npz", "731c5ac6...73d1")
    True
    """
    algorithm = _resolve_algorithm(algorithm, file_hash)
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


def _check_hash_argument(file_hash, hash_algorithm):
    if file_hash is None:
        return None
    text = str(file_hash).strip().lower()
    lengths = {"sha256": (64,), "md5": (32,), "auto": (64, 32)}[hash_algorithm]
    if len(text) not in lengths or any(c not in "0123456789abcdef" for c in text):
        expected = {
            "sha256": "a 64-character sha256 hex digest",
            "md5": "a 32-character md5 hex digest",
            "auto": "a 64-character sha256 or 32-character md5 hex digest",
        }[hash_algorithm]
        raise ValueError(
            f"get_file: file_hash should be {expected}, got {file_hash!r} ({len(text)} characters). "
            "The command line tools `sha256sum` and `md5sum` print the right value."
        )
    return text


def _writable_base(cache_dir):
    """``cache_dir`` created if needed; the temporary folder when it cannot be written."""
    try:
        os.makedirs(cache_dir, exist_ok=True)
        if os.access(cache_dir, os.W_OK):
            return cache_dir
    except OSError:
        pass
    fallback = os.path.join(tempfile.gettempdir(), ".layerwise")
    warnings.warn(
        f"get_file: the cache folder {cache_dir} cannot be written; using {fallback} instead. "
        "Set LAYERWISE_HOME (or pass cache_dir=) to a writable folder to keep downloads.",
        stacklevel=3,
    )
    os.makedirs(fallback, exist_ok=True)
    return fallback


def _keras_cache_copy(cache_subdir, fname, file_hash, algorithm, target):
    """Copy ``fname`` from Keras's own cache when it is there with the right checksum."""
    if file_hash is None or os.path.isabs(cache_subdir):
        return False
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    candidate = os.path.join(os.path.expanduser(keras_home), cache_subdir, fname)
    if os.path.realpath(candidate) == os.path.realpath(target) or not os.path.isfile(candidate):
        return False
    if not validate_file(candidate, file_hash, algorithm):
        return False
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.")
    os.close(handle)
    try:
        shutil.copyfile(candidate, temporary)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    print(f"Using {candidate} from the Keras cache ({algorithm} checksum verified).")
    return True


def _reason_of(error):
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"no answer for {TIMEOUT_SECONDS} s"
    return str(error) or type(error).__name__


class _Transfer:
    """One file's download into an open ``.part`` file, resumable across attempts."""

    def __init__(self, origin, handle):
        self.origin = origin
        self.handle = handle
        self.total = None
        self.validator = None  # ETag or Last-Modified, so a resume never mixes two versions
        self.bar = None

    def _received(self):
        self.handle.seek(0, os.SEEK_END)
        return self.handle.tell()

    def _restart(self):
        self.handle.seek(0)
        self.handle.truncate()

    def attempt(self):
        from layerwise import __version__

        start = self._received()
        headers = {"User-Agent": f"layerwise/{__version__}"}
        if start:
            headers["Range"] = f"bytes={start}-"
            if self.validator:
                headers["If-Range"] = self.validator
        request = urllib.request.Request(self.origin, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
        except urllib.error.HTTPError as error:
            if error.code == 416:  # our partial file is no prefix of theirs: start over
                self._restart()
                raise _Transient(_reason_of(error)) from error
            if error.code in _RETRY_STATUS:
                raise _Transient(_reason_of(error)) from error
            raise _Final(_reason_of(error)) from error
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise _Transient(_reason_of(error)) from error
        with response:
            status = getattr(response, "status", None) or 200
            length = response.headers.get("Content-Length")
            length = int(length) if length and length.isdigit() else None
            if status == 206:
                content_range = response.headers.get("Content-Range") or ""
                try:
                    first = int(content_range.split()[1].split("-")[0])
                    whole = content_range.rsplit("/", 1)[1]
                except (IndexError, ValueError):
                    first, whole = -1, None
                if first != start:
                    self._restart()
                    raise _Transient("the server resumed the transfer at the wrong place")
                self.total = int(whole) if whole and whole.isdigit() else (
                    start + length if length is not None else None)
            else:
                if start:
                    self._restart()  # the server sent the whole file again
                start = 0
                self.total = length
                etag = response.headers.get("ETag")
                self.validator = etag if etag and not etag.startswith("W/") else \
                    response.headers.get("Last-Modified")
            if self.bar is None:
                self.bar = Progbar(self.total or None)
            received = start
            while True:
                try:
                    chunk = response.read(CHUNK_SIZE)
                except (OSError, http.client.HTTPException) as error:
                    raise _Transient(_reason_of(error)) from error
                if not chunk:
                    break
                self.handle.write(chunk)
                received += len(chunk)
                self.bar.update(received, finalize=False)
        if self.total is not None and received < self.total:
            raise _Transient(f"the connection closed after {received} of {self.total} bytes")
        self.bar.update(received, finalize=True)


def _open_locked(part):
    """``part`` opened for appending, holding an exclusive lock on it (POSIX).

    A second process asking for the same file blocks here until the first
    has finished; it then finds the file already in place.
    """
    for _ in range(100):  # bounded: each retry means another process renamed or deleted the file
        handle = open(part, "a+b")
        if fcntl is None:
            return handle
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            if os.stat(part).st_ino == os.fstat(handle.fileno()).st_ino:
                return handle
        except FileNotFoundError:
            pass
        handle.close()  # the file we locked was renamed or removed meanwhile: lock the current one
    raise DownloadError(f"get_file: could not lock {part}: other processes keep replacing it.")


def _offline_advice(target, file_hash, algorithm, archive):
    what = "the archive" if archive else "the file"
    lines = [f"Without a network connection, download {what} on another machine and copy it to",
             f"  {target}"]
    if file_hash is not None:
        lines.append(f"get_file then uses it without downloading, after checking that its {algorithm} "
                     f"checksum is {file_hash}.")
    else:
        lines.append("get_file then uses it without downloading (no file_hash was given, so its content "
                     "is not checked).")
    return "\n".join(lines)


def _download(origin, target, file_hash, algorithm, archive, force):
    """Fetch ``origin`` into ``target`` (via ``target.part``); verify ``file_hash``."""
    part = target + ".part"
    handle = _open_locked(part)
    finished = False
    try:
        if not force and os.path.exists(target) and (
                file_hash is None or validate_file(target, file_hash, algorithm)):
            return False  # another process fetched it while we waited for the lock
        print(f"Downloading data from {origin}")
        transfer = _Transfer(origin, handle)
        wait = RETRY_WAIT_SECONDS
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                transfer.attempt()
                break
            except (_Transient, _Final) as error:
                if isinstance(error, _Final) or attempt == DOWNLOAD_ATTEMPTS:
                    tries = f"{attempt} attempt" + ("s" if attempt != 1 else "")
                    raise DownloadError(
                        f"Could not download {origin}: {error} ({tries}).\n"
                        + _offline_advice(target, file_hash, algorithm, archive)
                    ) from None
                time.sleep(wait)
                wait *= 2
        handle.flush()
        os.fsync(handle.fileno())
        if file_hash is not None:
            got = hash_file(part, algorithm)
            if got != file_hash:
                raise ValueError(
                    f"The file downloaded from {origin} has {algorithm} checksum {got}, but {file_hash} "
                    "was expected, so it was deleted. The download was corrupted or the file on the "
                    "server changed: try again, and if it fails again check the URL and file_hash."
                )
        if fcntl is None:  # pragma: no cover - Windows cannot rename an open file
            handle.close()
        os.replace(part, target)
        finished = True
        return True
    finally:
        if not finished and os.path.exists(part):
            os.remove(part)
        handle.close()


# --- extraction ---------------------------------------------------------------------------------


def _escape(root, relative):
    """Why the member name ``relative`` is unsafe to create under ``root``, or None if it is safe."""
    if not relative:
        return "has an empty name"
    drive = len(relative) > 1 and relative[1] == ":"
    if os.path.isabs(relative) or relative.startswith(("/", "\\")) or drive:
        return "has an absolute path"
    if ".." in relative.replace("\\", "/").split("/"):
        return "has '..' in its path"
    joined = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([joined, root]) != root:
        return "would be written outside the extraction folder"
    return None


def _check_tar_members(members, root):
    links = []
    for member in members:
        name = member.name
        why = _escape(root, name)
        if why:
            return name, why
        normalised = os.path.normpath(name).replace("\\", "/")
        for link in links:
            if normalised.startswith(link + "/"):
                return name, f"would be written through the link '{link}'"
        if member.issym() or member.islnk():
            # Symbolic links resolve from the link's folder, hard links from the archive's root.
            start = os.path.dirname(name) if member.issym() else ""
            target = os.path.normpath(os.path.join(start, member.linkname))
            if os.path.isabs(member.linkname) or _escape(root, target):
                return name, f"is a link to '{member.linkname}', which points outside the extraction folder"
            links.append(normalised)
        elif not (member.isfile() or member.isdir()):
            return name, "is a device file or FIFO"
    return None


def _extract_tar(path, destination):
    root = os.path.realpath(destination)
    with tarfile.open(path) as archive:
        members = archive.getmembers()
        refused = _check_tar_members(members, root)
        if refused:
            return refused
        if hasattr(tarfile, "data_filter"):  # Python 3.12, 3.11.4+, 3.10.12+: a second line of defence
            archive.extractall(destination, members=members, filter="data")
        else:  # pragma: no cover - older Pythons rely on the checks above
            archive.extractall(destination, members=members)
    return None


def _extract_zip(path, destination):
    root = os.path.realpath(destination)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        for info in infos:
            why = _escape(root, info.filename)
            if why:
                return info.filename, why
            if stat.S_ISLNK(info.external_attr >> 16):
                return info.filename, "is a symbolic link"
        archive.extractall(destination, members=infos)
    return None


def _archive_kinds(archive_format):
    if archive_format is None:
        return []
    kinds = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(
                f"archive_format must be 'auto', 'tar', 'zip', a list of those, or None, got {kind!r}."
            )
    return kinds


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) or zip archive into ``path``.

    Refuses the whole archive (``ValueError``, nothing written) when a member
    would land outside ``path``, is a link pointing outside it, or is a
    device file.

    Args:
        file_path: the archive.
        path: the folder to extract into (created if needed).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a
            list of those, or ``None`` (extract nothing).

    Returns:
        ``True`` if the file was one of the formats and was extracted,
        ``False`` otherwise.

    Example:

    >>> layerwise.utils.file_utils.extract_archive("photos.tar.gz", "photos")
    True
    """
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in _archive_kinds(archive_format):
        matches, extract = {"tar": (tarfile.is_tarfile, _extract_tar),
                            "zip": (zipfile.is_zipfile, _extract_zip)}[kind]
        if not matches(file_path):
            continue
        os.makedirs(path, exist_ok=True)
        try:
            refused = extract(file_path, path)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # a disk or permission problem, not a bad archive
            raise ValueError(
                f"{file_path} is a corrupt or truncated {kind} archive ({error}); nothing was extracted."
            ) from error
        if refused:
            name, why = refused
            raise ValueError(
                f"Refusing to extract {file_path}: its member '{name}' {why}. "
                "The archive is malformed or malicious; nothing was extracted."
            )
        return True
    return False


def _extract_into(archive, extraction_dir, archive_format):
    """Extract into a temporary sibling folder, then rename it to ``extraction_dir`` (all or nothing)."""
    parent = os.path.dirname(extraction_dir)
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(extraction_dir)}.extracting-")
    try:
        try:
            extracted = extract_archive(archive, staging, archive_format)
        except ValueError as error:  # corrupt, or refused as unsafe: keep no such file in the cache
            os.remove(archive)
            raise ValueError(f"{error} The archive was deleted from the cache.") from error
        if not extracted:
            formats = " or ".join(_archive_kinds(archive_format)) or "known"
            raise ValueError(
                f"get_file(extract=True): {archive} is not a {formats} archive, so it cannot be extracted. "
                "Pass extract=False to keep the file as it is, or archive_format= to name its format."
            )
        if os.path.isdir(extraction_dir):
            shutil.rmtree(extraction_dir)
        try:
            os.rename(staging, extraction_dir)
        except OSError:
            if not os.path.isdir(extraction_dir):  # not merely another process winning the race
                raise
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


# --- get_file -------------------------------------------------------------------------------------


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Download a file from a URL unless it is already in the cache; return its local path.

    The file at ``origin`` goes to ``cache_dir/cache_subdir/fname``, by
    default ``~/.layerwise/datasets/<name>`` (set ``LAYERWISE_HOME`` to move
    the cache). A cached file is used without any network access. With
    ``file_hash``, the file is verified after download and before every reuse.

    Args:
        fname: the file's name in the cache; default: the last part of
            ``origin``'s path. With ``extract=True`` and a name without an
            extension, the name of the extraction folder. A name only: a
            path with folders is refused (use ``cache_dir``).
        origin: the URL (``http``, ``https``, ``ftp`` or ``file``).
        untar: deprecated; same as ``extract=True`` with
            ``archive_format="tar"``.
        md5_hash: deprecated; same as ``file_hash`` with
            ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest of the file.
        cache_subdir: folder under the cache root; an absolute path is used
            as it is.
        hash_algorithm: ``"auto"`` (sha256 for 64-character hashes, md5
            for 32), ``"sha256"`` or ``"md5"``.
        extract: extract the downloaded archive (tar, tar.gz, tar.bz2,
            tar.xz or zip) and return the extraction folder.
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``,
            or ``None``.
        cache_dir: the cache root; default ``$LAYERWISE_HOME`` or
            ``~/.layerwise``.
        force_download: download again even if the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder when
        ``extract`` (or ``untar``) is true: ``<cache>/<fname>`` when
        ``fname`` has no extension (the archive is kept beside it as
        ``<fname>_archive``), ``<cache>/<stem>_extracted`` when it has one.

    Raises:
        DownloadError: (an ``OSError``) the file could not be fetched; the
            message names the URL, the path to copy the file to by hand,
            and the checksum it must have.
        ValueError: bad arguments, a checksum mismatch (the file is
            deleted), or an archive that is corrupt or tries to write
            outside its folder.

    Example:

    >>> path = layerwise.utils.get_file(
    ...     origin="https://storage.example.org/datasets/mnist.npz",
    ...     file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ... )
    Downloading data from https://storage.example.org/datasets/mnist.npz
    11490434/11490434 ━━━━━━━━━━━━━━━━━━━━ 2s 0us/step
    >>> path
    '/home/me/.layerwise/datasets/mnist.npz'
    """
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (the URL of the file to download).')
    origin = str(origin)
    scheme = urllib.parse.urlsplit(origin).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            "get_file: origin must be a URL starting with http://, https://, ftp:// or file://, "
            f"got {origin!r}."
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _resolve_algorithm(hash_algorithm, None if file_hash is None else str(file_hash).strip())
    file_hash = _check_hash_argument(file_hash, hash_algorithm)

    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else layerwise_home()
    datadir = os.path.join(_writable_base(base), os.fspath(cache_subdir))
    os.makedirs(datadir, exist_ok=True)

    provided_fname = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"get_file: cannot tell the file name from origin {origin!r}; pass fname= as well."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            f"get_file: fname must be a file name, not a path, got fname={fname!r}. "
            "Pass the folder as cache_dir= (or cache_subdir=) instead."
        )

    archive = bool(extract or untar)
    if untar:
        archive_format = "tar"
    if archive:
        _archive_kinds(archive_format)  # a bad archive_format fails before any download
        if provided_fname and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[:fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    downloaded = False
    if force_download:
        downloaded = _download(origin, target, file_hash, algorithm, archive, force=True)
    elif os.path.exists(target):
        if file_hash is not None and not validate_file(target, file_hash, algorithm):
            got = hash_file(target, algorithm)
            print(
                f"The cached file {target} has {algorithm} checksum {got}, not {file_hash}: it is "
                "incomplete or outdated, so it is deleted and downloaded again."
            )
            os.remove(target)
            downloaded = _download(origin, target, file_hash, algorithm, archive, force=False)
    elif cache_dir is None and _keras_cache_copy(os.fspath(cache_subdir), fname, file_hash, algorithm,
                                                 target):
        downloaded = True
    else:
        downloaded = _download(origin, target, file_hash, algorithm, archive, force=False)

    if archive:
        if downloaded or not os.path.isdir(extraction_dir):
            _extract_into(target, extraction_dir, archive_format)
        return extraction_dir
    return target
