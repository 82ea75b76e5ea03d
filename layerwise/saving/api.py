"""``save_model``, ``load_model``, ``save_weights``, ``load_weights``: which format a path means.

The extension decides, as in Keras:

==========================  ==========================================================
``model.keras``             Keras 3's zip (config, weights, optimizer state)
``model.h5`` / ``.hdf5``     the legacy HDF5 model file Keras 2 wrote
``my_model`` (no extension)  Keras 3's files unzipped into a directory (older course
                             code saves this way); ``load_model('my_model')`` and
                             Keras read it back
``x.weights.h5``             weights only, Keras 3's layout
``x.weights.json``           weights only, sharded (``max_shard_size=``)
other ``.h5`` weights         weights only, the Keras 2 layout (``by_name=`` works)
==========================  ==========================================================

Every file is written under a temporary name and renamed, so a kill never
leaves a truncated file; every file read is checked before it is trusted
(see :mod:`layerwise.saving.safety`).

Example:

>>> model.save("weather.keras")
>>> model = layerwise.models.load_model("weather.keras")
>>> model.save_weights("weather.weights.h5")
>>> model.load_weights("weather.weights.h5")
"""

import os
import warnings
import zipfile

from layerwise.saving import keras_file, keras_weights

_LEGACY_H5 = (".h5", ".hdf5")


def _path(filepath, argument="filepath"):
    try:
        return os.fspath(filepath)
    except TypeError:
        raise TypeError(
            f"`{argument}` must be a path (str or pathlib.Path), got {type(filepath).__name__}."
        ) from None


def _check_model(model, function):
    from layerwise.engine.model import Model

    if not isinstance(model, Model):
        raise TypeError(f"{function} expects a layerwise Model, got {type(model).__name__}.")


def ask_to_proceed_with_overwrite(filepath):
    """Ask on the terminal whether to overwrite ``filepath`` (Keras's prompt); True to proceed.

    Where nobody can answer (no interactive input), raises ``FileExistsError``
    instead of waiting or guessing.
    """
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
        while answer not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    except (EOFError, OSError):
        raise FileExistsError(
            f"'{filepath}' already exists and overwrite=False, and there is no terminal to ask whether "
            "to replace it. Pass overwrite=True to replace it, or choose another path."
        ) from None
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def _may_write(path, overwrite):
    if overwrite or not os.path.lexists(path):
        return True
    return ask_to_proceed_with_overwrite(path)


# ---------------------------------------------------------------------- models


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save a model: architecture, weights, compile settings and optimizer state.

    Args:
        model: the model to save.
        filepath: ``'name.keras'`` (a zip), ``'name.h5'`` (legacy HDF5), or a
            name without extension (a directory holding the same files as the
            zip; a line says so).
        overwrite: replace an existing file; ``False`` asks on the terminal
            (and raises ``FileExistsError`` where nobody can answer).
        zipped: ``True`` for a zip, ``False`` for a directory; default from the extension.
        include_optimizer: (``.h5``) also save the optimizer's state (default True).
        save_format: deprecated Keras 2 argument: ``'h5'`` writes legacy HDF5,
            ``'tf'`` a model directory, ``'keras'`` a zip.

    Example:

    >>> save_model(model, "weather.keras")
    >>> model.save("my_model")   # a directory, as with older Keras
    Saved the model to the directory 'my_model' ...
    """
    _check_model(model, "save_model")
    path = _path(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    kind = _model_kind(path)
    if save_format is not None:
        kind = _kind_from_save_format(save_format, path, kind)
    if zipped is True and kind != "keras":
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
            f"Keras format (recommended) or a `.h5` extension. Received: filepath={path}."
        )
    if zipped is False:
        if path.endswith(".keras"):
            raise ValueError(
                "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
                f"Received: filepath={path}"
            )
        kind = "directory"
    if not _may_write(path, overwrite):
        return
    if not model.built:
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any weights yet. "
            "Consider building the model first by calling it on some data.",
            stacklevel=3,
        )
    if kind == "keras":
        keras_file.save_keras_model(model, path, zipped=True)
    elif kind == "h5":
        from layerwise.saving import legacy_h5

        legacy_h5.save_model_to_hdf5(model, path, overwrite=True, include_optimizer=include_optimizer)
    else:
        keras_file.save_keras_model(model, path, zipped=False)
        print(
            f"Saved the model to the directory '{path}' (config.json, metadata.json and "
            f"model.weights.h5: Keras 3's format, unzipped). Load it with "
            f"layerwise.models.load_model('{path}') (Keras reads it too); save to "
            f"'{os.path.basename(path.rstrip('/' + os.sep)) or path}.keras' for a single file."
        )


def _model_kind(path):
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(_LEGACY_H5):
        return "h5"
    return "directory"


def _kind_from_save_format(save_format, path, kind):
    fmt = str(save_format).lower()
    known = {"h5": "h5", "hdf5": "h5", "tf": "directory", "keras": "keras"}
    if fmt not in known:
        raise ValueError(
            f"save_format={save_format!r} is not a format: use a path ending in '.keras' (recommended) or "
            "'.h5', or a name without extension for a directory."
        )
    warnings.warn(
        "The `save_format` argument is deprecated in Keras 3; the format follows from the path "
        f"('.keras', '.h5', or no extension for a directory). Received: save_format={save_format!r}.",
        DeprecationWarning,
        stacklevel=4,
    )
    if kind != "directory" and known[fmt] != kind:
        raise ValueError(
            f"save_format={save_format!r} contradicts the extension of {path!r}; remove save_format."
        )
    return known[fmt]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save()`` (by layerwise or by Keras).

    Reads ``.keras`` zips, model directories (``model.save('my_model')``) and
    legacy ``.h5`` files. A file is checked before it is trusted: only
    classes from the registry (layerwise's and those you registered or pass
    in ``custom_objects``), no code unless ``safe_mode=False``, no links out
    of the file, sizes checked before anything is allocated, and every
    weight's count, shape and dtype checked against the model. A file that
    fails a check raises one error saying what was refused; no half-loaded
    model is ever returned.

    Args:
        filepath: path of the file or directory.
        custom_objects: ``{name: class_or_function}`` for your own layers,
            losses, ... that the file names.
        compile: compile the model as it was when saved (optimizer state
            included), so that ``fit`` resumes where it stopped.
        safe_mode: refuse Python code stored in the file (``Lambda`` layers);
            set to ``False`` only for files you trust.

    Example:

    >>> model = load_model("weather.keras")
    >>> model.fit(x, y, epochs=5)   # continues with the saved optimizer state
    """
    path = _path(filepath)
    if os.path.isdir(path):
        if keras_file.is_model_directory(path):
            return keras_file.load_keras_model(path, custom_objects, compile, safe_mode)
        raise ValueError(
            f"'{path}' is a directory without config.json, so not a model saved by model.save(). "
            "(A TensorFlow SavedModel directory, which Keras 2 wrote, cannot be read by layerwise or "
            "Keras 3: save the model as '.keras' or '.h5' with the program that made it.)"
        )
    if not os.path.lexists(path):
        raise FileNotFoundError(f"No model file or directory at '{path}'.")
    if path.endswith(".keras"):
        return keras_file.load_keras_model(path, custom_objects, compile, safe_mode)
    if path.endswith((".weights.h5", ".weights.json")):
        raise ValueError(
            f"'{path}' holds only weights, not a model. Build the model (the same architecture), then "
            f"call model.load_weights('{path}')."
        )
    if path.endswith(_LEGACY_H5):
        from layerwise.saving import legacy_h5

        return legacy_h5.load_model_from_hdf5(path, custom_objects=custom_objects, compile=compile,
                                              safe_mode=safe_mode)
    hint = " It is a zip: if it is a .keras file, give it the '.keras' extension." \
        if zipfile.is_zipfile(path) else ""
    raise ValueError(
        f"File format not supported: filepath={path}. layerwise reads '.keras' files, model "
        f"directories and legacy '.h5' files.{hint}"
    )


# ---------------------------------------------------------------------- weights


def save_weights(model, filepath, overwrite=True, max_shard_size=None, **kwargs):
    """Save the model's weights (and optimizer state) to ``filepath``.

    Args:
        model: a built model.
        filepath: ``'name.weights.h5'`` (Keras 3's layout), ``'name.weights.json'``
            with ``max_shard_size`` (sharded), or another ``'name.h5'`` (Keras 2's layout).
        overwrite: replace an existing file; ``False`` asks first.
        max_shard_size: split the weights into shard files of at most this many GB.
        objects_to_skip: layers (or the optimizer) whose variables are not saved.

    Example:

    >>> save_weights(model, "weather.weights.h5")
    """
    _check_model(model, "save_weights")
    path = _path(filepath)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    keras_weights.check_shard_size_argument(max_shard_size)
    if max_shard_size is not None:
        if path.endswith(".weights.h5"):
            json_path = path[: -len(".h5")] + ".json"
            warnings.warn(
                f"Saving sharded weights requires `*.json` as the extension. The original path: {path} "
                f"will be renamed to {json_path}.",
                stacklevel=3,
            )
            path = json_path
        elif not path.endswith(".weights.json"):
            raise ValueError(
                f"The filename must end in `.weights.json` when `max_shard_size` is specified. Received: "
                f"filepath={path}"
            )
    elif not path.endswith(".weights.h5") and not path.endswith(_LEGACY_H5):
        raise ValueError(
            f"The filename must end in `.weights.h5`. Received: filepath={path}. (A name ending in "
            "'.h5' writes Keras 2's weights layout.)"
        )
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first by calling "
            "it on some data or by using `build()`."
        )
    if not _may_write(path, overwrite):
        return
    if max_shard_size is not None:
        keras_weights.write_sharded_weights(model, path, max_shard_size, skip=objects_to_skip)
    elif path.endswith(".weights.h5"):
        keras_weights.write_weights_file(model, path, skip=objects_to_skip)
    else:
        if objects_to_skip is not None:
            raise ValueError(f"`objects_to_skip` only supports '.weights.h5' files. Received: {path}")
        from layerwise.saving import legacy_h5

        legacy_h5.save_weights_to_hdf5(model, path)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights into a built model from a weights file or a model file.

    Every variable is checked (count, shape, dtype) before any changes, so
    a file that does not fit leaves the model as it was. The optimizer's
    state is restored too when the file has it and the model is compiled.

    Args:
        model: a built model with the architecture the weights were saved from.
        filepath: ``*.weights.h5``, ``*.weights.json`` (sharded), ``*.keras``,
            a model directory, or a legacy ``.h5`` file.
        skip_mismatch: skip (with a warning) layers whose weights do not fit.
        by_name: (legacy ``.h5`` only) match layers by name instead of order.
        objects_to_skip: (``.weights.h5`` only) layers not to load.

    Example:

    >>> model.load_weights("weather.weights.h5")
    """
    _check_model(model, "load_weights")
    path = _path(filepath)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building the model "
            "first by calling it on some data or by using `build()`."
        )
    if not os.path.lexists(path):
        raise FileNotFoundError(f"No weights file at '{path}'.")
    is_model_file = path.endswith(".keras") or keras_file.is_model_directory(path)
    is_keras_weights = path.endswith((".weights.h5", ".weights.json"))
    if (is_model_file or is_keras_weights) and by_name is not None and not _is_legacy_weights(path):
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}")
    if is_model_file:
        if objects_to_skip is not None:
            raise ValueError(f"`objects_to_skip` only supports loading '.weights.h5' files. Received: {path}")
        keras_file.load_weights_from_keras_model(model, path, skip_mismatch=skip_mismatch)
    elif is_keras_weights and not _is_legacy_weights(path):
        with keras_weights.open_weights(path) as source:
            keras_weights.load_weights(model, source, skip_mismatch=skip_mismatch, skip=objects_to_skip)
    elif path.endswith(_LEGACY_H5):
        if objects_to_skip is not None:
            raise ValueError(f"`objects_to_skip` only supports loading '.weights.h5' files. Received: {path}")
        from layerwise.saving import legacy_h5

        legacy_h5.load_weights_from_hdf5(model, path, by_name=bool(by_name), skip_mismatch=skip_mismatch)
    else:
        raise ValueError(
            f"File format not supported: filepath={path}. layerwise loads weights from '.weights.h5', "
            "'.weights.json' (sharded), '.keras' and legacy '.h5' files."
        )


def _is_legacy_weights(path):
    """A ``*.weights.h5`` written in Keras 2's layout (tf.keras named weight files this way too)."""
    if not path.endswith(".weights.h5") or not os.path.isfile(path):
        return False
    from layerwise.saving.safety import open_hdf5

    with open_hdf5(path) as h5:
        return "layer_names" in h5.attrs or ("model_weights" in h5 and "layers" not in h5)
