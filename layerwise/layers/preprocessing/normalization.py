"""``Normalization``: feature-wise standardization with a mean and variance learned by ``adapt``."""

import math

import numpy as np
import torch

from layerwise import backend
from layerwise.layers.preprocessing._preprocessing_utils import (
    ArrayInputLayer,
    is_dataframe_or_series,
)
from layerwise.saving.registry import builtin


@builtin("layers")
class Normalization(ArrayInputLayer):
    """A preprocessing layer that normalizes continuous features.

    Shifts and scales inputs to a distribution centered on 0 with standard
    deviation 1: ``(input - mean) / sqrt(var)`` (the square root is kept at
    least ``1e-7``). The mean and variance are given, or computed from data
    by ``adapt()`` before training; they are non-trainable weights
    (``mean``, ``variance``, ``count``, in Keras's order), so they are saved
    with the model and keep their values during ``fit``.

    Args:
        axis: the axis (or axes) that keep separate statistics, default -1:
            one mean and variance per feature (last axis). ``None``: a single
            mean and variance for all values.
        mean: optional mean to use instead of ``adapt()`` (broadcast to the
            kept axes).
        variance: the matching variance (required with ``mean``).
        invert: if ``True``, undo the normalization: ``mean + input * sqrt(var)``.
        name, dtype: as for any layer.

    Example:

    >>> normalizer = layerwise.layers.Normalization(axis=-1)
    >>> normalizer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> normalizer(np.array([[2.0, 30.0]]))
    tensor([[0., 1.]])

    The course pattern: adapt on the training features, then put the layer
    first in the model.

    >>> model = layerwise.Sequential([normalizer, layerwise.layers.Dense(1)])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._build_input_shape = None
        self._fixed = None
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same shape. "
                    f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"The rank of `mean` must be less than or equal to the number of axes ({len(self.axis)}). "
                    f"Received: mean shape {np.shape(mean)} for axis {self.axis}"
                )

    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim={ndim}, "
                f"while axis={self.axis} (Normalization '{self.name}', input shape {input_shape})"
            )
        self._keep_axis = tuple(sorted(a if a >= 0 else a + ndim for a in self.axis))
        for axis in self._keep_axis:
            if input_shape[axis] is None:
                raise ValueError(
                    f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                    f"inputs.shape={input_shape}, with unknown axis at index {axis}"
                )
        self._reduce_axis = tuple(a for a in range(ndim) if a not in self._keep_axis)
        self._broadcast_shape = [input_shape[a] if a in self._keep_axis else 1 for a in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[a] for a in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            # Kept for files written by older Keras versions, as Keras does.
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros",
                                         trainable=False)
        else:
            mean = np.asarray(self.input_mean, dtype="float64")
            variance = np.asarray(self.input_variance, dtype="float64")
            if mean.ndim:
                # Align the given statistics with the kept axes, from the right.
                expanded = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                mean, variance = mean.reshape(expanded), variance.reshape(expanded)
            mean = np.broadcast_to(mean, self._broadcast_shape).copy()
            variance = np.broadcast_to(variance, self._broadcast_shape).copy()
            dtype = backend.torch_dtype(self.compute_dtype)
            # Buffers (not weights, as in Keras): they follow `.to(device)` but are not in get_weights().
            self.register_buffer("_fixed_mean", torch.as_tensor(mean, dtype=dtype, device=backend.device()),
                                 persistent=False)
            self.register_buffer("_fixed_scale", torch.clamp_min(
                torch.sqrt(torch.as_tensor(variance, dtype=dtype, device=backend.device())), backend.epsilon()),
                persistent=False)
            self._fixed = True
        self.built = True

    # ------------------------------------------------------------------ adapt

    def adapt(self, data):
        """Computes the mean and variance of ``data`` along the reduced axes.

        Args:
            data: a numpy array, a pandas DataFrame, a torch tensor, a list of
                numbers (one batch), or an iterable of batches (a list of
                arrays, a generator, a ``DataLoader``) whose statistics are
                merged batch by batch.
        """
        where = f"Normalization '{self.name}'.adapt()"
        if is_dataframe_or_series(data):
            data = data.to_numpy()
        if isinstance(data, (list, tuple)) and not all(isinstance(b, (np.ndarray, torch.Tensor)) for b in data):
            data = np.asarray(data)  # nested lists of numbers are one array (Keras would iterate the rows)
        is_iterable = False
        if isinstance(data, (np.ndarray, torch.Tensor)):
            input_shape = tuple(data.shape)
            if data.size == 0 if isinstance(data, np.ndarray) else data.numel() == 0:
                raise ValueError(f"{where} received empty data (shape {input_shape}); there is nothing to learn.")
            array = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else data
            _check_numeric(array, where)
        elif hasattr(data, "__iter__"):
            is_iterable = True
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one batch. Pass a "
                    "non-empty iterable of arrays or tensors, e.g. layer.adapt([x]) or layer.adapt(list_of_batches)."
                )
            first = _extract_batch(first)
            if not hasattr(first, "shape"):
                raise TypeError(
                    "adapt() expects an iterable that yields arrays or tensors with a `.shape` attribute (e.g. "
                    f"numpy arrays or backend tensors). Got an element of type {type(first).__name__}. Ensure "
                    "each yielded element is array-like with a `.shape` attribute."
                )
            input_shape = tuple(first.shape)

            def chained():
                yield first
                yield from iterator
            data = chained()
        else:
            raise TypeError(
                f"Unsupported data type: {type(data)}. `adapt` supports `np.ndarray`, torch tensors, pandas "
                "DataFrames, and iterables of batches (e.g. list, generator)."
            )

        if not self.built or self._build_input_shape is None:
            self._maybe_build(input_shape)
        else:
            for axis in self._keep_axis:
                if input_shape[axis] != self._build_input_shape[axis]:
                    raise ValueError(
                        f"The layer was built with input_shape={self._build_input_shape}, but adapt() is being "
                        f"called with data with an incompatible shape, data.shape={input_shape}"
                    )
        if self._fixed:
            raise ValueError(
                f"Normalization '{self.name}' was given `mean` and `variance`; it has nothing to adapt. "
                "Create it without them to learn them from data."
            )

        if not is_iterable:
            if isinstance(data, np.ndarray):
                total_mean = np.mean(data, axis=self._reduce_axis)
                total_var = np.var(data, axis=self._reduce_axis)
            else:
                values = data.detach().to(torch.float32)
                total_mean = values.mean(dim=self._reduce_axis) if self._reduce_axis else values
                total_var = values.var(dim=self._reduce_axis, unbiased=False) if self._reduce_axis \
                    else torch.zeros_like(values)
        else:
            total_mean = torch.zeros(self._mean_and_var_shape)
            total_var = torch.zeros(self._mean_and_var_shape)
            total_count = 0
            for batch in data:
                batch = _extract_batch(batch)
                batch = batch.detach().cpu() if isinstance(batch, torch.Tensor) else np.asarray(batch)
                _check_numeric(np.asarray(batch), where)
                batch = torch.as_tensor(np.asarray(batch), dtype=torch.float32)
                for axis in self._keep_axis:
                    if batch.shape[axis] != self._build_input_shape[axis]:
                        raise ValueError(
                            "adapt() yielded a batch with incompatible shape. Expected "
                            f"{self._build_input_shape}, got {tuple(batch.shape)}."
                        )
                if self._reduce_axis:
                    batch_mean = batch.mean(dim=self._reduce_axis)
                    batch_var = batch.var(dim=self._reduce_axis, unbiased=False)
                    batch_count = math.prod(batch.shape[a] for a in self._reduce_axis)
                else:
                    batch_mean, batch_var, batch_count = batch, torch.zeros_like(batch), 1
                total_count += batch_count
                batch_weight = float(batch_count) / total_count
                existing_weight = 1.0 - batch_weight
                new_mean = total_mean * existing_weight + batch_mean * batch_weight
                # Merge the variances (lack-of-fit sum of squares), as Keras does.
                total_var = (total_var + (total_mean - new_mean) ** 2) * existing_weight \
                    + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight
                total_mean = new_mean
        self.adapt_mean.assign(np.asarray(total_mean, dtype="float32") if isinstance(total_mean, np.ndarray)
                               else total_mean)
        self.adapt_variance.assign(np.asarray(total_var, dtype="float32") if isinstance(total_var, np.ndarray)
                                   else total_var)

    def finalize_state(self):
        """Nothing to do: the statistics are read from the weights at each call."""

    # ------------------------------------------------------------------ calling

    def _statistics(self, device):
        if self._fixed:
            return self._fixed_mean, self._fixed_scale
        mean = self.adapt_mean.reshape(self._broadcast_shape)
        scale = torch.clamp_min(torch.sqrt(self.adapt_variance.reshape(self._broadcast_shape)), backend.epsilon())
        return mean, scale

    def call(self, inputs):
        dtype = backend.torch_dtype(self.compute_dtype)
        if inputs.dtype != dtype:
            inputs = inputs.to(dtype)
        mean, scale = self._statistics(inputs.device)
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # ------------------------------------------------------------------ config

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return cls(**config)

    def get_build_config(self):
        if self._build_input_shape:
            return {"input_shape": self._build_input_shape}
        return None

    def build_from_config(self, config):
        if config and not self.built:
            self._maybe_build(tuple(config["input_shape"]))


def _extract_batch(batch):
    """``x`` of an ``(x, y)`` or ``(x, y, sample_weight)`` batch; the batch itself otherwise."""
    if isinstance(batch, (tuple, list)) and batch and hasattr(batch[0], "shape"):
        return batch[0]
    return batch


def _check_numeric(array, where):
    if array.dtype.kind not in "iufb":
        raise TypeError(
            f"{where} needs numbers, got data of dtype {array.dtype}. Encode text or categories first "
            "(StringLookup, IntegerLookup) and normalize only numeric features."
        )
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError(
            f"{where} data contain {int((~np.isfinite(array)).sum())} NaN or infinite values; the mean and "
            "variance would be NaN. Remove or fill them first (e.g. dropna() or fillna())."
        )


__all__ = ["Normalization"]
