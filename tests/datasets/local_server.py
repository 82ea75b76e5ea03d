"""Test helpers: an HTTP server on 127.0.0.1 and builders of small files in the real data set formats.

The server runs in a thread for the length of one test; it serves bytes from
a dict, supports ``Range`` requests (206 with an ETag) like real file hosts,
and can misbehave on purpose: cut a transfer short, answer with an error
status a few times, or send slowly.

Tests load this file by path (``load()``), since ``tests`` is not a package.
"""

import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
import time
import urllib.parse

import numpy as np


class LocalServer:
    """``files`` maps URL paths to bytes; ``cut_at``, ``fail`` and ``delay`` make it misbehave.

    * ``cut_at[path] = (offset, times)``: the next ``times`` answers announce
      the full length but stop sending at absolute byte ``offset``.
    * ``fail[path] = (status, times)``: the next ``times`` answers are ``status``.
    * ``delay = seconds``: pause before every 4 KiB block.
    * ``ranges = False``: ignore ``Range`` headers (always send the whole file).
    """

    def __init__(self):
        self.files = {}
        self.cut_at = {}
        self.fail = {}
        self.delay = 0.0
        self.ranges = True
        self.requests = []  # (path, Range header or None)
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def url(self, path):
        """The URL of ``path``; it stays valid (and refuses connections) after ``stop()``."""
        host, port = self._address
        return f"http://{host}:{port}{path}"

    def start(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 5  # a stuck client cannot hold a thread for longer

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path  # a query (?download=1) names the same file
                range_header = self.headers.get("Range")
                with owner._lock:
                    owner.requests.append((path, range_header))
                    status, times = owner.fail.get(path, (None, 0))
                    if times:
                        owner.fail[path] = (status, times - 1)
                    offset, cut_times = owner.cut_at.get(path, (None, 0))
                    if cut_times:
                        owner.cut_at[path] = (offset, cut_times - 1)
                    else:
                        offset = None
                if times:
                    self.send_error(status)
                    return
                if path not in owner.files:
                    self.send_error(404)
                    return
                body = owner.files[path]
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                start = 0
                if owner.ranges and range_header and range_header.startswith("bytes=") and \
                        self.headers.get("If-Range", etag) == etag:
                    start = int(range_header[len("bytes="):].split("-")[0])
                    if start >= len(body):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("ETag", etag)
                if owner.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                end = len(body) if offset is None else max(offset, start)
                for block in range(start, end, 4096):
                    if owner.delay:
                        time.sleep(owner.delay)
                    self.wfile.write(body[block:min(block + 4096, end)])
                self.wfile.flush()
                self.close_connection = True

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._address = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def gets(self, path):
        return [r for p, r in self.requests if p == path]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def md5(data):
    return hashlib.md5(data).hexdigest()


# --- real formats ---------------------------------------------------------------------------------


def npz_bytes(**arrays):
    """An ``.npz`` as ``np.savez`` writes it (object arrays are pickled, as in Keras's IMDB/Reuters files)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def ragged(sequences):
    array = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array[i] = list(sequence)
    return array


def idx_bytes(array, gzipped=True):
    """An idx file (MNIST's format): 0x0000, type code, rank, big-endian sizes, then the data."""
    codes = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C}
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    raw = bytes([0, 0, codes[dtype], array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape) \
        + array.astype(dtype).tobytes()
    return gzip.compress(raw, mtime=0) if gzipped else raw


class _Python2Pickler(pickle._Pickler):
    """Writes bytes with Python 2's string opcodes, as the CIFAR batches were written."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        size = len(obj)
        if size < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([size]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", size) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def python2_pickle(obj):
    """``obj`` pickled the way Python 2 and numpy 1 wrote the CIFAR files (protocol 2, ``numpy.core``)."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def tar_gz(members):
    """A ``.tar.gz`` holding ``members`` (name -> bytes), in order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar_batch(rng, n, label_keys=("labels",), classes=(10,)):
    """A CIFAR batch dict as the original files hold it (bytes keys, data (n, 3072) uint8, label lists)."""
    batch = {
        b"batch_label": b"training batch 1 of 5",
        b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
        b"filenames": [f"image_{i}.png".encode() for i in range(n)],
    }
    for key, count in zip(label_keys, classes):
        batch[key.encode()] = [int(v) for v in rng.integers(0, count, size=n)]
    return batch


def cifar10_tarball(rng, per_batch=2, test=3):
    """``cifar-10-python.tar.gz``: ``cifar-10-batches-py/`` with data_batch_1..5, test_batch, batches.meta."""
    batches = {f"data_batch_{i}": cifar_batch(rng, per_batch) for i in range(1, 6)}
    batches["test_batch"] = cifar_batch(rng, test)
    members = {f"cifar-10-batches-py/{name}": python2_pickle(batch) for name, batch in batches.items()}
    members["cifar-10-batches-py/batches.meta"] = python2_pickle(
        {b"label_names": [b"airplane", b"automobile"], b"num_cases_per_batch": per_batch})
    return tar_gz(members), batches


def cifar100_tarball(rng, train=6, test=4):
    """``cifar-100-python.tar.gz``: ``cifar-100-python/`` with train, test (fine and coarse labels), meta."""
    keys, classes = ("fine_labels", "coarse_labels"), (100, 20)
    batches = {"train": cifar_batch(rng, train, keys, classes), "test": cifar_batch(rng, test, keys, classes)}
    members = {f"cifar-100-python/{name}": python2_pickle(batch) for name, batch in batches.items()}
    members["cifar-100-python/meta"] = python2_pickle({b"fine_label_names": [b"apple"]})
    return tar_gz(members), batches


def word_sequences(rng, count, vocabulary=30, longest=12):
    """``count`` ragged reviews of raw word ranks 1..vocabulary (as in imdb.npz / reuters.npz)."""
    return ragged([rng.integers(1, vocabulary + 1, size=rng.integers(1, longest + 1)).tolist()
                   for _ in range(count)])
