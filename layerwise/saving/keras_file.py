"""The Keras 3 model format: ``model.keras`` (a zip), or the same files in a directory.

Saving writes exactly what Keras 3 writes: ``metadata.json``,
``config.json`` (the model's config with its ``build_config`` and
``compile_config``) and ``model.weights.h5`` (the weights and the
optimizer's state in Keras's layout, see :mod:`keras_weights`), so Keras
loads a layerwise file and layerwise loads a Keras file. Training resumes
where it stopped: the optimizer's iteration count and moments come back.

Loading returns a model only when everything passed: the archive's members
(:mod:`archive`), the config (:mod:`config_check`: registry only, no code in
safe mode), and every weight's count, shape and dtype. Otherwise one error
says what was refused and why, and no model is returned.

Example:

>>> save_keras_model(model, "weather.keras")
>>> restored = load_keras_model("weather.keras")
"""

import io
import os
import shutil
import tempfile

import h5py

from layerwise.saving import archive
from layerwise.saving.keras_weights import H5Source, load_weights, walk, write_weights
from layerwise.saving.model_config import config_to_json, model_from_config, parse_json, serialize_model
from layerwise.saving.safety import UnsafeFileError, open_hdf5


def model_members(model):
    """``[(name, bytes)]``: the members of the ``.keras`` file of ``model``."""
    config = config_to_json(serialize_model(model)).encode("utf-8")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        write_weights(model, h5, include_optimizer=True)
    members = [(archive.METADATA, archive.metadata_json().encode("utf-8")),
               (archive.CONFIG, config),
               (archive.WEIGHTS, buffer.getvalue())]
    return members + _asset_members(model)


def save_keras_model(model, path, zipped=True):
    """Write ``model`` to ``path``: a ``.keras`` zip, or (``zipped=False``) a directory of the same files."""
    members = model_members(model)
    if zipped:
        archive.write_model_archive(path, members)
    else:
        archive.write_model_directory(path, members)


def is_model_directory(path):
    """True for a directory that holds a ``config.json`` (a model saved unzipped)."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, archive.CONFIG))


def load_keras_model(path, custom_objects=None, compile=True, safe_mode=True):
    """Read a ``.keras`` zip or a model directory; return the model only if every check passed."""
    path = os.fspath(path)
    files = archive.read_model_directory(path) if os.path.isdir(path) else archive.read_model_archive(path)
    config_text = files.require(archive.CONFIG)
    weights = files.require(archive.WEIGHTS)
    config = parse_json(config_text, files.source)
    model = model_from_config(config, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode,
                              source=files.source)
    with open_hdf5(io.BytesIO(weights), name=f"{path}/{archive.WEIGHTS}") as h5:
        load_weights(model, H5Source([h5], files.source), include_optimizer=compile, optimizer_from_file=True)
    _load_assets(model, files)
    return model


def load_weights_from_keras_model(model, path, skip_mismatch=False):
    """``model.load_weights('x.keras')``: only the weights (and optimizer state) of a ``.keras`` file."""
    path = os.fspath(path)
    files = archive.read_model_directory(path) if os.path.isdir(path) else archive.read_model_archive(path)
    weights = files.require(archive.WEIGHTS)
    with open_hdf5(io.BytesIO(weights), name=f"{path}/{archive.WEIGHTS}") as h5:
        load_weights(model, H5Source([h5], files.source), skip_mismatch=skip_mismatch)


# ---------------------------------------------------------------------- assets


def _asset_members(model):
    """Files written by layers that keep assets (Keras's ``save_assets(directory)`` hook)."""
    members = []
    savers = [e for e in walk(model, include_optimizer=False)
              if callable(getattr(e.obj, "save_assets", None))]
    if not savers:
        return members
    with tempfile.TemporaryDirectory() as root:
        for entry in savers:
            directory = os.path.join(root, *entry.path.split("/")) if entry.path else root
            os.makedirs(directory, exist_ok=True)
            entry.obj.save_assets(directory)
        for directory, _, names in os.walk(root):
            for name in sorted(names):
                full = os.path.join(directory, name)
                relative = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, "rb") as handle:
                    members.append((f"{archive.ASSETS}/{relative}", handle.read()))
    return members


def _load_assets(model, files):
    loaders = [e for e in walk(model, include_optimizer=False)
               if callable(getattr(e.obj, "load_assets", None))]
    if not loaders:
        if files.assets:
            raise UnsafeFileError(
                f"Refused {files.source}: it holds assets ({', '.join(sorted(files.assets)[:3])}) that no "
                "layer of the model reads."
            )
        return
    root = tempfile.mkdtemp(prefix="layerwise-assets-")
    try:
        for relative, data in files.assets.items():
            archive.check_member_name(relative, files.source)
            full = os.path.join(root, *relative.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as handle:
                handle.write(data)
        for entry in loaders:
            directory = os.path.join(root, *entry.path.split("/")) if entry.path else root
            os.makedirs(directory, exist_ok=True)
            entry.obj.load_assets(directory)
    finally:
        shutil.rmtree(root, ignore_errors=True)
