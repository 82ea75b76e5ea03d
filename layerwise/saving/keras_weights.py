"""Keras 3's weights layout: which HDF5 group holds which object's variables.

``model.weights.h5`` (inside a ``.keras`` zip) and ``*.weights.h5`` files
hold one group per object, found by walking the model as Keras does:

* a Sequential or Functional model's layers under ``layers/<snake_case_class>``
  (``layers/dense``, ``layers/dense_1``, ...: numbered per class within the
  list, never by the layer's own name);
* every other layer attribute by its attribute name, sorted (``cell``,
  ``forward_layer``, ``backward_layer``, a subclassed model's ``dense1``...),
  lists of layers as containers named like the model's layer list;
* the optimizer under ``optimizer`` (a LossScaleOptimizer's inner one under
  ``optimizer/inner_optimizer``).

Each object's own variables are the datasets ``<path>/vars/0``, ``1``, ...:
for a layer, the variables it created trainable then the others (Dense:
kernel, bias; BatchNormalization: gamma, beta, moving_mean,
moving_variance); for an optimizer, ``optimizer.variables`` (iteration,
learning rate, then the per-weight state). An object reached twice is
saved once, at the first path.

Loading checks everything before changing anything: the count, shape and
kind of dtype of every variable, and that no group with data is left
unread. Only then are the values assigned, so a refused file leaves the
model as it was.

Sharded weights (``save_weights(..., max_shard_size=...)``) keep the same
groups spread over ``<name>_00000.weights.h5``, ``<name>_00001.weights.h5``,
... listed by ``<name>.weights.json``.

Example:

>>> with h5py.File("model.weights.h5", "w") as h5:
...     write_weights(model, h5)
>>> with open_hdf5("model.weights.h5") as h5:
...     load_weights(model, H5Source([h5], "'model.weights.h5'"))
"""

import contextlib
import json
import math
import os
import re
import warnings

import h5py
import numpy as np
import torch

from layerwise.saving.file_io import atomic_write
from layerwise.saving.safety import UnsafeFileError, check_dataset, open_hdf5, read_dataset

# ---------------------------------------------------------------------- walking the model


def keras_snake_case(name):
    """Keras's ``to_snake_case`` (used for group names): ``'Conv2D'`` -> ``'conv2d'``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _name_key(name):
    # Keras visits attributes in sorted order, private ones last.
    return f"~{name}" if name.startswith("_") else name


def _is_optimizer(obj):
    from layerwise.optimizers.optimizer import Optimizer

    return isinstance(obj, Optimizer)


def _children(obj, include_optimizer):
    """The (attribute name, child) pairs Keras's saver visits under ``obj``, in its order."""
    if _is_optimizer(obj):
        return [(name, value) for name, value in sorted(vars(obj).items(), key=lambda kv: _name_key(kv[0]))
                if _is_optimizer(value) and value is not obj]
    from layerwise.engine.functional import Functional
    from layerwise.engine.layer import Layer
    from layerwise.engine.model import Model
    from layerwise.engine.sequential import Sequential

    first, skipped = [], set()
    if isinstance(obj, (Sequential, Functional)):
        first.append(("layers", list(obj.layers)))
        skipped = {"_layer_list", "_input_layer"}  # internal holders of the same layers
    attributes = []
    for name, module in obj._modules.items():
        if name in skipped or module is None:
            continue
        if isinstance(module, Layer):
            attributes.append((name, module))
        elif isinstance(module, torch.nn.ModuleDict):
            attributes.append((name, list(module.values())))
        elif isinstance(module, torch.nn.ModuleList):
            attributes.append((name, list(module)))
    if include_optimizer and isinstance(obj, Model) and _is_optimizer(getattr(obj, "optimizer", None)):
        attributes.append(("optimizer", obj.optimizer))
    return first + sorted(attributes, key=lambda kv: _name_key(kv[0]))


class Entry:
    """One saved object: its group path, the object, and whether it is an optimizer."""

    __slots__ = ("is_optimizer", "obj", "path")

    def __init__(self, path, obj):
        self.path = path
        self.obj = obj
        self.is_optimizer = _is_optimizer(obj)

    @property
    def vars_path(self):
        return f"{self.path}/vars" if self.path else "vars"

    @property
    def label(self):
        kind = "optimizer" if self.is_optimizer else "layer"
        return f"{kind} '{getattr(self.obj, 'name', '?')}' ({self.path or 'the model itself'})"


def walk(root, include_optimizer=True, skip=None):
    """Every object whose variables are saved, with its group path, in Keras's order.

    Objects in ``skip`` (Keras's ``objects_to_skip``) are left out with everything under them.
    """
    entries, visited = [], {id(obj) for obj in skip or ()}

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        entries.append(Entry(path, obj))
        for name, child in _children(obj, include_optimizer):
            child_path = f"{path}/{name}" if path else name
            if isinstance(child, list):
                visit_container(child, child_path)
            else:
                visit(child, child_path)

    def visit_container(items, path):
        used = {}
        for item in items:
            if isinstance(item, list):
                visit_container(item, f"{path}/{_unique('container', used)}")
            else:
                visit(item, f"{path}/{_unique(keras_snake_case(type(item).__name__), used)}")

    visit(root, "")
    return entries


def _unique(name, used):
    # Keras numbers every item of a class, including ones already saved elsewhere.
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def own_variables(obj):
    """The variables ``obj`` saves itself: a layer's created-trainable ones first, an optimizer's in order."""
    if _is_optimizer(obj):
        return list(obj.variables)
    own = list(getattr(obj, "_own_variables", []))
    return [v for v in own if v._created_trainable] + [v for v in own if not v._created_trainable]


def _custom_hook(obj, name):
    """A layer's own ``save_own_variables``/``load_own_variables`` (Keras's override points), if any."""
    hook = getattr(type(obj), name, None)
    return getattr(obj, name) if hook is not None and not _is_optimizer(obj) else None


# ---------------------------------------------------------------------- writing


def _to_numpy(variable):
    value = variable.detach()
    if value.dtype == torch.bfloat16:
        value = value.float()  # numpy (and so HDF5) has no bfloat16
    return value.cpu().numpy()


def variable_values(entry):
    """``[(key, numpy array)]`` that ``entry``'s object saves."""
    hook = _custom_hook(entry.obj, "save_own_variables")
    if hook is not None:
        store = {}
        hook(store)
        return [(str(key), np.asarray(_to_numpy(value) if isinstance(value, torch.Tensor) else value))
                for key, value in store.items()]
    return [(str(i), _to_numpy(v)) for i, v in enumerate(own_variables(entry.obj))]


def write_weights(model, h5, include_optimizer=True, skip=None):
    """Write ``model``'s variables (and its optimizer's) into the open, empty HDF5 file ``h5``."""
    for entry in walk(model, include_optimizer, skip):
        group = h5.require_group(entry.vars_path)
        name = getattr(entry.obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        for key, value in variable_values(entry):
            group.create_dataset(key, data=value)


def write_weights_file(model, path, include_optimizer=True, skip=None):
    """Write a ``*.weights.h5`` file atomically (temporary name, then rename)."""
    with atomic_write(path) as temporary, h5py.File(temporary, "w") as h5:
        write_weights(model, h5, include_optimizer, skip)


def write_sharded_weights(model, path, max_shard_size, include_optimizer=True, skip=None):
    """Write shards ``<base>_00000.weights.h5``, ... (``max_shard_size`` GB at most), then the map."""
    path = os.fspath(path)
    limit = float(max_shard_size) * 1024**3
    if not limit > 0:
        raise ValueError(f"max_shard_size must be a positive number of GB, got {max_shard_size!r}.")
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    base = base[: -len(".weights.json")] if base.endswith(".weights.json") else base.rsplit(".", 1)[0]
    shards = [[]]  # per shard: [(vars_path, name, key, value)]
    current = 0.0
    total = 0
    for entry in walk(model, include_optimizer, skip):
        name = getattr(entry.obj, "name", None)
        shards[-1].append((entry.vars_path, name, None, None))
        for key, value in variable_values(entry):
            size = value.size * value.dtype.itemsize
            if size > limit:
                raise ValueError(
                    f"The size of {entry.vars_path}/{key} is {size:,} bytes, which exceeds the maximum "
                    f"shard size of {limit:,.0f} bytes. Increase max_shard_size."
                )
            total += size
            current += size
            if current > limit:
                shards.append([])
                current = size
            shards[-1].append((entry.vars_path, name, key, value))
    weight_map = {}
    names = [f"{base}_{index:05}.weights.h5" for index in range(len(shards))]
    for filename, items in zip(names, shards):
        with atomic_write(os.path.join(directory, filename)) as temporary, h5py.File(temporary, "w") as h5:
            for vars_path, name, key, value in items:
                group = h5.require_group(vars_path)
                if isinstance(name, str):
                    group.attrs["name"] = name
                if key is None:
                    continue
                group.create_dataset(key, data=value)
                files = weight_map.setdefault("/" + vars_path, [])
                if filename not in files:
                    files.append(filename)
    # The map goes last, so it never names a shard that is not complete on disk.
    mapping = {"metadata": {"total_size": total},
               "weight_map": {k: v[0] if len(v) == 1 else v for k, v in weight_map.items()}}
    with atomic_write(path) as temporary, open(temporary, "w") as handle:
        json.dump(mapping, handle, indent=4)
    return names


# ---------------------------------------------------------------------- reading


class H5Source:
    """Read access to the ``vars`` groups of one weights file, or of the shards of a sharded one.

    ``files`` are open (and already checked) ``h5py.File`` objects; ``name``
    is how messages call the source, e.g. ``"'model.keras'"``.
    """

    def __init__(self, files, name):
        self.files = list(files)
        self.name = name

    def datasets(self, vars_path):
        """``{key: h5py.Dataset}`` under ``vars_path`` in every file (None if no file has the group)."""
        found = None
        for h5 in self.files:
            if vars_path not in h5:
                continue
            group = h5[vars_path]
            if not isinstance(group, h5py.Group):
                raise UnsafeFileError(
                    f"Refused {self.name}: '{vars_path}' is a dataset, not a group of variables."
                )
            found = {} if found is None else found
            for key, item in group.items():
                if key in found:
                    raise UnsafeFileError(f"Refused {self.name}: '{vars_path}/{key}' is stored twice.")
                if not isinstance(item, h5py.Dataset):
                    raise UnsafeFileError(
                        f"Refused {self.name}: '{vars_path}/{key}' is a group; variables are datasets."
                    )
                found[key] = item
        return found

    def paths_with_data(self):
        """Every group path that directly holds datasets."""
        paths = set()
        for h5 in self.files:
            def visit(name, item, paths=paths):
                if isinstance(item, h5py.Dataset):
                    paths.add(name.rsplit("/", 1)[0] if "/" in name else "")
            h5.visititems(visit)
        return paths


@contextlib.contextmanager
def open_weights(path, display=None):
    """Open a ``*.weights.h5`` file or a sharded ``*.weights.json`` set, checked, as an :class:`H5Source`."""
    path = os.fspath(path)
    display = display or f"'{path}'"
    if not path.endswith(".json"):
        with open_hdf5(path, display.strip("'")) as h5:
            yield H5Source([h5], display)
        return
    with contextlib.ExitStack() as stack:
        files = [stack.enter_context(open_hdf5(shard, f"{shard}")) for shard in _shard_paths(path, display)]
        yield H5Source(files, display)


MAX_SHARDS = 100_000


def _shard_paths(path, display):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No file at '{path}'.")
    if os.path.getsize(path) > 64 * 1024**2:
        raise UnsafeFileError(
            f"Refused {display}: a shard map of {os.path.getsize(path):,} bytes is not one."
        )
    with open(path, "rb") as handle:
        from layerwise.saving.model_config import parse_json

        mapping = parse_json(handle.read(), display)
    weight_map = mapping.get("weight_map")
    if not isinstance(weight_map, dict):
        raise UnsafeFileError(f"Refused {display}: it has no 'weight_map' naming the shard files.")
    names = []
    for files in weight_map.values():
        for filename in files if isinstance(files, list) else [files]:
            if not isinstance(filename, str) or os.path.basename(filename) != filename or \
                    filename in ("", ".", "..") or not filename.endswith(".weights.h5"):
                raise UnsafeFileError(
                    f"Refused {display}: it names the shard {filename!r}; shards are '*.weights.h5' files "
                    "in the same directory, named without any path."
                )
            if filename not in names:
                names.append(filename)
    if len(names) > MAX_SHARDS:
        raise UnsafeFileError(f"Refused {display}: it lists {len(names):,} shards.")
    directory = os.path.dirname(os.path.abspath(path))
    return [os.path.join(directory, name) for name in names]


class WeightsMismatchError(UnsafeFileError):
    """The file's variables do not fit the model: a count, a shape or a kind of dtype differs.

    ``load_weights(..., skip_mismatch=True)`` skips such layers with a
    warning; refusals for safety (links, sizes, non-numeric data) are never skipped.
    """


def _dtype_fits(file_dtype, variable):
    variable_is_float = variable.dtype.is_floating_point or variable.dtype.is_complex
    return (file_dtype.kind in "fc") == variable_is_float


def _torch_dtype_name(variable):
    return str(variable.dtype).replace("torch.", "")


def _key_order(key):
    return (0, int(key)) if key.isdigit() else (1, key)


def _plan_variables(entry, datasets, variables, source):
    """Check ``datasets`` against ``variables``; return the arrays to assign, in order.

    Nothing but a refused dataset's declared metadata is read before every
    check on it has passed.
    """
    datasets = datasets or {}
    expected_keys = [str(i) for i in range(len(variables))]
    if sorted(datasets, key=_key_order) != expected_keys:
        described = ", ".join(f"{getattr(v, 'name', None) or i} {tuple(v.shape)}"
                              for i, v in enumerate(variables))
        raise WeightsMismatchError(
            f"Refused {source}: {entry.label} has {len(variables)} variable(s) ({described or 'none'}), "
            f"but the file holds {len(datasets)} under '{entry.vars_path}'. The weights were saved from a "
            "different model; rebuild the same architecture (or pass skip_mismatch=True to load_weights "
            "to skip such layers)."
        )
    arrays = []
    for key, variable in zip(expected_keys, variables):
        dataset = datasets[key]
        where = (f"{entry.label} variable {key} ({getattr(variable, 'name', None) or key}) at "
                 f"'{entry.vars_path}/{key}' in {source}")
        check_dataset(dataset, where)
        if tuple(dataset.shape) != tuple(variable.shape):
            raise WeightsMismatchError(
                f"Refused {where}: the file declares shape {tuple(dataset.shape)}, the model's variable "
                f"has shape {tuple(variable.shape)}."
            )
        if not _dtype_fits(dataset.dtype, variable):
            raise WeightsMismatchError(
                f"Refused {where}: the file stores {dataset.dtype}, the model's variable is "
                f"{_torch_dtype_name(variable)}."
            )
        arrays.append(read_dataset(dataset, tuple(variable.shape), where))
    return arrays


def load_weights(model, source, skip_mismatch=False, include_optimizer=True, allow_unused=False, skip=None,
                 optimizer_from_file=False):
    """Load a Keras 3 weights tree (an :class:`H5Source`) into ``model``, all or nothing.

    Args:
        model: the built model to fill.
        source: the open :class:`H5Source`.
        skip_mismatch: skip, with a warning, layers whose variables do not match.
        include_optimizer: also restore the model's optimizer state (when it has an optimizer).
        allow_unused: do not refuse groups of the file that no object of the model reads.
        skip: objects (layers, the optimizer) not to load, with everything under them.
        optimizer_from_file: the optimizer was made from the same file's compile config
            (``load_model``), so a file saved before training may restore just its scalars.

    Raises:
        UnsafeFileError: something is unsafe or does not match (:class:`WeightsMismatchError`);
            the model and its optimizer are unchanged.
    """
    assignments = []  # (variable, array), or (hook, {key: array}) for layers with load_own_variables
    consumed = set()
    skip = list(skip or ())
    for entry in walk(model, include_optimizer=False, skip=skip):
        datasets = source.datasets(entry.vars_path)
        consumed.add(entry.vars_path)
        hook = _custom_hook(entry.obj, "load_own_variables")
        if hook is not None:
            store = {}
            for key, dataset in (datasets or {}).items():
                where = f"{entry.label} variable {key} at '{entry.vars_path}/{key}' in {source.name}"
                store[key] = read_dataset(dataset, None, where)
            assignments.append((hook, store))
            continue
        variables = own_variables(entry.obj)
        try:
            arrays = _plan_variables(entry, datasets, variables, source.name)
        except WeightsMismatchError as error:
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping {entry.label}: {error}", stacklevel=3)
            continue
        assignments.extend(zip(variables, arrays))

    optimizer = getattr(model, "optimizer", None) if include_optimizer else None
    optimizer_plan = None
    if _is_optimizer(optimizer) and all(optimizer is not s for s in skip) and \
            source.datasets("optimizer/vars") is not None:
        try:
            optimizer_plan = _plan_optimizer(model, optimizer, source, optimizer_from_file)
        except WeightsMismatchError as error:
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping the optimizer state: {error}", stacklevel=3)
    if not allow_unused and not skip:
        unused = sorted(p for p in source.paths_with_data() - consumed
                        if not (p == "optimizer" or p.startswith("optimizer/")))
        if unused:
            message = (
                f"Refused {source.name}: it holds weights at {', '.join(repr(p) for p in unused[:5])}"
                f"{' and more' if len(unused) > 5 else ''} that no layer of this model reads. The weights "
                "were saved from a different model; rebuild the same architecture."
            )
            if not skip_mismatch:
                raise WeightsMismatchError(message)
            warnings.warn(message, stacklevel=3)

    # Every check passed: only now does anything change.
    with torch.no_grad():
        for target, value in assignments:
            if isinstance(target, torch.Tensor):
                target.assign(value)
            else:
                target(value)
        if optimizer_plan is not None:
            optimizer_plan()


def _plan_optimizer(model, optimizer, source, from_file):
    """A function that restores the optimizer's state, or None (with Keras's warning) if it does not fit.

    Three cases fit: the file has exactly the optimizer's variables; the
    optimizer has not created its per-weight state yet and the file has the
    state of a built one (checked against a built copy; the optimizer is
    built for real only when the plan runs); or, for an optimizer made from
    the same file (``from_file``), the file was saved before training, with
    only the leading scalars (iteration, learning rate), which are then
    restored and the per-weight state kept.
    """
    entries = _optimizer_entries(optimizer)
    paths = [e.path for e in entries]
    file_counts = [len(source.datasets(e.vars_path) or {}) for e in entries]
    target_entries, needs_build = entries, False
    if file_counts != [len(own_variables(e.obj)) for e in entries]:
        built = _fresh_copy(optimizer, model, build=True)
        unbuilt = _fresh_copy(optimizer, model, build=False) if from_file else None
        if built is not None and [e.path for e in built] == paths and \
                file_counts == [len(own_variables(e.obj)) for e in built] and not optimizer.built:
            target_entries, needs_build = built, True
        elif unbuilt is not None and [e.path for e in unbuilt] == paths and \
                file_counts == [len(own_variables(e.obj)) for e in unbuilt]:
            target_entries = unbuilt
        else:
            warnings.warn(
                f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
                f"{len(own_variables(optimizer))} variables whereas the saved optimizer has "
                f"{file_counts[0]} variables. The optimizer starts from a fresh state.",
                stacklevel=4,
            )
            return None
    arrays = [
        _plan_variables(target, source.datasets(entry.vars_path), own_variables(target.obj), source.name)
        for entry, target in zip(entries, target_entries)
    ]

    def restore():
        if needs_build:
            optimizer.build(model.trainable_weights)
        # The real optimizer now has (at least) the variables the checks were made against, in order:
        # a built optimizer's variables start with the scalars an unbuilt one has.
        for entry, values in zip(_optimizer_entries(optimizer), arrays):
            for variable, value in zip(own_variables(entry.obj), values):
                variable.assign(value)

    return restore


def _optimizer_entries(optimizer):
    return [Entry("optimizer" + (f"/{e.path}" if e.path else ""), e.obj) for e in walk(optimizer)]


def _fresh_copy(optimizer, model, build):
    """The entries of a new optimizer with the same config (built for ``model`` if ``build``), or None."""
    from layerwise import optimizers

    try:
        copy = optimizers.deserialize(optimizers.serialize(optimizer))
        if build:
            copy.build(model.trainable_weights)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return _optimizer_entries(copy)


def check_shard_size_argument(max_shard_size):
    """Refuse a ``max_shard_size`` that is not a positive number of GB (None: no sharding)."""
    if max_shard_size is None:
        return
    if isinstance(max_shard_size, bool) or not isinstance(max_shard_size, (int, float)) or \
            not math.isfinite(max_shard_size) or max_shard_size <= 0:
        raise ValueError(f"max_shard_size must be a positive number of GB, got {max_shard_size!r}.")
