"""Embedding: integer ids to dense vectors."""

import torch
import torch.nn.functional as F

from layerwise import constraints, initializers, regularizers
from layerwise.engine.layer import Layer
from layerwise.saving.registry import builtin

# Index dtypes torch's embedding kernel takes as they are; anything else is cast once.
_INDEX_DTYPES = (torch.int32, torch.int64)


@builtin("layers")
class Embedding(Layer):
    """Turns nonnegative integers (indexes) into dense vectors of fixed size.

    e.g. ``[[4], [20]] -> [[0.25, 0.1], [0.6, -0.2]]``

    The layer holds one weight, ``embeddings``, of shape
    ``(input_dim, output_dim)``: row ``i`` is the vector of id ``i``. Inputs
    may be any integer dtype, or floats holding whole numbers (they are cast,
    as Keras does). Ids must lie in ``[0, input_dim)``: on the CPU an id
    outside that range raises a ``ValueError`` naming the layer and the
    offending value; on a GPU the check is torch's own device-side assertion
    (checking every batch ahead of time would stall the device each step).

    Args:
        input_dim: size of the vocabulary, i.e. the largest id + 1.
        output_dim: size of each embedding vector.
        embeddings_initializer: initializer of the ``embeddings`` matrix
            (default ``'uniform'``: uniform in ``[-0.05, 0.05]``).
        embeddings_regularizer: penalty on the ``embeddings`` matrix, added
            to the model's loss.
        embeddings_constraint: projection applied to the ``embeddings``
            matrix after each optimizer step.
        mask_zero: whether id 0 is a padding value to be masked out. The
            layer then outputs a mask (``inputs != 0``) that masking-aware
            layers downstream (``LSTM``, ``GRU``, ``Bidirectional``, ...) use to
            skip padded steps. Id 0 can then not be a word of the vocabulary:
            ``input_dim`` should be the vocabulary size + 1.
        weights: optional initial embeddings, an array of shape
            ``(input_dim, output_dim)`` (or a list holding one).
        lora_rank: not supported by layerwise; must be ``None``.
        input_length: Keras 2 argument, accepted for old code: on the first
            layer of a ``Sequential`` model it declares the input shape
            ``(batch, input_length)``; it is ignored otherwise.

    Input shape: ``(batch_size, ...)`` of integer ids, usually
    ``(batch_size, sequence_length)``.

    Output shape: ``(batch_size, ..., output_dim)``, float (the layer's dtype).

    Example:

    >>> model = layerwise.Sequential([
    ...     layerwise.Input(shape=(10,), dtype="int32"),
    ...     layerwise.layers.Embedding(1000, 64),
    ... ])
    >>> model.output_shape
    (None, 10, 64)
    >>> model.predict(np.random.randint(1000, size=(32, 10)), verbose=0).shape
    (32, 10, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        input_length = kwargs.get("input_length")
        super().__init__(**kwargs)
        for argument, value, meaning in (
            ("input_dim", input_dim, "the vocabulary size (largest id + 1)"),
            ("output_dim", output_dim, "the size of each embedding vector"),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Embedding '{self.name}': `{argument}` must be a positive integer, got "
                    f"{value!r} (of type {type(value).__name__}). It is {meaning}, e.g. "
                    "Embedding(10000, 32)."
                )
        if lora_rank is not None:
            raise ValueError(
                f"Embedding '{self.name}' got lora_rank={lora_rank!r}, but layerwise does not "
                "support LoRA. Remove lora_rank (and lora_alpha) to train the full embeddings."
            )
        if quantization_config is not None:
            raise ValueError(
                f"Embedding '{self.name}' got a quantization_config, but layerwise does not "
                "support quantized embeddings. Remove quantization_config."
            )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.lora_rank = None
        self.lora_alpha = None
        self.autocast = False
        if input_length is not None and self._batch_input_shape is None:
            # Keras 2: `Embedding(10000, 32, input_length=100)` as a first layer fixes the input shape.
            self._batch_input_shape = (kwargs.get("batch_size"), int(input_length))
        if weights is not None:
            self.build()
            if not (isinstance(weights, (list, tuple)) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            name="embeddings", regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def call(self, inputs):
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.long()  # float ids (e.g. from a float Input), bool, int8/16, uint8
        try:
            return F.embedding(inputs, self.embeddings)
        except IndexError:
            raise ValueError(self._out_of_range_message(inputs)) from None

    def _out_of_range_message(self, inputs):
        # Only reached once torch has already failed, so reading the values costs nothing extra.
        low, high = int(inputs.min()), int(inputs.max())
        bad = low if low < 0 else high
        return (
            f"Embedding '{self.name}' got id {bad}, but its ids must lie in [0, {self.input_dim}) "
            f"(input_dim={self.input_dim}; the batch holds ids from {low} to {high}). Increase "
            "input_dim to the vocabulary size + 1, or check the tokenizer's num_words / the "
            "padding value."
        )

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }


__all__ = ["Embedding"]
