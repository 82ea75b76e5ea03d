"""``Discretization``: continuous values to bucket indices (given boundaries or learned quantiles)."""

import numpy as np
import torch

from layerwise.engine.symbolic import KerasTensor
from layerwise.layers.preprocessing._preprocessing_utils import (
    ArrayInputLayer,
    adapt_batches,
    encode_categorical,
)
from layerwise.layers.preprocessing.index_lookup import refuse_sparse, validate_output_mode
from layerwise.saving.registry import builtin


@builtin("layers")
class Discretization(ArrayInputLayer):
    """A preprocessing layer which buckets continuous features by ranges.

    With boundaries ``[b0, b1, ..., bn]``, a value ``x`` goes to bucket 0 if
    ``x < b0``, bucket ``i`` if ``b(i-1) <= x < bi`` and bucket ``n + 1`` if
    ``x >= bn``. The boundaries are given (``bin_boundaries``) or learned as
    approximate quantiles with ``adapt()`` (``num_bins``), with Keras's
    algorithm, so the same data give the same boundaries.

    Args:
        bin_boundaries: a sorted list of boundaries (``len + 1`` buckets).
        num_bins: the number of buckets ``adapt()`` learns (instead of
            ``bin_boundaries``).
        epsilon: the error tolerance of the learned quantiles (default 0.01);
            smaller is more exact and uses more memory.
        output_mode: ``'int'`` (default: int32 bucket indices), ``'one_hot'``,
            ``'multi_hot'`` or ``'count'`` (float vectors of size ``num_bins``).
        sparse: must be ``False``: layerwise returns dense tensors.
        dtype: the float dtype of encoded outputs (default float32).
        name: the layer's name.

    Example:

    >>> layer = layerwise.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    tensor([[0, 2, 3, 1],
            [1, 3, 2, 1]], dtype=torch.int32)
    >>> layer = layerwise.layers.Discretization(num_bins=4, epsilon=0.01)
    >>> layer.adapt(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    >>> layer.bin_boundaries
    [0.0, 0.5, 1.2999999523162842]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            refuse_sparse("Discretization")
        output_mode = validate_output_mode(output_mode, "Discretization", ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. "
                f"Received: `num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if any(b > a for b, a in zip(bin_boundaries, bin_boundaries[1:])):
                raise ValueError(
                    f"Discretization `bin_boundaries` must be sorted in increasing order, got {bin_boundaries}."
                )
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def output_dtype(self):
        return self.compute_dtype if self.output_mode != "int" else "int32"

    # ------------------------------------------------------------------ adapt

    def adapt(self, data, steps=None):
        """Learns ``num_bins`` bucket boundaries (approximate quantiles) from ``data``.

        Args:
            data: a numpy array, a tensor, or an iterable of batches (a list of
                arrays, a generator).
            steps: with an iterable, read at most this many batches.
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, use "
                "`num_bins` instead."
            )
        self.reset_state()
        if isinstance(data, (list, tuple)):
            if data and all(isinstance(b, (np.ndarray, torch.Tensor)) for b in data):
                data = iter(data)  # a list of arrays: batches, as in Keras
            else:
                data = np.asarray(data)  # a list of numbers is one batch (Keras would iterate its items)
        batches, _ = adapt_batches(data, steps, f"Discretization '{self.name}'")
        seen = 0
        for batch in batches:
            seen += self._update(batch)
        if not seen:
            raise ValueError(
                f"Discretization '{self.name}'.adapt() got no values, so there are no quantiles to learn."
            )
        self.finalize_state()

    def _update(self, data):
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        data = np.asarray(data).astype("float32")
        if data.size and not np.all(np.isfinite(data)):
            raise ValueError(
                f"Discretization '{self.name}'.adapt() data hold {int((~np.isfinite(data)).sum())} NaN or "
                "infinite values; remove or fill them first."
            )
        if data.size:
            self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary, self.epsilon)
        return data.size

    def update_state(self, data):
        """Adds one batch to the quantile summary (used by ``adapt``)."""
        self._update(data)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _get_bin_boundaries(self.summary, self.num_bins).tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    # ------------------------------------------------------------------ calling

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time or call "
                f"`adapt(dataset)` before you can start using the `Discretization` layer '{self.name}'."
            )
        boundaries = torch.as_tensor(self.bin_boundaries, dtype=torch.float32, device=inputs.device)
        if inputs.dtype == torch.bool:
            inputs = inputs.to(torch.uint8)
        values = inputs if inputs.dtype == torch.float32 else inputs.to(torch.float32)
        indices = torch.bucketize(values, boundaries, right=True).to(torch.int32)
        if self.output_mode == "int":
            return indices
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, self.output_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if input_shape and len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    # ------------------------------------------------------------------ config

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # After adapt() both are set; the constructor takes only one, so the boundaries go in after.
            bin_boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in bin_boundaries]
            return layer
        return cls(**config)

    def load_own_variables(self, store):
        if len(store) == 1:  # Keras's legacy format kept the summary as a variable
            self.summary = np.asarray(store["0"])


# Keras's streaming quantile sketch (numpy): a summary is a 2 x k array of values and weights.

def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    elements = np.size(values)
    num_buckets = 1.0 / epsilon
    increment = elements / num_buckets
    step = max(increment, 1)
    start = step - 1
    boundaries = values[int(start)::int(step)]
    weights = np.ones_like(boundaries) * step
    return np.stack([boundaries, weights])


def _merge_summaries(previous, following, epsilon):
    merged = np.concatenate((previous, following), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _get_bin_boundaries(summary, num_bins):
    return _compress_summary(summary, 1.0 / num_bins)[0, :-1]


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


__all__ = ["Discretization"]
