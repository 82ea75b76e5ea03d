"""``CategoryEncoding``: integer category indices to one-hot, multi-hot or count vectors."""

import torch

from layerwise import backend
from layerwise.engine.symbolic import KerasTensor
from layerwise.layers.preprocessing._preprocessing_utils import (
    ArrayInputLayer,
    categorical_output_shape,
    encode_categorical,
)
from layerwise.layers.preprocessing.index_lookup import refuse_sparse
from layerwise.saving.registry import builtin


@builtin("layers")
class CategoryEncoding(ArrayInputLayer):
    """A preprocessing layer which encodes integer features.

    Inputs are integer indices in ``[0, num_tokens)`` (use ``IntegerLookup``
    or ``StringLookup`` first for other values); an index outside that range
    raises a ``ValueError`` naming it.

    Args:
        num_tokens: the number of categories: the size of the output vectors.
        output_mode: ``'multi_hot'`` (default: one vector per sample with a 1
            for each index present; the sample axis is the last axis of a
            2D input), ``'one_hot'`` (one vector per index; a trailing axis of
            size 1 is replaced) or ``'count'`` (like ``'multi_hot'`` with
            counts). ``'binary'`` is the old spelling of ``'multi_hot'``.
        sparse: must be ``False``: layerwise returns dense tensors.
        dtype: the output dtype (default float32).
        name: the layer's name.

    Call arguments:
        inputs: integer indices, rank 1 or 2 (a scalar is one index).
        count_weights: with ``'count'``: a weight per input index, summed
            instead of counting 1s.

    Example:

    >>> layer = layerwise.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    >>> layer([3, 2, 0, 1])
    tensor([[0., 0., 0., 1.],
            [0., 0., 1., 0.],
            [1., 0., 0., 0.],
            [0., 1., 0., 0.]])
    >>> layerwise.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 1], [0, 0], [1, 2], [3, 1]])
    tensor([[1., 1., 0., 0.],
            [1., 0., 0., 0.],
            [0., 1., 1., 0.],
            [0., 1., 0., 1.]])
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                f"Unknown arg for output_mode: {output_mode}. CategoryEncoding accepts 'one_hot', "
                "'multi_hot' or 'count'."
            )
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not known beforehand, "
                "use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            refuse_sparse("CategoryEncoding")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = backend.convert_to_tensor(count_weights, dtype=self.compute_dtype)
        if inputs.is_floating_point():
            whole = torch.round(inputs) == inputs
            if not bool(whole.all()):
                bad = inputs[~whole].reshape(-1)[0].item()
                raise ValueError(
                    f"CategoryEncoding '{self.name}' expects integer category indices, got {bad}. Round or map "
                    "the values to integers first."
                )
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype,
                                  count_weights=count_weights,
                                  check_range=f"CategoryEncoding '{self.name}'")

    def compute_output_shape(self, input_shape):
        return categorical_output_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None, **kwargs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


__all__ = ["CategoryEncoding"]
