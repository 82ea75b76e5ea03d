"""``Layer``: the base class of every layer and model.

A Layer is a ``torch.nn.Module`` that behaves like a Keras layer:

* it *builds on first call*: weights are created by ``build(input_shape)``
  the first time data (or a symbolic ``Input``) reaches it, so users give only
  output sizes (``Dense(10)``), never input sizes;
* its weights are :class:`Variable` objects (``torch.nn.Parameter``
  subclasses) in Keras's layout and order, so ``get_weights``/``set_weights``
  exchange numpy arrays with Keras unchanged;
* ``training`` and ``mask`` reach ``call()`` the way Keras passes them;
* ``get_config``/``from_config`` round-trip through Keras's config format.

Because it is an ``nn.Module``, a layer also works in plain PyTorch code:
``layer.parameters()``, ``layer.to("cuda")``, ``torch.compile(layer)``.
"""

import copy
import functools
import inspect
import threading

import numpy as np
import torch

from layerwise import backend, constraints, dtype_policies, initializers, regularizers
from layerwise.engine import nest
from layerwise.engine.symbolic import KerasTensor, Node, is_symbolic
from layerwise.saving import safety

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = ("none", "on_write", "on_read", "auto")


class Variable(torch.nn.Parameter):
    """A Keras variable: a ``torch.nn.Parameter`` with Keras's constructor and methods.

    Layer weights (``add_weight``) are Variables; you can also make your own,
    as with ``keras.Variable``. ``trainable`` variables get gradients;
    non-trainable ones (BatchNormalization's moving statistics) have
    ``requires_grad=False`` and are updated by their owner.

    Args:
        initializer: the initial value (a number, list, numpy array or
            tensor), or an initializer (a name such as ``"ones"``, an
            ``Initializer`` or a callable ``(shape, dtype)``), which then
            needs ``shape``.
        shape: the variable's shape (needed for an initializer).
        dtype: its dtype (default: the value's integer/bool dtype, else floatx).
        trainable: whether training updates it (whether it gets gradients).
        autocast: whether mixed-precision layers may read it in their compute
            dtype (kept for Keras; layerwise casts inside autocast regions).
        aggregation, synchronization: Keras's distribution settings, checked
            and kept (single-device here).
        name: its name (default ``"variable"``, ``"variable_1"``, ...).

    Example:

    >>> w = keras.Variable(initializer="ones", shape=(2, 2), name="w")
    >>> w.assign_sub(np.full((2, 2), 0.25))
    >>> w.numpy()
    array([[0.75, 0.75],
           [0.75, 0.75]], dtype=float32)
    >>> layer = layerwise.layers.Dense(3)
    >>> layer.build((None, 2))
    >>> layer.kernel.path, layer.kernel.shape
    ('dense/kernel', (2, 3))
    """

    def __new__(cls, initializer=None, shape=None, dtype=None, trainable=True, autocast=True,
                aggregation="none", synchronization="auto", name=None, *, requires_grad=None):
        aggregation = "none" if aggregation is None else aggregation
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"Variable: invalid aggregation {aggregation!r}; expected one of {_AGGREGATIONS}.")
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(
                f"Variable: invalid synchronization {synchronization!r}; expected one of {_SYNCHRONIZATIONS}."
            )
        data = _initial_value(initializer, shape, dtype)
        made_by_user = requires_grad is None  # as keras.Variable(...); layers name their weights themselves
        requires_grad = bool(trainable if made_by_user else requires_grad)
        if requires_grad and not (data.is_floating_point() or data.is_complex()):
            raise ValueError(
                f"Variable: a {backend.standardize_dtype(data.dtype)} variable cannot be trainable (only "
                "floating-point variables get gradients); pass trainable=False or a float dtype."
            )
        variable = super().__new__(cls, data, requires_grad)
        variable.autocast, variable.aggregation, variable.synchronization = bool(autocast), aggregation, \
            synchronization
        if made_by_user:
            name = name or backend.unique_name("variable")
            variable._set_keras_attributes(name, name, variable.requires_grad)
        return variable

    def _set_keras_attributes(self, name, path, trainable, regularizer=None, constraint=None):
        self._keras_name = name
        self.path = path
        self._created_trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def name(self):
        """The weight's name within its layer, e.g. ``'kernel'``."""
        return self.__dict__.get("_keras_name")

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, value):
        self.requires_grad_(bool(value))

    @property
    def shape(self):
        return tuple(super().shape)

    @property
    def value(self):
        return self

    def numpy(self, *, force=False):
        """A numpy copy of the values (a copy: later training does not change it).

        ``force`` is accepted for torch's ``Tensor.numpy(force=...)`` callers; the copy is always forced.
        """
        return self.detach().cpu().numpy().copy()

    def assign(self, value):
        """Overwrite the values in place (shape must match)."""
        return self._update_in_place(torch.Tensor.copy_, value)

    def assign_add(self, value):
        """Add ``value`` in place."""
        return self._update_in_place(torch.Tensor.add_, value)

    def assign_sub(self, value):
        """Subtract ``value`` in place."""
        return self._update_in_place(torch.Tensor.sub_, value)

    def _update_in_place(self, operation, value):
        with torch.no_grad():
            operation(self, backend.convert_to_tensor(value).to(self.dtype))
        return self

    def __deepcopy__(self, memo):
        result = type(self)(self.data.clone(memory_format=torch.preserve_format), requires_grad=self.requires_grad)
        memo[id(self)] = result
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_variable, (self.data, self.requires_grad, dict(self.__dict__)))

    def __repr__(self):
        return f"<Variable path={getattr(self, 'path', '?')}, shape={self.shape}, dtype={backend.standardize_dtype(self.dtype)}>"


def _initial_value(initializer, shape, dtype):
    """The tensor a Variable starts from: ``initializer`` drawn at ``shape``, or a value (checked against it)."""
    if isinstance(initializer, str) or callable(initializer):  # a name, an Initializer or a function
        if shape is None:
            raise ValueError(
                f"Variable: an initializer ({initializer!r}) needs a shape: pass shape=, e.g. "
                f"keras.Variable(initializer={initializer!r}, shape=(3,))."
            )
        shape = tuple(int(d) for d in shape)
        return initializers.get(initializer)(shape, dtype=dtype or backend.floatx())
    if initializer is None:
        raise ValueError("Variable needs an initial value or an initializer: keras.Variable(np.zeros(3)) or "
                         "keras.Variable(initializer='zeros', shape=(3,)).")
    if isinstance(initializer, (torch.Tensor, np.ndarray)):  # an array keeps its dtype, as in Keras
        value = torch.as_tensor(initializer).detach()
        value = value if dtype is None else value.to(backend.torch_dtype(dtype))
    else:  # Python numbers and lists: floats become floatx
        value = backend.convert_to_tensor(initializer, dtype=dtype)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"Variable: the initial value has shape {tuple(value.shape)} but shape={tuple(shape)} was given."
        )
    return value


def _rebuild_variable(data, requires_grad, attributes):
    variable = Variable(data, requires_grad=requires_grad)
    variable.__dict__.update(attributes)
    return variable


class InputSpec:
    """What a layer accepts: rank bounds and fixed sizes on some axes.

    A layer sets ``self.input_spec`` (usually in ``build``); every call is
    checked against it and a mismatch raises a ``ValueError`` naming the layer,
    the shape it got and the shape it expected.

    Example:

    >>> spec = layerwise.layers.InputSpec(min_ndim=2, axes={-1: 89})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def get_config(self):
        return {
            "dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim, "axes": self.axes,
        }


# Training-mode context: a layer called with an explicit ``training=`` passes it
# to every nested layer that is called without one (Keras's call context).
_call_context = threading.local()

def _read_call_signature(call):
    """``(takes training, takes mask, training's default)`` for a layer class's ``call``.

    Decided once per class (``Layer.__init_subclass__``) and read as the class
    attribute ``_call_facts``: torch.compile guards class attributes by the
    layer's type, so a compiled ``__call__`` never reuses one class's answer
    for another (a module-level cache keyed by class did, after a graph break).
    """
    params = inspect.signature(call).parameters
    default = params["training"].default if "training" in params else None
    return ("training" in params, "mask" in params, None if default is inspect.Parameter.empty else default)


def _shape_of(x):
    if isinstance(x, (KerasTensor, torch.Tensor)):
        return tuple(None if d is None else int(d) for d in x.shape)
    return tuple(np.shape(x))


def _convert_inputs(structure):
    return nest.map_structure(
        lambda leaf: leaf if isinstance(leaf, torch.Tensor) or leaf is None or isinstance(leaf, (bool, str))
        or backend.is_text_array(leaf) else backend.convert_to_tensor(leaf),
        structure,
    )


_LEGACY_INPUT_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights")


class Layer(torch.nn.Module):
    """Base class of all layers: subclass it and implement ``build`` and ``call``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: unique name; default is the snake-cased class name plus a counter
            (``dense``, ``dense_1``, ...).
        dtype: dtype of the weights and computations (default ``'float32'``).
        activity_regularizer: a regularizer applied to the layer's output; its
            penalty (divided by the batch size, as in Keras) joins ``losses``.
        input_shape / input_dim / batch_input_shape / batch_size: legacy ways
            to declare the input of the first layer of a ``Sequential`` model.

    Example:

    >>> class Scale(layerwise.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    ...     def call(self, x):
    ...         return x * self.w
    >>> Scale()(np.ones((2, 3))).shape
    torch.Size([2, 3])
    """

    _keras_module = "keras.layers"
    _call_facts = (False, False, None)  # Layer.call's own signature takes neither training nor mask

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])
        if "call" in cls.__dict__:
            cls._call_facts = _read_call_signature(cls.call)

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        super().__init__()
        unknown = {k: v for k, v in kwargs.items() if k not in _LEGACY_INPUT_KWARGS + ("input_length",)}
        if unknown:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {unknown}")
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Layer name {name!r} is not valid: a name is a string without '/'.")
        # Keras layers infer unless told otherwise; torch users may still call .train().
        self.training = False
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._dtype_policy = dtype_policies.get(dtype)
        self._dtype = self._dtype_policy.variable_dtype
        # A mixed policy runs call() under torch.autocast in this dtype; None for plain policies.
        self._compute_torch_dtype = None if self._dtype_policy.compute_dtype == "string" else \
            backend.torch_dtype(self._dtype_policy.compute_dtype)
        self._autocast_dtype = self._compute_torch_dtype if self._dtype_policy.is_mixed else None
        self.autocast = autocast
        self.built = False
        self.supports_masking = False
        self.input_spec = None
        self._accepted_shape = self._accepted_spec = None
        self._own_variables = []
        self._activity_losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._build_shape = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._batch_input_shape = self._legacy_input_shape(kwargs)
        self._initial_weights = kwargs.get("weights")

    @staticmethod
    def _legacy_input_shape(kwargs):
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        if kwargs.get("input_shape") is not None:
            shape = kwargs["input_shape"]
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            return (kwargs.get("batch_size"),) + shape
        if kwargs.get("input_dim") is not None:
            if kwargs.get("input_length") is not None:
                return (kwargs.get("batch_size"), kwargs["input_length"])
            return (kwargs.get("batch_size"), kwargs["input_dim"])
        return None

    # ------------------------------------------------------------------ attributes

    def __setattr__(self, name, value):
        # Keras tracks lists and dicts of layers assigned to a layer; torch needs containers.
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.nn.Module) for v in value):
            value = torch.nn.ModuleList(value)
        elif isinstance(value, dict) and value and all(isinstance(v, torch.nn.Module) for v in value.values()):
            value = torch.nn.ModuleDict(value)
        elif isinstance(value, Variable) and any(value is v for v in self.__dict__.get("_own_variables", ())):
            # `self.w = self.add_weight(name="kernel")`: already registered as a parameter. The name
            # resolves through torch's parameter lookup (never the instance dict), so that
            # torch.func.functional_call and torch.export can substitute the weight.
            key = next(k for k, p in self._parameters.items() if p is value)
            self.__dict__.pop(name, None)
            if key != name:
                self.__dict__.setdefault("_weight_aliases", {})[name] = key
            return
        super().__setattr__(name, value)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    __str__ = __repr__

    @property
    def dtype(self):
        """The dtype name of the layer's weights, e.g. ``'float32'``."""
        return self._dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations: ``'float16'`` under ``mixed_float16``."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights (float32 under a mixed policy)."""
        return self._dtype

    @property
    def dtype_policy(self):
        """The layer's :class:`~layerwise.dtype_policies.DTypePolicy`."""
        return self._dtype_policy

    # ------------------------------------------------------------------ weights

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create a weight, register it with the layer and return it.

        Args:
            shape: shape tuple (default ``()``); every entry must be known.
            initializer: name or initializer object; default ``'glorot_uniform'``
                for float weights, ``'zeros'`` otherwise.
            dtype: default the layer's dtype.
            trainable: ``False`` for weights the layer updates itself.
            regularizer: penalty added to ``losses`` (and so to the training loss).
            constraint: projection applied after each optimizer step.
            name: the weight's name, e.g. ``'kernel'``; ``weight.path`` is ``'<layer>/<name>'``.
        """
        shape = () if shape is None else tuple(int(d) if d is not None else None for d in shape)
        if any(d is None or d < 0 for d in shape):
            raise ValueError(
                f"Layer '{self.name}' tried to create weight {name!r} with shape {shape}; "
                "every dimension of a weight must be a known non-negative size."
            )
        dtype = backend.standardize_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith(("float", "bfloat")) else "zeros"
        initializer = initializers.get(initializer)
        # A model built from a file's config must not allocate whatever size the file declares.
        safety.check_allocation(shape, backend.torch_dtype(dtype).itemsize,
                                f"{type(self).__name__} '{self.name}' weight '{name or 'variable'}'")
        with torch.no_grad():
            value = torch.as_tensor(initializer(shape, dtype=dtype), device=backend.device())
            value = value.to(backend.torch_dtype(dtype)).reshape(shape)
        name = name or "variable"
        variable = Variable(value, requires_grad=bool(trainable) and self._trainable)
        variable._set_keras_attributes(
            name, f"{self.name}/{name}", bool(trainable),
            regularizers.get(regularizer), constraints.get(constraint),
        )
        if self.__dict__.get(name, 0) is None:
            del self.__dict__[name]  # `self.bias = None` set earlier, now replaced by the weight
        attribute = name
        suffix = 0
        while attribute in self._parameters or (attribute in self.__dict__) or attribute in self._modules:
            suffix += 1
            attribute = f"{name}_{suffix}"
        self.register_parameter(attribute, variable)
        self._own_variables.append(variable)
        return variable

    def _sublayers(self):
        """Direct child layers in assignment order (through ModuleList/ModuleDict containers)."""
        found = []
        for module in self._modules.values():
            if isinstance(module, Layer):
                found.append(module)
            elif isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict)):
                children = module.values() if isinstance(module, torch.nn.ModuleDict) else module
                found.extend(child for child in children if isinstance(child, Layer))
        return found

    def _flatten_layers(self, include_self=True):
        """This layer and every nested layer, each once, depth first."""
        seen, ordered = set(), []

        def visit(layer):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            ordered.append(layer)
            for child in layer._sublayers():
                visit(child)

        visit(self)
        return ordered if include_self else ordered[1:]

    @property
    def weights(self):
        """All weights, Keras's order: own trainable, own non-trainable, then nested layers'."""
        own = [v for v in self._own_variables if v._created_trainable]
        own += [v for v in self._own_variables if not v._created_trainable]
        result, seen = [], set()
        for variable in own + [w for child in self._sublayers() for w in child.weights]:
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        return result

    variables = weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if w.requires_grad]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.requires_grad]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        """Whether training updates this layer; setting it applies to every nested layer."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for variable in layer._own_variables:
                if variable._created_trainable:
                    variable.requires_grad_(value)

    def get_weights(self):
        """The weights as numpy arrays, in the order and layout Keras uses."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Replace the weights with numpy arrays (Keras's order and layout; shapes are checked)."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            expected = ", ".join(f"{w.name} {w.shape}" for w in own) or "none"
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weights ({expected}), but set_weights "
                f"received {len(weights)}. Pass the list that get_weights() returns for this layer."
            )
        for variable, value in zip(own, weights):
            if tuple(np.shape(value)) != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{variable.name}' has shape {variable.shape}, but "
                    f"set_weights received an array of shape {tuple(np.shape(value))}."
                )
        for variable, value in zip(own, weights):
            variable.assign(value)

    def count_params(self):
        """The number of scalars in all weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer '{self.name}', but the layer isn't built. "
                "Build it first: call it on data, give the model an Input, or call layer.build(input_shape)."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ------------------------------------------------------------------ losses

    def add_loss(self, loss):
        """Add a loss tensor (from ``call``) to ``losses``; it is added to the training loss."""
        self._activity_losses.append(loss)

    @property
    def losses(self):
        """Weight regularization penalties and activity losses of this layer and nested layers."""
        result = []
        for layer in self._flatten_layers():
            result.extend(layer._activity_losses)
            for variable in layer._own_variables:
                if variable.regularizer is not None:
                    result.append(variable.regularizer(variable))
        return result

    # ------------------------------------------------------------------ building and calling

    def build(self, input_shape):
        """Create the weights for ``input_shape``; layers without weights need not override it."""
        self.built = True

    def _maybe_build(self, input_shapes):
        if self.built:
            return
        shapes = input_shapes[0] if isinstance(input_shapes, list) and len(input_shapes) == 1 and \
            not getattr(self, "_expects_list_input", False) else input_shapes
        self._build_shape = shapes
        self.build(shapes)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, *args, **kwargs):
        """The computation: override it. Receives torch tensors, returns torch tensors."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (``None`` for unknown sizes)."""
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        """The mask of the output: the input mask if the layer supports masking, else ``None``."""
        return mask if self.supports_masking else None

    def _check_input(self, inputs):
        spec = self.input_spec
        if spec is None:
            return
        specs = spec if isinstance(spec, (list, tuple)) else [spec]
        tensors = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(specs) > 1 and len(specs) != len(tensors):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {len(specs)} inputs, got {len(tensors)}."
            )
        for spec, tensor in zip(specs, tensors):
            if spec is None or tensor is None:
                continue
            shape = _shape_of(tensor)
            rank = len(shape)
            where = f"{type(self).__name__} '{self.name}'"
            if spec.ndim is not None and rank != spec.ndim:
                raise ValueError(
                    f"{where} expects inputs of rank {spec.ndim}, got rank {rank} (shape {shape})."
                    + self._input_hint(shape)
                )
            if spec.min_ndim is not None and rank < spec.min_ndim:
                raise ValueError(
                    f"{where} expects inputs with at least {spec.min_ndim} dimensions, "
                    f"got shape {shape}." + self._input_hint(shape)
                )
            if spec.max_ndim is not None and rank > spec.max_ndim:
                raise ValueError(
                    f"{where} expects inputs with at most {spec.max_ndim} dimensions, got shape {shape}."
                )
            for axis, size in spec.axes.items():
                if size is None or -rank > axis or axis >= rank:
                    continue
                if shape[axis] is not None and shape[axis] != size:
                    if axis == -1 or axis == rank - 1:
                        # Rank 2 is a table: its last dimension is the data's columns.
                        hint = " — does your data have the same columns as the data the model was built for?" \
                            if rank == 2 else "." + self._input_hint(shape)
                        raise ValueError(
                            f"{where} expects inputs with last dimension {size}, got {shape[axis]} "
                            f"(input shape {shape}){hint}"
                        )
                    raise ValueError(
                        f"{where} expects inputs with dimension {size} on axis {axis}, "
                        f"got {shape[axis]} (input shape {shape})."
                    )

    def _input_hint(self, shape):
        """A layer-specific suggestion appended to input-shape errors (none by default)."""
        return ""

    def __call__(self, *args, **kwargs):
        if not args:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        inputs = args[0]
        if not isinstance(inputs, torch.Tensor):
            if is_symbolic(inputs):
                return self._symbolic_call(*args, **kwargs)
            if backend.is_number_list(inputs):  # one array written as a Python list, not a list of inputs
                inputs = backend.number_list_to_array(inputs, f"{type(self).__name__} '{self.name}'")
            inputs = _convert_inputs(inputs)
            args = (inputs,) + args[1:]
        if not self.built:
            if self.input_spec is not None:  # a spec set in __init__ refuses bad input before build
                self._check_input(inputs)
            self._maybe_build(nest.map_structure(_shape_of, inputs))
        # As Keras, a layer computes in its own dtype: float inputs of another float dtype are cast.
        if self.autocast and self._compute_torch_dtype is not None and self._compute_torch_dtype.is_floating_point:
            if inputs.__class__ is torch.Tensor:
                if inputs.dtype is not self._compute_torch_dtype and inputs.is_floating_point():
                    inputs = _cast_float(inputs, self._compute_torch_dtype)
                    args = (inputs,) + args[1:]
            elif isinstance(inputs, (list, tuple)):
                inputs = nest.map_structure(lambda t: _cast_float(t, self._compute_torch_dtype), inputs)
                args = (inputs,) + args[1:]
        # A tensor of the shape last accepted under the same spec passes without a second check.
        if not (inputs.__class__ is torch.Tensor and inputs.shape == self._accepted_shape
                and self.input_spec is self._accepted_spec):
            self._check_input(inputs)
            if inputs.__class__ is torch.Tensor:
                self._accepted_shape, self._accepted_spec = inputs.shape, self.input_spec

        takes_training, takes_mask, default_training = self._call_facts
        training = kwargs.pop("training", None)
        if training is None:
            training = getattr(_call_context, "training", None)
            if training is None and self.training:  # torch's model.train()
                training = True
        # As in Keras: what nobody decided stays undecided for nested layers, and each layer
        # falls back to its own call() default (RandomFlip augments, Dropout does not).
        context_training = training
        if training is None:
            training = default_training
        if takes_training:
            kwargs["training"] = training
        mask = kwargs.pop("mask", None)
        if mask is None:
            mask = _collect_mask(inputs)
        elif not isinstance(mask, torch.Tensor):
            mask = _as_mask(mask)
        if takes_mask and mask is not None:
            kwargs["mask"] = mask

        outer = getattr(_call_context, "training", None)
        _call_context.training = context_training
        outer_autocast = getattr(_call_context, "autocast", None)
        try:
            if self._activity_losses:
                self._activity_losses = []
            if self._autocast_dtype is outer_autocast:
                outputs = super().__call__(*args, **kwargs)
            else:  # entering (or, for a float32 layer, leaving) a mixed-precision region
                outputs = self._call_in_precision(args, kwargs, outer_autocast)
        finally:
            _call_context.training = outer

        if self.activity_regularizer is not None:
            for output in nest.flatten(outputs):
                batch = output.shape[0] if output.ndim else 1
                self._activity_losses.append(self.activity_regularizer(output) / batch)
        if mask is not None or self.supports_masking and type(self).compute_mask is not Layer.compute_mask:
            output_mask = self.compute_mask(inputs, mask)
            if output_mask is not None:
                for output, leaf_mask in _pair_masks(outputs, output_mask):
                    output._keras_mask = leaf_mask
        return outputs

    def _call_in_precision(self, args, kwargs, outer_autocast):
        """Run ``call`` inside (or, for a full-precision layer, outside) a torch.autocast region."""
        compute = self._compute_torch_dtype
        device_type = next((t.device.type for t in nest.flatten(args[0]) if isinstance(t, torch.Tensor)), "cpu")
        _call_context.autocast = self._autocast_dtype
        try:
            with torch.autocast(device_type, dtype=self._autocast_dtype or compute,
                                enabled=self._autocast_dtype is not None):
                return super().__call__(*args, **kwargs)
        finally:
            _call_context.autocast = outer_autocast

    def _symbolic_call(self, *args, **kwargs):
        inputs = args[0]
        input_shapes = nest.map_structure(_shape_of, inputs)
        if not self.built:
            self._maybe_build(input_shapes)
        self._check_input(inputs)
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs (KerasTensors) for symbolic inputs, without computing anything.

        Uses ``compute_output_shape``; a layer that does not implement it is run
        once (twice if some sizes are unknown) on small tensors instead.
        """
        inputs = args[0]
        input_shapes = nest.map_structure(_shape_of, inputs)
        try:
            output_shapes = self.compute_output_shape(input_shapes)
        except NotImplementedError:
            return self._trace_output_spec(args, kwargs)
        return _symbolic_tensors(output_shapes, self.compute_dtype)

    def _trace_output_spec(self, args, kwargs):
        has_unknown = any(
            None in leaf.shape for leaf in nest.flatten((args, kwargs)) if isinstance(leaf, KerasTensor)
        )

        def run(fill):
            def concrete(leaf):
                if not isinstance(leaf, KerasTensor):
                    return leaf
                shape = [fill if d is None else d for d in leaf.shape]
                return torch.ones(shape, dtype=backend.torch_dtype(leaf.dtype), device=backend.device())

            concrete_args = nest.map_structure(concrete, args)
            concrete_kwargs = nest.map_structure(concrete, kwargs)
            concrete_kwargs.pop("training", None)
            with torch.no_grad():
                return Layer.__call__(self, *concrete_args, training=False, **concrete_kwargs)

        first = run(5)
        second = run(7) if has_unknown else first

        def to_symbolic(a, b):
            shape = tuple(None if da != db else da for da, db in zip(a.shape, b.shape))
            return KerasTensor(shape, dtype=backend.standardize_dtype(a.dtype))

        flat = [to_symbolic(a, b) for a, b in zip(nest.flatten(first), nest.flatten(second))]
        return nest.pack_like(first, flat)

    # ------------------------------------------------------------------ graph properties

    _GRAPH_ATTRIBUTES = ("input", "output", "input_shape", "output_shape")

    def _no_graph_message(self, attribute):
        return (
            f"Layer '{self.name}' has never been called on symbolic inputs, so it has no "
            f"{attribute}. Call it on layerwise.Input(...) first, or build the model with an Input."
        )

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            aliases = self.__dict__.get("_weight_aliases")
            if aliases and name in aliases:
                return self._parameters[aliases[name]]
            # A property that raised AttributeError lands here; keep its explanation.
            if name in Layer._GRAPH_ATTRIBUTES:
                raise AttributeError(self._no_graph_message(name)) from None
            raise

    def _node_tensor(self, attribute):
        if not self._inbound_nodes:
            raise AttributeError(self._no_graph_message(attribute))
        node = self._inbound_nodes[0]
        if attribute == "input":
            tensors = node.input_tensors
        else:
            tensors = node.output_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def input(self):
        """The symbolic input tensor(s) of the layer's first call in a model."""
        return self._node_tensor("input")

    @property
    def output(self):
        """The symbolic output tensor(s) of the layer's first call in a model."""
        return self._node_tensor("output")

    @property
    def input_shape(self):
        return nest.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return nest.map_structure(lambda t: t.shape, self.output)

    # ------------------------------------------------------------------ config

    def get_config(self):
        """The constructor arguments, as Keras writes them (subclasses add theirs)."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy)}
        if self._batch_input_shape is not None and not self.built:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config):
        """Create a layer from a ``get_config()`` dict."""
        return cls(**config)

    def get_build_config(self):
        if self._build_shape is not None:
            return {"input_shape": self._build_shape}
        return None

    def build_from_config(self, config):
        if config and "input_shape" in config and not self.built:
            self._maybe_build(config["input_shape"])


def _marks_built(build):
    """Wrap a subclass's ``build`` so that calling it directly also marks the layer built."""

    @functools.wraps(build)
    def wrapper(self, input_shape=None, *args, **kwargs):
        build(self, input_shape, *args, **kwargs)
        self.built = True
        if self._build_shape is None:
            self._build_shape = input_shape

    return wrapper


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _as_mask(mask):
    """A mask given as a numpy array (or list) becomes a boolean tensor on the compute device."""
    if mask is None or isinstance(mask, torch.Tensor):
        return mask
    if isinstance(mask, (list, tuple)) and any(m is None or isinstance(m, (torch.Tensor, np.ndarray))
                                               for m in mask):
        return [_as_mask(m) for m in mask]  # one mask per input
    return torch.as_tensor(np.asarray(mask, dtype=bool), device=backend.device())


def _cast_float(tensor, dtype):
    if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and tensor.dtype != dtype:
        cast = tensor.to(dtype)
        mask = getattr(tensor, "_keras_mask", None)
        if mask is not None:
            cast._keras_mask = mask
        return cast
    return tensor


def _symbolic_tensors(shapes, dtype):
    """KerasTensors for a shape tuple, or for a list/tuple/dict of shape tuples."""
    if _is_shape(shapes):
        return KerasTensor(shapes, dtype=dtype)
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_symbolic_tensors(item, dtype) for item in shapes)
    if isinstance(shapes, dict):
        return {key: _symbolic_tensors(item, dtype) for key, item in shapes.items()}
    raise TypeError(f"compute_output_shape returned {shapes!r}, which is not a shape tuple.")


def _collect_mask(inputs):
    if isinstance(inputs, torch.Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        return None if all(m is None for m in masks) else masks
    return None


def _pair_masks(outputs, mask):
    flat_outputs = nest.flatten(outputs)
    masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(flat_outputs)
    return [(o, m) for o, m in zip(flat_outputs, masks) if isinstance(o, torch.Tensor) and m is not None]
