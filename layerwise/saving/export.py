"""``model.export(path, format=...)``: the model's forward pass as a standalone inference artifact.

Three formats, all for inference only (``training=False``: Dropout off,
BatchNormalization on its moving statistics) and all with a dynamic batch
axis, so one file serves batches of any size:

=================  ==========================================================
``"onnx"``          an ONNX model for ONNX Runtime, TensorRT, OpenVINO, ...
                    (``torch.onnx.export``; the default format)
``"torch"``         a ``torch.export`` ``ExportedProgram`` saved with
                    ``torch.export.save`` (path must end in ``.pt2``); also
                    spelled ``"torch_export"`` or ``"pt2"``
``"torchscript"``   a TorchScript module (``torch.jit.trace``) saved with
                    ``torch.jit.save``, for C++ (libtorch) and older tooling;
                    torch has deprecated TorchScript, so prefer ``"torch"``
=================  ==========================================================

The artifact needs neither layerwise nor the model's Python code to run. Its
inputs are the model's inputs flattened in order (one tensor per ``Input``)
and its outputs the model's outputs flattened in order; ONNX inputs and
outputs are named after the model's ``Input`` layers and output layers.

The input shapes and dtypes come from the model (``model.inputs``) unless
``input_signature`` gives them. Axis 0 is always the batch axis and always
dynamic; other axes are dynamic where the model's input shape has ``None``.

Every file is written under a temporary name and renamed into place
(:func:`layerwise.saving.file_io.atomic_write`), so a failed export never
leaves a half-written artifact behind.

Example:

>>> model.export("weather.onnx")                      # format="onnx"
>>> import onnxruntime
>>> session = onnxruntime.InferenceSession("weather.onnx")
>>> session.run(None, {session.get_inputs()[0].name: x_test.astype("float32")})
>>> model.export("weather.pt2", format="torch")
>>> program = torch.export.load("weather.pt2")
>>> program.module()(torch.from_numpy(x_test.astype("float32")))
"""

import contextlib
import importlib.util
import inspect
import logging
import os
import re
import warnings

import numpy as np
import torch

from layerwise import backend
from layerwise.engine import nest
from layerwise.saving.file_io import atomic_write

# Keras's spellings first; the aliases name the same artifact.
_FORMATS = {
    "onnx": "onnx",
    "torch": "torch",
    "torch_export": "torch",
    "pt2": "torch",
    "torchscript": "torchscript",
}

_USE_INSTEAD = (
    "Use format='onnx' (an ONNX file: ONNX Runtime, TensorRT, OpenVINO and most serving "
    "tools read it), format='torch' (a torch.export program, path ending in .pt2) or "
    "format='torchscript'. To save the model itself for layerwise or Keras, use "
    "model.save('model.keras')."
)

# Formats Keras knows that need another framework to write; each refusal says why.
_REFUSED = {
    "tf_saved_model": (
        "format='tf_saved_model' writes a TensorFlow SavedModel, which only TensorFlow can trace "
        "and write; layerwise runs on PyTorch and has no TensorFlow graph to save. " + _USE_INSTEAD
    ),
    "openvino": (
        "format='openvino' is not written by layerwise: it needs the openvino package to convert "
        "the model. OpenVINO reads ONNX directly: export with format='onnx' and pass the file to "
        "openvino.convert_model() or openvino.Core().read_model()."
    ),
    "litert": (
        "format='litert' (TensorFlow Lite) is not written by layerwise: converting to LiteRT needs "
        "TensorFlow or the litert-torch converter. Export with format='torch' (a .pt2 program) or "
        "format='onnx' and convert that file with your LiteRT tooling."
    ),
}

# Sizes of the example tensors the model is traced with. Neither is 0 or 1, which torch.export
# would treat as fixed; they differ so that a batch axis is never confused with another axis.
_EXAMPLE_BATCH = 2
_EXAMPLE_OTHER = 3

# A single ONNX protobuf holds at most 2 GiB.
_ONNX_SIZE_LIMIT = 2 * 1024 ** 3

# Arguments the exporters accept through **kwargs.
_ONNX_KWARGS = ("opset_version",)
_TORCHSCRIPT_KWARGS = ("check_trace", "check_tolerance", "strict")


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
    """Export ``model``'s inference pass to ``filepath``; see :meth:`layerwise.Model.export`.

    Example:

    >>> export_model(model, "model.onnx", format="onnx")
    """
    from layerwise.engine.model import Model

    if not isinstance(model, Model):
        raise TypeError(f"export() expects a layerwise Model, got {type(model).__name__}.")
    try:
        path = os.fspath(filepath)
    except TypeError:
        raise TypeError(
            f"`filepath` must be a path (str or pathlib.Path), got {type(filepath).__name__}."
        ) from None
    kind = _resolve_format(format)
    if kind == "torch" and not path.endswith(".pt2"):
        raise ValueError(
            f"format={format!r} writes a torch.export program, whose path must end with '.pt2' "
            f"(torch.export.load expects it). Got filepath={path!r}; use e.g. 'model.pt2'."
        )
    if kind == "onnx":
        _check_kwargs(kwargs, _ONNX_KWARGS, format)
    elif kind == "torchscript":
        _check_kwargs(kwargs, _TORCHSCRIPT_KWARGS, format)
    else:
        _check_kwargs(kwargs, _torch_export_kwargs(), format)

    specs = input_specs(model, input_signature)
    function = _InferenceFunction(model, specs)
    examples = _example_inputs(specs, _model_device(model))
    with _inference_mode(model):
        if kind == "onnx":
            _write_onnx(function, specs, examples, path, model, **kwargs)
        elif kind == "torchscript":
            _write_torchscript(function, examples, path, **kwargs)
        else:
            _write_torch_program(function, specs, examples, path, **kwargs)

    if verbose is None or verbose:
        if kind == "onnx":
            print(f"Saved artifact at '{path}'.")  # Keras's words
        elif kind == "torch":
            print(f"Saved PyTorch ExportedProgram at '{path}'.")
        else:
            print(f"Saved TorchScript module at '{path}'.")


# ---------------------------------------------------------------------- arguments


def _resolve_format(format):
    if isinstance(format, str):
        key = format.lower()
        if key in _REFUSED:
            raise ValueError(_REFUSED[key])
        if key in _FORMATS:
            return _FORMATS[key]
    raise ValueError(
        f"Unrecognized format={format!r}. Supported formats are: {sorted(_FORMATS)} "
        "('torch_export' and 'pt2' are other names for 'torch')."
    )


def _check_kwargs(kwargs, allowed, format):
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(
            f"Unsupported arguments for format={format!r}: {', '.join(unknown)}. "
            f"Supported arguments are: {', '.join(sorted(allowed)) or 'none'}."
        )


def _torch_export_kwargs():
    # Whatever this torch's torch.export.export accepts besides the module and its inputs.
    names = inspect.signature(torch.export.export).parameters
    return tuple(name for name in names if name not in ("mod", "args", "kwargs"))


# ---------------------------------------------------------------------- input signature


class _Spec:
    """One flat input of the artifact: its name, shape (``None`` = dynamic) and dtype."""

    def __init__(self, name, shape, dtype):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = backend.standardize_dtype(dtype)

    def __repr__(self):
        return f"_Spec(name={self.name!r}, shape={self.shape}, dtype={self.dtype!r})"


def input_specs(model, input_signature=None):
    """The artifact's inputs: a structure (like the model's inputs) of ``_Spec`` leaves.

    Without ``input_signature`` they are read from the model; with it, the
    signature's shapes and dtypes are checked against the model's inputs
    where the model knows them. Axis 0 is the batch axis and is always
    dynamic.
    """
    known = _model_input_structure(model)
    if input_signature is None:
        if known is None:
            raise ValueError(
                f"Model '{model.name}' has not been built, so the shapes of its inputs are unknown. "
                "Build it first (model.build((None, 89)) or call it on a batch of data), or pass "
                "input_signature=[layerwise.layers.InputSpec(shape=(None, 89), dtype='float32')]."
            )
        structure = known
    else:
        structure = _signature_structure(model, input_signature, known)
    leaves = nest.flatten(structure)
    names = _unique_names([leaf.name for leaf in leaves], "input")
    return nest.pack_like(
        structure,
        [_Spec(name, (None,) + tuple(leaf.shape[1:]), leaf.dtype) for name, leaf in zip(names, leaves)],
    )


def _model_input_structure(model):
    """The model's inputs as a structure of ``_Spec`` (None when not known yet)."""
    from layerwise.engine.functional import Functional
    from layerwise.engine.sequential import Sequential

    def from_tensor(tensor):
        return _Spec(tensor.name, tensor.shape, tensor.dtype)

    if isinstance(model, Functional):
        return nest.map_structure(from_tensor, model._inputs_struct)
    if isinstance(model, Sequential):
        if not model.built or model._input_layer is None:
            return None
        return from_tensor(model.inputs[0])
    # A subclassed model: the shapes it was built (or first called) with; its input dtype is
    # not recorded, so floatx is assumed (pass input_signature for integer inputs).
    shapes = getattr(model, "_build_shape", None)
    if not model.built or shapes is None:
        return None
    return _shapes_to_specs(shapes)


def _shapes_to_specs(shapes):
    if _is_shape(shapes):
        return _Spec(None, shapes, backend.floatx())
    if isinstance(shapes, dict):
        return {key: _shapes_to_specs(value) for key, value in shapes.items()}
    return [_shapes_to_specs(value) for value in shapes]


def _is_shape(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 \
        and all(d is None or isinstance(d, int) for d in value)


def _signature_structure(model, signature, known):
    """The user's ``input_signature`` as a structure of ``_Spec``, checked against the model."""
    # Keras passes a list of positional arguments: ``[spec]`` or ``[[spec_a, spec_b]]``. A model
    # takes one positional argument (its inputs), so a one-element list is unwrapped; a longer
    # list is the inputs themselves.
    if isinstance(signature, (list, tuple)) and len(signature) == 1 and not _is_leaf(signature):
        signature = signature[0]
    structure = _to_specs(signature)
    if known is None:
        return structure
    if isinstance(structure, dict) and isinstance(known, dict):
        if set(structure) != set(known):
            raise ValueError(
                f"input_signature names the inputs {sorted(structure)}, but model '{model.name}' takes "
                f"the inputs {sorted(known)}. Use the same keys as the model's input dict."
            )
        structure = {key: structure[key] for key in known}
    given, expected = nest.flatten(structure), nest.flatten(known)
    if len(given) != len(expected):
        names = ", ".join(str(spec.name) for spec in expected)
        raise ValueError(
            f"input_signature describes {len(given)} input(s), but model '{model.name}' takes "
            f"{len(expected)} ({names}). Give one InputSpec per model input, in the order of "
            "model.inputs."
        )
    merged = []
    for index, (spec, model_spec) in enumerate(zip(given, expected)):
        label = f"input {index}" + (f" ('{model_spec.name}')" if model_spec.name else "")
        if len(spec.shape) != len(model_spec.shape):
            raise ValueError(
                f"input_signature gives {label} the shape {spec.shape} (rank {len(spec.shape)}), but "
                f"model '{model.name}' expects rank {len(model_spec.shape)}: {model_spec.shape}."
            )
        shape = []
        for axis, (size, model_size) in enumerate(zip(spec.shape, model_spec.shape)):
            if axis > 0 and size is not None and model_size is not None and size != model_size:
                raise ValueError(
                    f"input_signature gives {label} the shape {spec.shape}, but model '{model.name}' "
                    f"expects {model_spec.shape}: axis {axis} must be {model_size}."
                )
            # Where the model fixed a size, keep it: its code may depend on it.
            shape.append(model_size if model_size is not None and axis > 0 else size)
        merged.append(_Spec(spec.name or model_spec.name, shape, spec.dtype))
    # The model's own structure (list, dict, single tensor) is what its call() unpacks.
    return nest.pack_like(known, merged)


def _is_leaf(value):
    from layerwise.engine.layer import InputSpec
    from layerwise.engine.symbolic import KerasTensor

    if isinstance(value, (InputSpec, KerasTensor, torch.Tensor, np.ndarray, _Spec)):
        return True
    # tf.TensorSpec and similar: anything with a shape and a dtype that is not a container.
    return not isinstance(value, (list, tuple, dict)) and hasattr(value, "shape") and hasattr(value, "dtype")


def _to_specs(signature):
    if isinstance(signature, dict):
        return {key: _to_specs(value) for key, value in signature.items()}
    if _is_shape(signature) or signature is None or isinstance(signature, int):
        raise TypeError(
            f"input_signature needs the dtype as well as the shape: got {signature!r}. Write "
            "[layerwise.layers.InputSpec(shape=(None, 89), dtype='float32')], one InputSpec per input."
        )
    if isinstance(signature, (list, tuple)) and not _is_leaf(signature):
        return [_to_specs(value) for value in signature]
    return _to_spec(signature)


def _to_spec(value):
    from layerwise.engine.layer import InputSpec

    if isinstance(value, InputSpec):
        if value.shape is None:
            raise ValueError(
                "An InputSpec in input_signature needs a full shape, e.g. "
                "InputSpec(shape=(None, 89), dtype='float32'); got one without shape."
            )
        return _Spec(value.name, value.shape, value.dtype or backend.floatx())
    if isinstance(value, torch.Tensor):
        return _Spec(None, tuple(value.shape), value.dtype)
    if isinstance(value, np.ndarray):
        # As everywhere in layerwise, float64 numpy data means floatx.
        dtype = backend.floatx() if value.dtype == np.float64 else value.dtype
        return _Spec(None, tuple(value.shape), dtype)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        shape = value.shape
        if hasattr(shape, "as_list"):  # tf.TensorShape
            shape = shape.as_list()
        dtype = value.dtype
        dtype = getattr(dtype, "name", dtype)
        return _Spec(getattr(value, "name", None), tuple(None if d is None else int(d) for d in shape), dtype)
    raise TypeError(
        f"input_signature entries must be layerwise.layers.InputSpec, KerasTensor (layerwise.Input), "
        f"torch tensors or numpy arrays; got {type(value).__name__}: {value!r}."
    )


def _unique_names(names, prefix, taken=()):
    """Names for the artifact's inputs or outputs: given names, made unique, else ``prefix_i``."""
    result, seen = [], set(taken)
    for index, name in enumerate(names):
        name = name if isinstance(name, str) and name else f"{prefix}_{index}"
        candidate, suffix = name, 1
        while candidate in seen:
            candidate = f"{name}_{suffix}"
            suffix += 1
        seen.add(candidate)
        result.append(candidate)
    return result


def _example_inputs(specs, device):
    """Zeros of each input's shape (zeros are valid ids for an Embedding too)."""

    def example(spec):
        shape = [_EXAMPLE_BATCH if axis == 0 else (_EXAMPLE_OTHER if size is None else size)
                 for axis, size in enumerate(spec.shape)]
        return torch.zeros(shape, dtype=backend.torch_dtype(spec.dtype), device=device)

    return tuple(example(spec) for spec in nest.flatten(specs))


def _model_device(model):
    for parameter in model.parameters():
        return parameter.device
    return backend.device()


def _output_names(model, count, input_names):
    try:
        outputs = model.outputs
        names = [tensor._keras_history.layer.name for tensor in outputs]
        if isinstance(getattr(model, "output", None), dict):
            names = list(model.output)
    except (AttributeError, TypeError):
        names = []
    if len(names) != count:
        names = [None] * count
    return _unique_names(names, "output", taken=input_names)


# ---------------------------------------------------------------------- the traced function


class _InferenceFunction(torch.nn.Module):
    """The model as a function of flat tensors: ``f(*inputs) -> output`` or a tuple of outputs.

    It calls the model with ``training=False``, so the artifact always infers.
    """

    def __init__(self, model, specs):
        super().__init__()
        self.model = model
        # Only the shape of the structure is kept: the leaves are filled by pack_like.
        self._structure = nest.map_structure(lambda spec: None, specs)

    def forward(self, *flat_inputs):
        inputs = nest.pack_like(self._structure, flat_inputs)
        outputs = nest.flatten(self.model(inputs, training=False))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


@contextlib.contextmanager
def _inference_mode(model):
    """Eval mode and no autograd while tracing; the modules' own modes come back afterwards.

    The artifact is for inference, and torch's fused recurrent kernels take
    their "training" argument from the grad mode.
    """
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode


@contextlib.contextmanager
def _torch_export_ready(model):
    """Put the model in the state ``torch.export`` needs; restore everything afterwards.

    * Each layer weight (a ``layerwise.Variable``) is stood in for by a plain
      ``torch.nn.Parameter`` holding a compact copy of its values, reached
      only through the module's parameter table. torch.export swaps
      parameters for symbolic ones by name in that table (layer attributes
      such as ``self.kernel`` or an alias ``self.w`` resolve through it).
      Plain, compact parameters keep layerwise's class out of the artifact,
      and views of larger storages out of its archive.
    * Input specs are set aside: their checks read sizes as Python ints,
      which would freeze the batch axis to the example's size. The
      signature was checked against the model's inputs already.

    Nothing else may run the model while this is in effect.
    """
    from layerwise.engine.layer import Layer

    modules = list(model.modules())
    stand_ins = {}
    replaced, specs = [], []
    for module in modules:
        for name, parameter in list(module._parameters.items()):
            if parameter is None or type(parameter) is torch.nn.Parameter:
                continue
            plain = stand_ins.get(id(parameter))
            if plain is None:
                plain = torch.nn.Parameter(parameter.detach().clone(memory_format=torch.contiguous_format),
                                           requires_grad=parameter.requires_grad)
                stand_ins[id(parameter)] = plain
            replaced.append((module, name, parameter))
            module._parameters[name] = plain
    for module in modules:
        if isinstance(module, Layer):
            specs.append((module, module.input_spec))
            module.input_spec = None
    try:
        yield
    finally:
        for module, spec in specs:
            module.input_spec = spec
        for module, name, parameter in replaced:
            module._parameters[name] = parameter


# ---------------------------------------------------------------------- writers


class _ExportError(RuntimeError):
    """A tracer or exporter failed; the message says where, on which inputs, and what to try."""


def _dynamic_shapes(specs):
    """torch.export's ``dynamic_shapes`` for ``_InferenceFunction.forward(*flat_inputs)``."""
    per_input = []
    for index, spec in enumerate(nest.flatten(specs)):
        axes = {}
        for axis, size in enumerate(spec.shape):
            if size is None:
                # One shared "batch" dimension: every input has the same number of samples.
                axes[axis] = torch.export.Dim("batch") if axis == 0 else torch.export.Dim(f"dim_{index}_{axis}")
        per_input.append(axes or None)
    return (tuple(per_input),)


def _user_dynamic_shapes(dynamic_shapes, count):
    """The user's ``dynamic_shapes`` (a dict for one input, or one entry per input) for our forward."""
    if isinstance(dynamic_shapes, dict) and count == 1:
        return ((dynamic_shapes,),)
    if isinstance(dynamic_shapes, (list, tuple)):
        if len(dynamic_shapes) == 1 and isinstance(dynamic_shapes[0], (list, tuple)) \
                and len(dynamic_shapes[0]) == count:
            return (tuple(dynamic_shapes[0]),)
        if len(dynamic_shapes) == count:
            return (tuple(dynamic_shapes),)
    raise ValueError(
        f"dynamic_shapes must give one entry per model input ({count}): a dict such as "
        "{0: torch.export.Dim('batch')} for a one-input model, or a list of such dicts; "
        f"got {dynamic_shapes!r}."
    )


def _export_program(function, specs, examples, **kwargs):
    kwargs = dict(kwargs)
    kwargs.setdefault("strict", False)  # Keras's default too: layer code is Python, not graph-only
    if "dynamic_shapes" in kwargs and kwargs["dynamic_shapes"] is not None:
        kwargs["dynamic_shapes"] = _user_dynamic_shapes(kwargs["dynamic_shapes"], len(examples))
    else:
        kwargs["dynamic_shapes"] = _dynamic_shapes(specs)
    with _torch_export_ready(function.model), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*not properly registered as a submodule.*")
        try:
            return torch.export.export(function, examples, **kwargs)
        except Exception as error:
            raise _ExportError(_failure_message("torch.export", function.model, specs, error)) from error


def _failure_message(tool, model, specs, error):
    flat = nest.flatten(specs)
    shapes = ", ".join(f"{spec.name}: {spec.shape} {spec.dtype}" for spec in flat)
    summary = f"Exporting model '{model.name}' failed in {tool} ({type(error).__name__}: {_first_line(error)}). "
    fixed = re.search(r"Constraints violated \((\w+)\)", str(error))
    axis = re.fullmatch(r"dim_(\d+)_(\d+)", fixed.group(1)) if fixed else None
    if axis and int(axis.group(1)) < len(flat):
        spec = flat[int(axis.group(1))]
        example = tuple(100 if (i == int(axis.group(2))) else size for i, size in enumerate(spec.shape))
        return summary + (
            f"Axis {axis.group(2)} of input '{spec.name}' (shape {spec.shape}) is None, but the model's "
            "code needs a fixed size there under torch.export (recurrent layers, for one, are "
            "unrolled over the time steps). Fix that size with input_signature=[layerwise.layers."
            f"InputSpec(shape={example}, dtype='{spec.dtype}')], or use format='onnx' or "
            "format='torchscript', which keep it dynamic. The full error is chained below."
        )
    return summary + (
        f"Inputs traced: {shapes} (None = dynamic). Common causes: a layer whose code depends on "
        "the values of its inputs (Python if/for on tensor values) or needs a fixed size on an "
        "axis marked None; fix the size with input_signature=[layerwise.layers.InputSpec(shape=..., "
        "dtype=...)]. The full error is chained below."
    )


def _first_line(error):
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def _write_torch_program(function, specs, examples, path, **kwargs):
    program = _export_program(function, specs, examples, **kwargs)
    with atomic_write(path) as temporary, open(temporary, "wb") as handle:
        # A file object, not the temporary name: torch.export.save warns about names not ending in .pt2.
        torch.export.save(program, handle)


def _write_torchscript(function, examples, path, **kwargs):
    with warnings.catch_warnings():
        # The tracer warns whenever an input check reads a size as a Python number; those
        # checks do not reach the traced graph. torch's notice that TorchScript is deprecated
        # is for code calling torch.jit itself; the format's documentation says it.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.\w+` is deprecated",
                                category=DeprecationWarning)
        try:
            traced = torch.jit.trace(function, examples, **kwargs)
        except Exception as error:
            raise _ExportError(
                f"Exporting model '{function.model.name}' failed in torch.jit.trace "
                f"({type(error).__name__}: {_first_line(error)}). "
                "TorchScript records one run of the model; layers whose code depends on the values "
                "of their inputs cannot be traced. Try format='torch' or format='onnx'. The full "
                "error is chained below."
            ) from error
        with atomic_write(path) as temporary:
            torch.jit.save(traced, temporary)


def onnx_exporters():
    """The ONNX exporters to try, in order.

    First torch's TorchScript-based exporter (``dynamo=False``), as Keras uses
    for models with dynamic axes: it maps recurrent layers to ONNX's LSTM/GRU
    operators, which keeps a ``None`` time axis dynamic, and it is fast. torch
    has deprecated it, so where it fails (or a later torch drops it) the
    torch.export-based exporter follows, when onnxscript is installed.
    """
    exporters = ["torchscript"]
    if _installed("onnxscript"):
        exporters.append("dynamo")
    return exporters


def _installed(package):
    return importlib.util.find_spec(package) is not None


def _write_onnx(function, specs, examples, path, model, opset_version=None):
    if not _installed("onnx"):
        raise ImportError(
            "format='onnx' needs the onnx package, which torch's ONNX exporter uses to write the "
            "file: pip install onnx onnxscript (or pip install 'layerwise[export]'). "
            "format='torch' and format='torchscript' need nothing extra."
        )
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    if size >= _ONNX_SIZE_LIMIT:
        raise ValueError(
            f"Model '{model.name}' has {size / 1024 ** 3:.1f} GB of weights, more than the 2 GB a "
            "single ONNX file can hold. Export it with format='torch' (a .pt2 program) instead."
        )
    flat_specs = nest.flatten(specs)
    input_names = [spec.name for spec in flat_specs]
    example_outputs = nest.flatten(function(*examples))
    output_names = _output_names(model, len(example_outputs), input_names)
    batched_outputs = [name for name, output in zip(output_names, example_outputs) if output.ndim > 0]
    failures = []
    with atomic_write(path) as temporary, _quiet_onnx_logs():
        for exporter in onnx_exporters():
            try:
                if exporter == "torchscript":
                    _onnx_by_torchscript(function, examples, temporary, flat_specs, input_names,
                                         output_names, batched_outputs, opset_version)
                else:
                    _onnx_by_dynamo(function, specs, examples, temporary, input_names, output_names,
                                    opset_version)
                return
            except Exception as error:  # noqa: BLE001 - the next exporter may succeed; all are reported
                failures.append((exporter, error))
        tried = "; ".join(f"{name}: {type(error).__name__}: {_first_line(error)}" for name, error in failures)
        last = failures[-1][1]
        if isinstance(last, _ExportError):
            # torch.export itself failed, and its message already says why and what to do.
            raise _ExportError(f"{last} ONNX exporters tried: {tried}.") from last.__cause__
        raise _ExportError(
            _failure_message("torch.onnx.export", model, specs, last) + f" ONNX exporters tried: {tried}."
        ) from last


def _axis_names(spec):
    """ONNX names for an input's dynamic axes: ``batch`` (shared by all inputs), ``<input>_dim_<axis>``."""
    return {axis: ("batch" if axis == 0 else f"{spec.name}_dim_{axis}")
            for axis, size in enumerate(spec.shape) if size is None}


def _onnx_by_torchscript(function, examples, temporary, flat_specs, input_names, output_names,
                         batched_outputs, opset_version):
    dynamic_axes = {spec.name: _axis_names(spec) for spec in flat_specs if _axis_names(spec)}
    for name in batched_outputs:
        dynamic_axes[name] = {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation notice, and tracer notes about size checks
        torch.onnx.export(
            function, examples, temporary, dynamo=False, input_names=input_names,
            output_names=output_names, dynamic_axes=dynamic_axes, opset_version=opset_version,
            do_constant_folding=True, verbose=False,
        )


def _onnx_by_dynamo(function, specs, examples, temporary, input_names, output_names, opset_version):
    program = _export_program(function, specs, examples)
    # Given with the program, dynamic_shapes only names the ONNX axes (instead of s0, s1, ...).
    axis_names = (tuple(_axis_names(spec) or None for spec in nest.flatten(specs)),)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(
            program, dynamo=True, input_names=input_names, output_names=output_names,
            dynamic_shapes=axis_names, opset_version=opset_version, verbose=False, external_data=False,
        )
    onnx_program.save(temporary, external_data=False)


@contextlib.contextmanager
def _quiet_onnx_logs():
    # The ONNX exporter logs a warning per missing optional torchvision operator; not our concern.
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


__all__ = ["export_model", "input_specs", "onnx_exporters"]
