"""Dtype policies: which dtype a layer keeps its weights in and which it computes in.

A policy is named by a dtype (``"float32"``, ``"bfloat16"``, ...) — weights
and computations both in that dtype — or by ``"mixed_float16"`` /
``"mixed_bfloat16"``: weights stay float32 (so small updates are not lost),
computations run in 16 bits (about twice as fast on GPUs with tensor cores,
half the activation memory). Layers take their policy from ``dtype=`` or, by
default, from the global policy set with :func:`set_dtype_policy` (also
spelled ``layerwise.mixed_precision.set_global_policy``).

In layerwise a mixed layer runs its ``call`` under ``torch.autocast``, which
picks per operation whether 16 bits are safe (matrix products and
convolutions) or float32 is needed (softmax, reductions); losses are always
computed in float32, as in Keras.

Example:

>>> import layerwise as keras
>>> keras.mixed_precision.set_global_policy("mixed_bfloat16")
>>> layer = keras.layers.Dense(4)
>>> layer.dtype_policy
<DTypePolicy "mixed_bfloat16">
>>> layer.compute_dtype, layer.variable_dtype
('bfloat16', 'float32')
>>> keras.mixed_precision.set_global_policy("float32")
"""

from layerwise import backend

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_global_policy = None


class DTypePolicy:
    """The dtypes a layer uses for its variables and its computations.

    Args:
        name: ``"float32"`` (or any dtype name: weights and computations in
            that dtype), ``"mixed_float16"`` or ``"mixed_bfloat16"`` (float32
            weights, 16-bit computations). ``None`` means ``floatx()``.

    Attributes:
        name: the policy's name.
        compute_dtype: the dtype of the layer's computations and outputs.
        variable_dtype: the dtype of the layer's weights.

    Example:

    >>> policy = DTypePolicy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')
    >>> layerwise.layers.Dense(10, dtype=policy).compute_dtype
    'float16'
    """

    def __init__(self, name=None):
        if name is None:
            name = backend.floatx()
        if not isinstance(name, str):
            raise TypeError(f"A DTypePolicy is named by a string such as 'mixed_float16'; got {name!r}.")
        if name in _MIXED:
            self._compute_dtype, self._variable_dtype = _MIXED[name], "float32"
        elif name == "string":  # Input(dtype="string"): texts that stay on the host for TextVectorization
            self._compute_dtype = self._variable_dtype = "string"
        else:
            try:
                dtype = backend.standardize_dtype(name)
            except ValueError:
                raise ValueError(
                    f"Unknown dtype policy {name!r}: use a dtype name such as 'float32' or "
                    "'bfloat16', or 'mixed_float16' / 'mixed_bfloat16'."
                ) from None
            self._compute_dtype = self._variable_dtype = dtype
            name = dtype
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def is_mixed(self):
        """Whether computations run in a lower precision than the weights are kept in."""
        return self._compute_dtype != self._variable_dtype

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


def serialize(policy):
    """The Keras 3 config of a policy, as layer configs hold it under ``"dtype"``."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def get(identifier):
    """A :class:`DTypePolicy` from a policy, a name, a dtype, a serialized config, or ``None`` (global)."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):  # a serialized policy (Keras 3), possibly a Keras 2 "Policy"
        return DTypePolicy(identifier.get("config", {}).get("name"))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    return DTypePolicy(backend.standardize_dtype(identifier))


def set_dtype_policy(policy):
    """Set the policy of layers created from now on without their own ``dtype=``.

    ``policy`` is a :class:`DTypePolicy` or its name; ``None`` goes back to ``floatx()``.

    Example:

    >>> layerwise.mixed_precision.set_global_policy("mixed_float16")
    """
    global _global_policy
    _global_policy = None if policy is None else get(policy)


def dtype_policy():
    """The global policy new layers take (``floatx()`` unless :func:`set_dtype_policy` changed it)."""
    return _global_policy or DTypePolicy(backend.floatx())


__all__ = ["DTypePolicy", "dtype_policy", "get", "serialize", "set_dtype_policy"]
