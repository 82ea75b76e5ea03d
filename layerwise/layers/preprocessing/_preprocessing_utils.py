"""Helpers shared by the text and categorical preprocessing layers.

* :class:`HostPreprocessingLayer`: base of the layers whose inputs may be
  strings. Strings never become torch tensors: Python ``str`` and numpy
  string arrays stay on the CPU until the layer has turned them into ids;
  the layer's output is a torch tensor on :func:`layerwise.backend.device`.
* :func:`string_array`: anything a user may pass as text (a list, a numpy
  array of ``str``/``bytes``/objects, a pandas Series, a single string) as a
  numpy object array of Python ``str``, refusing ``None`` and non-strings
  with a message that says where they are.
* :func:`encode_categorical`: integer indices to one-hot / multi-hot / count
  vectors with the shapes Keras gives.
* :func:`adapt_batches`: the batches ``adapt()`` reads from an array, a
  list, a tensor or an iterable, as Keras reads them.
"""

import numpy as np
import torch

from layerwise import backend
from layerwise.engine.layer import Layer
from layerwise.engine.symbolic import is_symbolic

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def is_dataframe_or_series(value):
    return hasattr(value, "to_numpy") and hasattr(value, "index")


def as_array(inputs):
    """Lists, tuples, pandas objects and scalars as numpy arrays; tensors stay tensors."""
    if isinstance(inputs, (torch.Tensor, np.ndarray)):
        return inputs
    if is_dataframe_or_series(inputs):
        return inputs.to_numpy()
    if isinstance(inputs, (str, bytes)):
        return np.array(inputs, dtype=object)
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            return np.empty((0,), dtype=object)
        if _holds_text(inputs):
            array = np.empty(_nested_shape(inputs), dtype=object)
            array[...] = _nested_object_items(inputs)
            return array
        return np.asarray(inputs)
    return np.asarray(inputs)


def _holds_text(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            if _holds_text(item):
                return True
        elif isinstance(item, (str, bytes)) or item is None:
            return True
    return False


def _nested_shape(items):
    if isinstance(items, (list, tuple)):
        return (len(items),) + (_nested_shape(items[0]) if len(items) else ())
    return ()


def _nested_object_items(items):
    # numpy would turn a list of equal-length lists into a 2-D array; build it cell by cell so
    # strings stay Python objects (a fixed-width unicode array would pad every text to the longest).
    if isinstance(items, (list, tuple)):
        return [_nested_object_items(item) for item in items]
    return items


def string_array(inputs, where, encoding="utf-8"):
    """A numpy object array of Python ``str`` from whatever the user passed as text.

    ``bytes`` are decoded with ``encoding`` (TensorFlow hands Keras layers
    bytes, so Keras accepts them); ``None``, NaN and numbers are refused with
    the position of the first bad item. ``where`` names the layer and the
    argument in the message, e.g. ``"TextVectorization 'tv' input"``.
    """
    if isinstance(inputs, torch.Tensor):
        raise TypeError(
            f"{where} must be strings (a list or numpy array of str), but got a torch tensor of dtype "
            f"{backend.standardize_dtype(inputs.dtype)} and shape {tuple(inputs.shape)}. Tensors cannot hold "
            "text: pass the raw strings."
        )
    try:
        array = as_array(inputs)
    except ValueError as error:
        raise ValueError(
            f"{where} could not be read as an array of strings: the nested lists have different lengths "
            f"({error}). Pass a flat list of texts, one per sample."
        ) from None
    if array.dtype.kind == "U":
        return array.astype(object)
    if array.dtype.kind == "S":
        return _decode(array.astype(object), where, encoding)
    if array.dtype.kind != "O":
        raise TypeError(
            f"{where} must be strings, but got an array of dtype {array.dtype} with shape {array.shape}. "
            "Pass the raw texts (a list or numpy array of str), not numbers."
        )
    flat = array.reshape(-1)
    needs_work = False
    for position, item in enumerate(flat):
        if type(item) is str:
            continue
        if isinstance(item, str):  # np.str_ and other str subclasses
            needs_work = True
            continue
        if isinstance(item, bytes):
            needs_work = True
            continue
        index = np.unravel_index(position, array.shape) if array.ndim else ()
        at = f" at index {tuple(int(i) for i in index)}" if array.ndim else ""
        if item is None or isinstance(item, float) and np.isnan(item):
            raise ValueError(
                f"{where} holds a missing value ({item!r}){at}. Every sample must be a string: drop the "
                "missing rows or fill them first (e.g. df['text'].fillna(''))."
            )
        raise TypeError(
            f"{where} must hold only strings, but found {item!r} of type {type(item).__name__}{at}. "
            "Convert the values to str first."
        )
    if needs_work:
        array = _decode(array, where, encoding)
    return array


def _decode(array, where, encoding):
    flat = array.reshape(-1).copy()
    for position, item in enumerate(flat):
        if isinstance(item, bytes):
            try:
                flat[position] = item.decode(encoding)
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{where} holds bytes that are not valid {encoding} ({item[:40]!r}...: {error.reason}). "
                    "Decode the texts yourself, or give the layer the right `encoding`."
                ) from None
        else:
            flat[position] = str(item)
    return flat.reshape(array.shape)


def to_device_tensor(array, dtype):
    """A numpy array as a torch tensor of ``dtype`` on the layerwise device."""
    return torch.as_tensor(np.ascontiguousarray(array), dtype=backend.torch_dtype(dtype), device=backend.device())


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None, check_range=None):
    """Encode integer ``indices`` (a torch tensor) as Keras's ``encode_categorical_inputs`` does.

    * ``one_hot``: each index becomes a ``depth`` vector; a trailing axis of
      size 1 is replaced by the encoding (``(n, 1) -> (n, depth)``), otherwise
      the encoding is appended (``(n,) -> (n, depth)``).
    * ``multi_hot`` / ``count``: the indices of one sample become one vector.
      The sample axis is axis 1 for inputs of rank 2 or more and axis 0 for a
      rank-1 input, which is one sample (``(n,) -> (depth,)``), as in Keras.

    A scalar is treated as a single-item sample. Indices outside
    ``[0, depth)`` contribute nothing (lookups use that to drop the mask
    token), unless ``check_range`` names the layer: then they raise.
    """
    if indices.ndim == 0:
        indices = indices.reshape(1)
    indices = indices.long()
    if check_range is not None and indices.numel():
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= depth:
            bad = low if low < 0 else high
            raise ValueError(
                f"{check_range} got the value {bad}, but its inputs must lie in [0, {depth}) "
                f"(num_tokens={depth}). Increase num_tokens, or map the values to indices first "
                "(e.g. with IntegerLookup)."
            )
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices.squeeze(-1)
    valid = (indices >= 0) & (indices < depth)
    encoded = torch.nn.functional.one_hot(torch.where(valid, indices, 0), depth)
    encoded = encoded * valid.unsqueeze(-1)
    if output_mode == "one_hot":
        return encoded.to(backend.torch_dtype(dtype))
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return encoded.amax(dim=axis).to(backend.torch_dtype(dtype))
    if count_weights is not None:
        weights = torch.as_tensor(count_weights, device=encoded.device)
        return (encoded.to(weights.dtype) * weights.unsqueeze(-1)).sum(dim=axis)
    return encoded.sum(dim=axis).to(backend.torch_dtype(dtype))


def categorical_output_shape(input_shape, output_mode, depth):
    """The output shape :func:`encode_categorical` gives for ``input_shape``."""
    input_shape = tuple(input_shape)
    if not input_shape:
        return (depth,) if output_mode != "one_hot" else (1, depth)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 1:
        return (depth,)
    return (input_shape[0],) + input_shape[2:] + (depth,)


def adapt_batches(data, steps, where):
    """The batches ``adapt()`` reads, as Keras reads them.

    An array, a list, a tuple or a tensor is one batch (returned with
    ``is_array=True``); any other iterable (a generator, a ``DataLoader``)
    yields batches, of which at most ``steps`` are read. A pandas object is
    taken as its array. An empty input raises.
    """
    if data is None:
        raise ValueError(f"{where}.adapt() got None; pass the data to learn from (an array or a list).")
    if is_dataframe_or_series(data):
        data = data.to_numpy()
    if isinstance(data, (list, tuple, np.ndarray, torch.Tensor, str, bytes)):
        if isinstance(data, (str, bytes)):
            raise TypeError(
                f"{where}.adapt() expects a list or array of samples, got a single "
                f"{type(data).__name__}. Wrap it in a list: adapt([text])."
            )
        if len(data) == 0:
            raise ValueError(
                f"{where}.adapt() got empty data (0 samples), so there is nothing to learn from. "
                "Check how the data were loaded or filtered."
            )
        return [data], True
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"{where}.adapt() expects a numpy array, a list, a torch tensor or an iterable of batches, "
            f"got {type(data).__name__}."
        )

    def limited():
        for step, batch in enumerate(data):
            if steps is not None and step >= steps:
                return
            if isinstance(batch, (tuple, list)) and len(batch) in (2, 3) and not _holds_text(batch) \
                    and not all(np.ndim(item) == 0 for item in batch):
                batch = batch[0]  # (x, y) pairs from a labelled data set: adapt on x
            yield batch

    return limited(), False


class ArrayInputLayer(Layer):
    """A layer whose one input may be given as a list, a tuple or a pandas object, as in Keras.

    ``layer([3, 2, 0, 1])`` is one input of four values (not four inputs):
    lists, tuples and pandas objects become numpy arrays before the usual
    conversion to tensors.
    """

    def __call__(self, *args, **kwargs):
        if args and not is_symbolic(args[0]) and not isinstance(args[0], (torch.Tensor, np.ndarray)):
            args = (as_array(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)


class HostPreprocessingLayer(Layer):
    """A layer that computes on the host (strings, dictionaries) and returns torch tensors.

    Inputs that are not tensors (lists of strings, numpy string arrays,
    pandas Series) are passed to ``call`` as numpy arrays instead of being
    converted to tensors first; symbolic inputs work as for any layer, using
    ``compute_output_spec``. These layers have no trainable weights and do
    the same in training and inference.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def __call__(self, *args, **kwargs):
        if args and not is_symbolic(args[0]) and not isinstance(args[0], torch.Tensor):
            inputs = self._prepare_input(as_array(args[0]))
            if isinstance(inputs, np.ndarray) and inputs.dtype == object and inputs.size == 0:
                # An empty batch: give it a dtype the engine leaves alone (strings) or converts (ids).
                inputs = inputs.astype(self._empty_input_dtype())
            args = (inputs,) + args[1:]
        return super().__call__(*args, **kwargs)

    def _prepare_input(self, inputs):
        """Check or convert a non-tensor input before the engine sees it (string layers check text here)."""
        return inputs

    def _empty_input_dtype(self):
        return "U1"

    def build(self, input_shape=None):
        self.built = True

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True
