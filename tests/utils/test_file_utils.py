"""get_file against a server on 127.0.0.1: download, checksums, offline reuse, resume, errors, extraction."""

import importlib.util
import io
import os
import re
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import layerwise
from layerwise.utils import file_utils
from layerwise.utils.file_utils import DownloadError, get_file


def _load_helpers():
    name = "layerwise_tests_local_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).resolve().parents[1] / "datasets" / "local_server.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


helpers = _load_helpers()
PAYLOAD = np.random.default_rng(0).integers(0, 256, size=20_000, dtype=np.uint8).tobytes()


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """A fresh cache root and an empty Keras cache; no waiting between retries."""
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(file_utils, "RETRY_WAIT_SECONDS", 0.0)
    monkeypatch.setattr(file_utils, "TIMEOUT_SECONDS", 5)
    return tmp_path / "home" / "datasets"


@pytest.fixture
def server():
    srv = helpers.LocalServer().start()
    yield srv
    srv.stop()


def _advice(target, checksum=None, algorithm="sha256", what="the file"):
    lines = [f"Without a network connection, download {what} on another machine and copy it to",
             f"  {target}"]
    if checksum:
        lines.append(f"get_file then uses it without downloading, after checking that its {algorithm} "
                     f"checksum is {checksum}.")
    else:
        lines.append("get_file then uses it without downloading (no file_hash was given, so its content "
                     "is not checked).")
    return "\n".join(lines)


def test_downloads_under_the_origin_name_and_reuses_the_cache_offline(server, isolated_cache, capsys):
    server.files["/data/blob.bin"] = PAYLOAD
    url = server.url("/data/blob.bin")
    path = get_file(origin=url, file_hash=helpers.sha256(PAYLOAD))
    assert path == str(isolated_cache / "blob.bin")
    assert Path(path).read_bytes() == PAYLOAD
    out = capsys.readouterr().out
    assert out.startswith(f"Downloading data from {url}\n")
    assert f"{len(PAYLOAD)}/{len(PAYLOAD)}" in out  # Keras's byte-count progress bar
    assert os.listdir(isolated_cache) == ["blob.bin"]

    server.stop()
    assert get_file(origin=url, file_hash=helpers.sha256(PAYLOAD)) == path
    assert get_file("blob.bin", origin=url) == path
    assert "Downloading" not in capsys.readouterr().out


def test_md5_and_sha256_are_both_verified(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    url = server.url("/a.bin")
    assert get_file(origin=url, file_hash=helpers.md5(PAYLOAD))  # auto: 32 characters -> md5
    assert get_file(origin=url, md5_hash=helpers.md5(PAYLOAD))  # Keras 2 spelling
    assert get_file(origin=url, file_hash=helpers.sha256(PAYLOAD).upper(), hash_algorithm="sha256")
    assert server.gets("/a.bin") == [None]  # one download, then the verified cache
    assert file_utils.validate_file(isolated_cache / "a.bin", helpers.md5(PAYLOAD))
    assert file_utils.hash_file(isolated_cache / "a.bin") == helpers.sha256(PAYLOAD)


def test_a_wrong_checksum_deletes_the_download_and_names_both_checksums(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    url = server.url("/a.bin")
    wrong = "0" * 64
    with pytest.raises(ValueError) as error:
        get_file(origin=url, file_hash=wrong)
    assert str(error.value) == (
        f"The file downloaded from {url} has sha256 checksum {helpers.sha256(PAYLOAD)}, but {wrong} was "
        "expected, so it was deleted. The download was corrupted or the file on the server changed: try "
        "again, and if it fails again check the URL and file_hash."
    )
    assert os.listdir(isolated_cache) == []


def test_a_cached_file_with_a_wrong_checksum_is_downloaded_again(server, isolated_cache, capsys):
    server.files["/a.bin"] = PAYLOAD
    isolated_cache.mkdir(parents=True)
    (isolated_cache / "a.bin").write_bytes(b"stale")
    digest = helpers.sha256(PAYLOAD)
    path = get_file(origin=server.url("/a.bin"), file_hash=digest)
    assert Path(path).read_bytes() == PAYLOAD
    assert capsys.readouterr().out.startswith(
        f"The cached file {path} has sha256 checksum {helpers.sha256(b'stale')}, not {digest}: it is "
        "incomplete or outdated, so it is deleted and downloaded again.\n")


def test_a_cut_off_transfer_resumes_where_it_stopped(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    server.cut_at["/a.bin"] = (8192, 1)
    path = get_file(origin=server.url("/a.bin"), file_hash=helpers.sha256(PAYLOAD))
    assert Path(path).read_bytes() == PAYLOAD
    assert server.gets("/a.bin") == [None, "bytes=8192-"]


def test_a_server_without_range_support_restarts_the_transfer(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    server.ranges = False
    server.cut_at["/a.bin"] = (8192, 1)
    path = get_file(origin=server.url("/a.bin"), file_hash=helpers.sha256(PAYLOAD))
    assert Path(path).read_bytes() == PAYLOAD
    assert len(server.gets("/a.bin")) == 2


def test_a_transfer_cut_off_every_time_fails_and_leaves_nothing(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    server.cut_at["/a.bin"] = (8192, 99)
    url, digest = server.url("/a.bin"), helpers.sha256(PAYLOAD)
    with pytest.raises(DownloadError) as error:
        get_file(origin=url, file_hash=digest)
    assert str(error.value) == (
        f"Could not download {url}: the connection closed after 8192 of {len(PAYLOAD)} bytes (3 attempts).\n"
        + _advice(isolated_cache / "a.bin", digest)
    )
    assert os.listdir(isolated_cache) == []  # no partial file, no .part


def test_server_errors_are_retried_but_not_found_is_final(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    server.fail["/a.bin"] = (503, 2)
    assert Path(get_file(origin=server.url("/a.bin"))).read_bytes() == PAYLOAD
    assert len(server.gets("/a.bin")) == 3

    url = server.url("/missing.npz")
    with pytest.raises(DownloadError) as error:
        get_file(origin=url)
    assert str(error.value) == (
        f"Could not download {url}: HTTP 404 Not Found (1 attempt).\n"
        + _advice(isolated_cache / "missing.npz")
    )
    assert len(server.gets("/missing.npz")) == 1


def test_offline_error_names_url_cache_path_and_checksum(server, isolated_cache):
    url = server.url("/data/mnist.npz")
    server.stop()
    digest = helpers.sha256(b"whatever")
    with pytest.raises(DownloadError) as error:
        get_file(origin=url, file_hash=digest)
    pattern = re.escape(f"Could not download {url}: ") + r"[^\n]*refused[^\n]*" + re.escape(
        " (3 attempts).\n" + _advice(isolated_cache / "mnist.npz", digest))
    assert re.fullmatch(pattern, str(error.value)), str(error.value)
    assert isinstance(error.value, OSError)
    assert os.listdir(isolated_cache) == []


def test_an_interrupted_download_leaves_no_partial_file(server, isolated_cache, monkeypatch):
    server.files["/a.bin"] = PAYLOAD

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(file_utils.Progbar, "update", interrupt)
    with pytest.raises(KeyboardInterrupt):
        get_file(origin=server.url("/a.bin"))
    assert os.listdir(isolated_cache) == []


def test_concurrent_callers_share_one_download(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    server.delay = 0.05  # the transfer lasts ~0.25 s, so the second caller arrives while it runs
    url, results = server.url("/a.bin"), []
    threads = [threading.Thread(target=lambda: results.append(get_file(origin=url))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [str(isolated_cache / "a.bin")] * 2
    assert len(server.gets("/a.bin")) == 1


def test_force_download_fetches_again(server, isolated_cache):
    server.files["/a.bin"] = PAYLOAD
    get_file(origin=server.url("/a.bin"))
    server.files["/a.bin"] = b"new content"
    path = get_file(origin=server.url("/a.bin"), force_download=True)
    assert Path(path).read_bytes() == b"new content"


def test_cache_location_follows_layerwise_home_cache_dir_and_cache_subdir(server, tmp_path, monkeypatch):
    server.files["/a.bin"] = PAYLOAD
    url = server.url("/a.bin")
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "moved"))
    assert file_utils.layerwise_home() == str(tmp_path / "moved")
    assert get_file(origin=url) == str(tmp_path / "moved" / "datasets" / "a.bin")
    assert get_file(origin=url, cache_dir=tmp_path / "explicit", cache_subdir="models") == \
        str(tmp_path / "explicit" / "models" / "a.bin")
    absolute = tmp_path / "absolute"
    assert get_file(origin=url, cache_subdir=str(absolute)) == str(absolute / "a.bin")
    monkeypatch.delenv("LAYERWISE_HOME")
    assert file_utils.layerwise_home() == os.path.join(os.path.expanduser("~"), ".layerwise")


def test_an_unwritable_cache_falls_back_to_the_temporary_folder(server, tmp_path, monkeypatch):
    server.files["/a.bin"] = PAYLOAD
    (tmp_path / "a_file").write_bytes(b"")  # a folder cannot be created below a file
    monkeypatch.setattr(file_utils.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    blocked = tmp_path / "a_file" / "cache"
    with pytest.warns(UserWarning) as caught:
        path = get_file(origin=server.url("/a.bin"), cache_dir=blocked)
    fallback = tmp_path / "tmp" / ".layerwise"
    assert path == str(fallback / "datasets" / "a.bin") and Path(path).read_bytes() == PAYLOAD
    assert str(caught[0].message) == (
        f"get_file: the cache folder {blocked} cannot be written; using {fallback} instead. Set LAYERWISE_HOME "
        "(or pass cache_dir=) to a writable folder to keep downloads."
    )


def test_a_verified_file_in_the_keras_cache_is_reused(server, tmp_path, isolated_cache, capsys):
    keras_copy = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(PAYLOAD)
    url = server.url("/mnist.npz")
    server.stop()
    path = get_file(origin=url, file_hash=helpers.sha256(PAYLOAD))
    assert Path(path).read_bytes() == PAYLOAD and path == str(isolated_cache / "mnist.npz")
    assert capsys.readouterr().out == f"Using {keras_copy} from the Keras cache (sha256 checksum verified).\n"
    # A Keras copy with other content is not taken.
    with pytest.raises(DownloadError):
        get_file("other.npz", origin=url.replace("mnist", "other"), file_hash=helpers.sha256(b"x"))


def _tar(members, links=()):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, kind, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            archive.addfile(info)
    return buffer.getvalue()


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


@pytest.mark.parametrize("fname,url_name", [("flowers", "flowers.tgz"), ("flowers.tar.gz", "flowers.tgz"),
                                            (None, "flowers.tgz")])
def test_extract_returns_the_folder_keras_3_returns(server, tmp_path, fname, url_name):
    import keras

    server.files["/" + url_name] = _tar({"flowers/a.txt": b"a", "flowers/sub/b.txt": b"b"})
    url = server.url("/" + url_name)
    ours = get_file(fname, origin=url, extract=True, cache_dir=tmp_path / "ours")
    (tmp_path / "theirs").mkdir()
    theirs = keras.utils.get_file(fname, origin=url, extract=True, cache_dir=str(tmp_path / "theirs"))
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "theirs")
    assert _tree(tmp_path / "ours") == _tree(tmp_path / "theirs")
    assert Path(ours, "flowers", "sub", "b.txt").read_bytes() == b"b"


def test_extract_zip_untar_and_reuse_of_the_extracted_folder(server, isolated_cache):
    server.files["/pack.zip"] = _zip({"pack/a.txt": b"zip a"})
    folder = get_file("pack", origin=server.url("/pack.zip"), extract=True)
    assert folder == str(isolated_cache / "pack") and Path(folder, "pack", "a.txt").read_bytes() == b"zip a"
    Path(folder, "pack", "a.txt").write_bytes(b"edited")
    server.stop()
    assert get_file("pack", origin=server.url("/pack.zip"), extract=True) == folder
    assert Path(folder, "pack", "a.txt").read_bytes() == b"edited"  # cached: neither fetched nor re-extracted


def test_untar_is_extract_with_the_tar_format(server, isolated_cache):
    server.files["/t.tar.gz"] = _tar({"x/y.txt": b"y"})
    folder = get_file("t", origin=server.url("/t.tar.gz"), untar=True)
    assert Path(folder, "x", "y.txt").read_bytes() == b"y"
    assert not any(name.startswith(".") for name in os.listdir(isolated_cache))  # no staging folder left


@pytest.mark.parametrize("members,links,bad,why", [
    ({"../evil.txt": b"x"}, (), "../evil.txt", "has '..' in its path"),
    ({"ok/../../evil.txt": b"x"}, (), "ok/../../evil.txt", "has '..' in its path"),
    ({"/tmp/evil.txt": b"x"}, (), "/tmp/evil.txt", "has an absolute path"),
    ({}, (("up", tarfile.SYMTYPE, "../.."),), "up",
     "is a link to '../..', which points outside the extraction folder"),
    ({}, (("abs", tarfile.SYMTYPE, "/etc/passwd"),), "abs",
     "is a link to '/etc/passwd', which points outside the extraction folder"),
    ({}, (("hard", tarfile.LNKTYPE, "../evil.txt"),), "hard",
     "is a link to '../evil.txt', which points outside the extraction folder"),
    ({}, (("d", tarfile.SYMTYPE, "."), ("d/x.txt", tarfile.REGTYPE, "")), "d/x.txt",
     "would be written through the link 'd'"),
    ({}, (("dev", tarfile.CHRTYPE, ""),), "dev", "is a device file or FIFO"),
])
def test_archives_that_escape_their_folder_are_refused_whole(server, isolated_cache, tmp_path, members, links,
                                                             bad, why):
    # The offending member comes last, so nothing may have been written before the check.
    data = _tar({"first.txt": b"1", **members}, links)
    server.files["/bad.tgz"] = data
    with pytest.raises(ValueError) as error:
        get_file("bad", origin=server.url("/bad.tgz"), extract=True)
    archive = isolated_cache / "bad_archive"
    assert str(error.value) == (
        f"Refusing to extract {archive}: its member '{bad}' {why}. The archive is malformed or malicious; "
        "nothing was extracted. The archive was deleted from the cache."
    )
    assert os.listdir(isolated_cache) == []
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "home" / "evil.txt").exists()


def test_a_link_inside_the_folder_is_extracted(server, isolated_cache):
    server.files["/ok.tgz"] = _tar({"data/a.txt": b"a"}, (("data/b.txt", tarfile.SYMTYPE, "a.txt"),))
    folder = get_file("ok", origin=server.url("/ok.tgz"), extract=True)
    assert Path(folder, "data", "b.txt").read_bytes() == b"a"


def test_zip_traversal_is_refused(server, isolated_cache):
    server.files["/bad.zip"] = _zip({"fine.txt": b"1", "../evil.txt": b"x"})
    with pytest.raises(ValueError, match=re.escape(
            f"Refusing to extract {isolated_cache / 'bad_archive'}: its member '../evil.txt' has '..' in its "
            "path. The archive is malformed or malicious; nothing was extracted. The archive was deleted "
            "from the cache.")):
        get_file("bad", origin=server.url("/bad.zip"), extract=True)
    assert os.listdir(isolated_cache) == []


def test_a_corrupt_archive_is_refused_and_deleted(server, isolated_cache):
    whole = _tar({"a.bin": PAYLOAD})
    server.files["/cut.tgz"] = whole[:-200] + b"\0" * 10
    with pytest.raises(ValueError, match=re.escape(
            f"{isolated_cache / 'cut_archive'} is a corrupt or truncated tar archive (")):
        get_file("cut", origin=server.url("/cut.tgz"), extract=True)
    assert os.listdir(isolated_cache) == []


def test_extracting_a_file_that_is_no_archive_says_so(server, isolated_cache):
    server.files["/plain.bin"] = PAYLOAD
    with pytest.raises(ValueError) as error:
        get_file("plain", origin=server.url("/plain.bin"), extract=True)
    assert str(error.value) == (
        f"get_file(extract=True): {isolated_cache / 'plain_archive'} is not a tar or zip archive, so it "
        "cannot be extracted. Pass extract=False to keep the file as it is, or archive_format= to name its "
        "format."
    )


BAD_ARGUMENTS = [
    ({}, 'get_file: please specify the "origin" argument (the URL of the file to download).'),
    ({"origin": "/local/file.npz"},
     ("get_file: origin must be a URL starting with http://, https://, ftp:// or file://, "
      "got '/local/file.npz'.")),
    ({"fname": "sub/a.bin"},
     ("get_file: fname must be a file name, not a path, got fname='sub/a.bin'. Pass the folder as cache_dir= "
      "(or cache_subdir=) instead.")),
    ({"file_hash": "abc"},
     ("get_file: file_hash should be a 64-character sha256 or 32-character md5 hex digest, got 'abc' "
      "(3 characters). The command line tools `sha256sum` and `md5sum` print the right value.")),
    ({"file_hash": "0" * 32, "hash_algorithm": "sha256"},
     "get_file: file_hash should be a 64-character sha256 hex digest, got '" + "0" * 32 + "' (32 characters)."
     " The command line tools `sha256sum` and `md5sum` print the right value."),
    ({"hash_algorithm": "sha1"}, "get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got 'sha1'."),
    ({"extract": True, "archive_format": "rar"},
     "archive_format must be 'auto', 'tar', 'zip', a list of those, or None, got 'rar'."),
    ({"origin": "http://127.0.0.1:1/"},
     "get_file: cannot tell the file name from origin 'http://127.0.0.1:1/'; pass fname= as well."),
]


@pytest.mark.parametrize("kwargs,message", BAD_ARGUMENTS)
def test_bad_arguments_are_refused_with_the_fix(server, kwargs, message):
    if kwargs and "origin" not in kwargs:
        kwargs = {"origin": server.url("/a.bin"), **kwargs}
    with pytest.raises(ValueError) as error:
        get_file(**kwargs)
    assert str(error.value) == message
    assert server.requests == []


def test_get_file_is_exported_like_keras():
    assert layerwise.utils.get_file is get_file
