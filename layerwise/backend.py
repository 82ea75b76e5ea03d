"""Backend helpers: float type, device policy, seeding, tensor conversion, names.

layerwise computes with PyTorch. This module holds the few process-wide
settings that Keras keeps in ``keras.backend`` / ``keras.config``:

>>> import layerwise as keras
>>> keras.backend.floatx()
'float32'
>>> keras.backend.set_device("cpu")      # or "cuda", "cuda:1", or None for automatic
>>> keras.backend.device()
device(type='cpu')

Device policy: by default layerwise computes on the CPU. Setting the
environment variable ``LAYERWISE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``,
``auto``) or calling :func:`set_device` changes where new layers put their
weights and where ``fit`` puts the data; ``auto`` takes CUDA when
``torch.cuda.is_available()``.
"""

import collections
import numbers
import os
import random
import re

import numpy as np
import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_device = None
_name_counts = collections.defaultdict(int)

_TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}
_DTYPE_NAMES = {v: k for k, v in _TORCH_DTYPES.items()}


def floatx():
    """The default float type name of new weights and inputs (``'float32'``)."""
    return _FLOATX


def set_floatx(value):
    """Set the default float type: ``'float16'``, ``'bfloat16'``, ``'float32'`` or ``'float64'``."""
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"Unknown floatx {value!r}; expected one of 'float16', 'bfloat16', 'float32', 'float64'."
        )
    _FLOATX = value


def epsilon():
    """The fuzz factor Keras adds to avoid division by zero (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """``'channels_last'`` (Keras's default) or ``'channels_first'``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Set the default image layout used by convolution and pooling layers."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Unknown data_format {data_format!r}; expected 'channels_last' or 'channels_first'."
        )
    _IMAGE_DATA_FORMAT = data_format


def standardize_dtype(dtype):
    """Return the Keras name (``'float32'``, ``'int64'``, ...) of a dtype given in any spelling."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, torch.dtype):
        return _DTYPE_NAMES[dtype]
    if isinstance(dtype, dict):  # a serialized DTypePolicy
        return standardize_dtype(dtype.get("config", {}).get("name"))
    name = getattr(dtype, "name", dtype)
    if not isinstance(name, str):
        name = np.dtype(dtype).name
    if name in ("float", "double"):
        name = {"float": "float32", "double": "float64"}[name]
    if name.startswith("mixed_"):
        name = "float32"
    if name in ("string", "str"):  # texts: kept as numpy arrays, never a torch tensor
        return "string"
    if name not in _TORCH_DTYPES:
        raise ValueError(
            f"Unknown dtype {dtype!r}; expected one of {sorted(_TORCH_DTYPES)}."
        )
    return name


def is_text_array(value):
    """Whether ``value`` is a numpy array of strings (str/bytes dtype, or objects holding strings).

    Texts never become tensors: they stay numpy arrays until a string layer
    (TextVectorization, StringLookup, ...) turns them into ids.

    Example:

    >>> is_text_array(np.array(["a good film"])), is_text_array(np.zeros(3))
    (True, False)
    """
    return isinstance(value, np.ndarray) and (
        value.dtype.kind in "US"
        or value.dtype.kind == "O" and value.size > 0 and isinstance(value.reshape(-1)[0], (str, bytes))
    )


def is_real_number(value):
    """Whether ``value`` is a real number, Python or numpy: not a bool, a string, an array or ``None``.

    Example:

    >>> is_real_number(0.5), is_real_number(np.int64(3)), is_real_number(True), is_real_number("1")
    (True, True, False, False)
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_number_list(value):
    """Whether ``value`` is a Python list (or tuple) of numbers, or of such lists: one array written out.

    tf.keras 2 took such lists as arrays and beginners write them
    (``model.predict([[1.0, 2.0], [3.0, 4.0]])``); a list of *arrays* stays a
    list of inputs.

    Example:

    >>> is_number_list([[1.0, 2.0], [3.0, 4.0]]), is_number_list([np.zeros(2), np.ones(2)])
    (True, False)
    """
    if not isinstance(value, (list, tuple)) or not value:
        return False
    return all(isinstance(item, (numbers.Number, np.number, np.bool_)) and not isinstance(item, complex)
               or is_number_list(item) for item in value)


def number_list_to_array(values, where):
    """A list that :func:`is_number_list` accepts, as one numpy array; rows of unequal length are refused.

    ``where`` names the argument in the error (``"x"``, ``"Dense 'dense'"``).

    Example:

    >>> number_list_to_array([[1, 2], [3, 4]], "x").shape
    (2, 2)
    """
    try:
        return np.asarray(values)
    except ValueError:  # rows of different lengths
        lengths = sorted({len(row) for row in values if isinstance(row, (list, tuple))})
        raise ValueError(
            f"{where} got a Python list of rows with different lengths {lengths}; every sample needs the "
            "same number of values. Pad the rows (keras.utils.pad_sequences) or pass a numpy array."
        ) from None


def torch_dtype(dtype):
    """The ``torch.dtype`` for a dtype given in any spelling (None means floatx)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    name = standardize_dtype(dtype)
    if name == "string":
        raise ValueError("Strings have no torch dtype: texts stay numpy arrays until a layer such as "
                         "TextVectorization or StringLookup turns them into ids.")
    return _TORCH_DTYPES[name]


def _device_from_setting(setting):
    if setting is None or setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(setting)


def device():
    """The ``torch.device`` on which new weights are created and data is placed."""
    global _device
    if _device is None:
        _device = _device_from_setting(os.environ.get("LAYERWISE_DEVICE", "cpu"))
    return _device


def set_device(name):
    """Choose the compute device: ``'cpu'``, ``'cuda'``, ``'cuda:N'``, or ``None``/``'auto'``."""
    global _device
    _device = _device_from_setting(name)


def convert_to_tensor(x, dtype=None):
    """Turn numpy arrays, lists, scalars and tensors into a torch tensor on :func:`device`.

    Float64 numpy data becomes float32 (floatx), as Keras does for inputs;
    integer and boolean data keep their dtype.
    """
    if isinstance(x, torch.Tensor):
        if dtype is not None:
            x = x.to(torch_dtype(dtype))
        return x
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if dtype is None:
        if x.dtype.kind == "f" or x.dtype.kind == "O":
            dtype = floatx()
        elif x.dtype.kind in "iub":
            dtype = x.dtype.name
        else:
            raise TypeError(
                f"Cannot convert an array of dtype {x.dtype} to a tensor; "
                "expected numbers (convert strings to numbers first)."
            )
    if not x.flags.writeable:  # e.g. pandas' to_numpy(); torch warns about sharing read-only memory
        x = x.copy()
    return torch.as_tensor(x, dtype=torch_dtype(dtype), device=device())


def convert_to_numpy(x):
    """A numpy copy of a tensor (detached, on the CPU); other values go through ``np.asarray``."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def set_random_seed(seed):
    """Seed Python's, numpy's and torch's generators so initialisation and dropout repeat."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_snake_case(name):
    """``'BatchNormalization'`` -> ``'batch_normalization'``, ``'Conv2D'`` -> ``'conv2d'``, as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def unique_name(base):
    """``'dense'``, then ``'dense_1'``, ``'dense_2'``, ... within this session."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Forget generated layer names, so the next Dense is called ``'dense'`` again."""
    _name_counts.clear()
