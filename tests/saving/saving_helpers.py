"""Helpers for the saving tests: tiny models and hand-made (hostile) model files."""

import io
import json
import zipfile

import h5py
import numpy as np

import layerwise


def tiny_model(compiled=False):
    """Input(4) -> Dense(3, relu) -> Dense(2): the smallest model with two weighted layers."""
    model = layerwise.Sequential([
        layerwise.Input((4,)),
        layerwise.layers.Dense(3, activation="relu"),
        layerwise.layers.Dense(2),
    ])
    if compiled:
        model.compile(optimizer="adam", loss="mse")
    return model


def data(n=8, features=4, outputs=2, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, features)).astype("float32"),
            rng.normal(size=(n, outputs)).astype("float32"))


def members_of(path):
    """``{name: bytes}`` of a zip file."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """Write ``members`` (``[(name, bytes)]`` or a dict) as a zip, names taken literally."""
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, value in items:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, value)


def config_of(path):
    return json.loads(members_of(path)["config.json"])


def h5_bytes(build):
    """The bytes of an in-memory HDF5 file that ``build(h5)`` fills."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        build(h5)
    return buffer.getvalue()


def copy_h5(source_bytes, edit):
    """An HDF5 file's bytes after ``edit(h5)`` ran on a writable copy of it."""
    buffer = io.BytesIO(source_bytes)
    with h5py.File(buffer, "r+") as h5:
        edit(h5)
    return buffer.getvalue()
