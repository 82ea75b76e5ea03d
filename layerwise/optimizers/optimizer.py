"""``Optimizer``: the base class of layerwise's optimizers (``keras.optimizers.Optimizer``).

An optimizer updates a list of weights (``torch.nn.Parameter``s, usually a
model's ``trainable_weights``) from their gradients, exactly as Keras 3 does
on its torch backend: the same clipping, the same decoupled weight decay, the
same moving averages, the same order of operations, the same state variables
(so optimizer state in ``.keras`` files lines up position by position).

The update runs on the training hot path, so it is written for speed:

* everything that depends only on the list of weights (which weights are
  decayed, which carry a constraint, the state tensors that go with them) is
  decided once, when the optimizer is built, not at every step;
* the iteration count and the hyper-parameters are Python numbers, so a step
  never waits for the device (no ``.item()``, no ``float(tensor)``);
* the arithmetic uses ``torch._foreach_*`` ops over all weights at once.
"""

import math
import numbers
import os
import re
import struct
import sys
import warnings

import numpy as np
import torch

from layerwise import backend, initializers
from layerwise.engine.layer import Variable
from layerwise.optimizers import schedules as schedules_module
from layerwise.saving import registry
from layerwise.saving.serialization import serialize_keras_object

_CATEGORY = "optimizers"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# Keras 2 config keys that Keras 3 no longer has; configs from old files may carry them.
_LEGACY_CONFIG_KEYS = ("jit_compile", "is_legacy_optimizer")


# ---------------------------------------------------------------------- argument checks


def _is_number(value):
    if isinstance(value, torch.Tensor):
        return value.ndim == 0 and value.dtype.is_floating_point
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "fiu"
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(owner, name, value, allowed, ok, none_ok=False):
    """Return ``value`` as a Python number, or raise ``ValueError`` naming the argument.

    ``allowed`` describes the accepted values (e.g. ``"a float in [0, 1]"``) and
    ``ok(value)`` tests them.
    """
    if value is None and none_ok:
        return None
    if not _is_number(value) or not ok(float(value)):
        if none_ok:
            allowed += " (or None)"
        raise ValueError(f"{owner}: argument `{name}` must be {allowed}; got {name}={value!r}.")
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
        value = value.item()
    return value


def check_unit_interval(owner, name, value, closed=True):
    """A number in ``[0, 1]`` (``closed``) or ``[0, 1)``."""
    if closed:
        return check_number(owner, name, value, "a number in [0, 1]", lambda v: 0.0 <= v <= 1.0)
    return check_number(owner, name, value, "a number in [0, 1)", lambda v: 0.0 <= v < 1.0)


def check_non_negative(owner, name, value, none_ok=False):
    """A finite number ``>= 0``."""
    return check_number(owner, name, value, "a finite number >= 0",
                        lambda v: math.isfinite(v) and v >= 0.0, none_ok=none_ok)


def check_epsilon(owner, value):
    """The fuzz factor, a finite number ``>= 0``.

    Keras 2 documented ``epsilon=None`` as "use the backend's epsilon" and
    course code still passes it; Keras 3 needs a number, so ``None`` becomes
    ``backend.epsilon()`` (1e-07) with a deprecation warning, as ``lr=`` does.

    Example:

    >>> check_epsilon("Adam", 1e-8)
    1e-08
    """
    if value is None:
        value = backend.epsilon()
        warnings.warn(
            f"{owner}: `epsilon=None` is Keras 2's way of asking for the default; pass a number "
            f"instead (Keras 3 requires one). Using epsilon={value!r} (keras.backend.epsilon()).",
            DeprecationWarning, stacklevel=_user_stacklevel(),
        )
    return check_non_negative(owner, "epsilon", value)


_is_compiling = getattr(getattr(torch, "compiler", None), "is_compiling", None) or (lambda: False)
_eager_apply = None


def _apply_outside_the_graph(optimizer, grads, trainable_variables):
    """Run ``apply`` eagerly when ``torch.compile`` traces a training step that calls it.

    The update mutates the weights and state in place with fused kernels and
    keeps Python-number state (the step count) that a compiled graph would
    bake in as constants; so it runs as an ordinary call between graphs.
    """
    global _eager_apply
    if _eager_apply is None:
        _eager_apply = torch.compiler.disable(Optimizer._apply_eagerly)
    return _eager_apply(optimizer, grads, trainable_variables)


def _user_stacklevel():
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame, level = frame.f_back, level + 1
    return level


def _round_to(value, dtype):
    """``value`` rounded to the precision of ``dtype``, as Keras's float32 scalars are."""
    if dtype == torch.float32:
        return struct.unpack("f", struct.pack("f", value))[0]
    if dtype == torch.float64:
        return float(value)
    return torch.tensor(value, dtype=dtype).item()


# ---------------------------------------------------------------------- scalar state


class _ScalarVariable(Variable):
    """An optimizer scalar (iteration count, learning rate) mirrored from a Python number.

    The optimizer computes with the Python number (so steps never read the
    device); this variable holds the same value for code that expects Keras's
    variable (``optimizer.iterations.numpy()``, ``optimizer.learning_rate.assign(0.01)``)
    and for saving. ``assign`` writes through to the optimizer.
    """

    def assign(self, value):
        super().assign(value)
        owner = self.__dict__.get("_owner")
        if owner is not None:
            owner._scalar_assigned(self)
        return self

    def assign_add(self, value):
        return self.assign(self.numpy() + np.asarray(backend.convert_to_numpy(value)))

    def assign_sub(self, value):
        return self.assign(self.numpy() - np.asarray(backend.convert_to_numpy(value)))

    def __round__(self, ndigits=None):
        """``round(optimizer.learning_rate, 5)`` gives a Python number, as for a float."""
        return round(self.detach().cpu().item(), ndigits)

    def __format__(self, format_spec):
        return format(self.detach().cpu().item(), format_spec)

    def __reduce_ex__(self, proto):
        return (_rebuild_scalar_variable, (self.data, self.requires_grad, dict(self.__dict__)))

    def __repr__(self):
        value = self.detach().cpu().item()
        return (f"<Variable path={getattr(self, 'path', '?')}, shape=(), "
                f"dtype={backend.standardize_dtype(self.dtype)}, value={value}>")


def _rebuild_scalar_variable(data, requires_grad, attributes):
    variable = _ScalarVariable(data, requires_grad=requires_grad)
    variable.__dict__.update(attributes)
    return variable


class _Group:
    """Everything one update needs about a fixed list of weights, decided once.

    ``slots`` maps each state attribute of the optimizer (``"_momentums"``, ...)
    to the state tensors of these weights, in the same order.
    """

    __slots__ = (
        "accumulators",
        "constrained",
        "decay",
        "dtype",
        "extra",
        "indices",
        "params",
        "shapes_checked",
        "slots",
    )

    def __init__(self, optimizer, indices):
        variables = optimizer._trainable_variables
        self.indices = indices
        self.params = [variables[i] for i in indices]
        self.slots = {}
        for attr in optimizer._slot_attrs:
            state = getattr(optimizer, attr, None)
            if state:
                self.slots[attr] = [state[i] for i in indices]
        self.decay = [p for p in self.params if optimizer._use_weight_decay(p)]
        self.constrained = [(p, p.constraint) for p in self.params
                            if getattr(p, "constraint", None) is not None]
        accumulators = getattr(optimizer, "_accumulated_gradients", None)
        self.accumulators = [accumulators[i] for i in indices] if accumulators else []
        self.dtype = self.params[0].dtype if self.params else torch.float32
        self.shapes_checked = False
        self.extra = {}  # per-optimizer facts about these weights, decided on first use


# ---------------------------------------------------------------------- gradient clipping


def _clip_by_norm(grads, clipnorm):
    """Each gradient scaled to an L2 norm of at most ``clipnorm``: ``g * c / max(|g|, c)``."""
    factors = torch._foreach_maximum(torch._foreach_norm(grads), clipnorm)
    torch._foreach_reciprocal_(factors)
    torch._foreach_mul_(factors, clipnorm)
    return torch._foreach_mul(grads, factors)


def _clip_by_global_norm(grads, clipnorm):
    """All gradients scaled together so that their joint L2 norm is at most ``clipnorm``.

    As Keras: ``scale = clipnorm * min(1 / norm, 1 / clipnorm)``, and a NaN scale
    when the norm is not finite.
    """
    norms = torch._foreach_norm(grads)
    total = torch.linalg.vector_norm(torch.stack([n.to(norms[0].device) for n in norms]))
    scale = torch.clamp(total.reciprocal(), max=1.0 / clipnorm) * clipnorm + (total - total)
    return torch._foreach_mul(grads, scale)


def _clip_by_value(grads, clipvalue):
    return torch._foreach_clamp_max(torch._foreach_clamp_min(grads, -clipvalue), clipvalue)


# ---------------------------------------------------------------------- the base class


@registry.builtin(_CATEGORY)
class Optimizer:
    """Base class of optimizers (``keras.optimizers.Optimizer``).

    To write your own, subclass it and implement ``build(variables)`` (create
    the state with ``add_variable_from_reference``), ``update_step(gradient,
    variable, learning_rate)`` and ``get_config()``, as in Keras. The built-in
    optimizers instead update all weights at once with ``torch._foreach_*`` ops.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` (evaluated at the
            current ``iterations`` before every update), or a callable that
            takes no arguments and returns the learning rate. Keras 2's
            ``lr=`` is accepted too, with a deprecation warning.
        weight_decay: If set, decoupled weight decay: before each update every
            weight (except those excluded with ``exclude_from_weight_decay``)
            is multiplied by ``1 - weight_decay * learning_rate``.
        clipnorm: If set, each gradient is rescaled so that its L2 norm is at
            most this value.
        clipvalue: If set, each gradient is clipped element-wise to
            ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, all gradients are rescaled together so that
            their global L2 norm is at most this value. At most one of the
            three clipping arguments may be set.
        use_ema: Keep an exponential moving average of the weights;
            ``finalize_variable_values`` copies it into the weights.
        ema_momentum: Momentum of the moving average:
            ``average = ema_momentum * average + (1 - ema_momentum) * weight``.
        ema_overwrite_frequency: If set, every this many iterations the
            weights are overwritten with their moving average.
        loss_scale_factor: If set, gradients are divided by it before the
            update (``scale_loss`` multiplies the loss by it).
        gradient_accumulation_steps: If set (an int >= 2), gradients are
            accumulated and the weights updated with their mean once every
            this many calls to ``apply``.
        name: Name of the optimizer; state variable paths start with it.

    Example:

    >>> class PlainSGD(keras.optimizers.Optimizer):
    ...     def __init__(self, learning_rate=0.01, **kwargs):
    ...         super().__init__(learning_rate=learning_rate, **kwargs)
    ...     def update_step(self, gradient, variable, learning_rate):
    ...         self.assign_sub(variable, learning_rate * gradient)
    >>> layer = keras.layers.Dense(1)
    >>> layer.build((None, 2))
    >>> optimizer = PlainSGD(learning_rate=0.1)
    >>> optimizer.apply([torch.ones(2, 1), torch.ones(1)], layer.trainable_weights)
    >>> int(optimizer.iterations)
    1
    """

    # Attributes holding per-weight state lists that ``_update_group`` reads; set by subclasses.
    _slot_attrs = ()

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        owner = type(self).__name__
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
            warnings.warn(
                f"{owner}: the `lr` argument is deprecated; use `learning_rate` instead "
                f"({owner}(learning_rate={learning_rate!r})).",
                DeprecationWarning, stacklevel=_user_stacklevel(),
            )
        if kwargs.pop("decay", None):  # Keras 2's decay; 0.0 (its default, in old configs) changes nothing
            warnings.warn(
                f"{owner}: argument `decay` is no longer supported (as in Keras 3) and is ignored. "
                "For Keras 2's time-based decay pass learning_rate=keras.optimizers.schedules."
                "InverseTimeDecay(initial_learning_rate, decay_steps=1, decay_rate=decay).",
                stacklevel=_user_stacklevel(),
            )
        if kwargs:
            raise ValueError(
                f"{owner}: argument(s) not recognized: {kwargs}. Optimizers accept learning_rate, "
                "weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, "
                "ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name "
                "and their own hyper-parameters."
            )
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{owner}: argument `name` must be a string or None; got name={name!r}.")
        self.name = name or backend.unique_name(backend.to_snake_case(owner))

        self.weight_decay = check_non_negative(owner, "weight_decay", weight_decay, none_ok=True)
        self.clipnorm = check_non_negative(owner, "clipnorm", clipnorm, none_ok=True)
        self.clipvalue = check_non_negative(owner, "clipvalue", clipvalue, none_ok=True)
        self.global_clipnorm = check_non_negative(owner, "global_clipnorm", global_clipnorm, none_ok=True)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; "
                f"got clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}."
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_unit_interval(owner, "ema_momentum", ema_momentum)
        if ema_overwrite_frequency is not None and (
            isinstance(ema_overwrite_frequency, bool)
            or not isinstance(ema_overwrite_frequency, numbers.Integral)
            or ema_overwrite_frequency < 1
        ):
            raise ValueError(
                f"{owner}: argument `ema_overwrite_frequency` must be an integer >= 1 or None; "
                f"got ema_overwrite_frequency={ema_overwrite_frequency!r}."
            )
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = check_number(
            owner, "loss_scale_factor", loss_scale_factor, "a finite number > 0",
            lambda v: math.isfinite(v) and v > 0, none_ok=True,
        )
        if gradient_accumulation_steps is not None and (
            isinstance(gradient_accumulation_steps, bool)
            or not isinstance(gradient_accumulation_steps, numbers.Integral)
            or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                f"{owner}: argument `gradient_accumulation_steps` must be an integer >= 2 or None; "
                f"got gradient_accumulation_steps={gradient_accumulation_steps!r}."
            )
        self.gradient_accumulation_steps = gradient_accumulation_steps

        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._var_ids = ()
        self._groups = {}
        self._last_ids = None
        self._last_group = None
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_pattern = None

        # The step count: a Python int (the truth) mirrored by Keras's "iteration" variable.
        self._iteration_count = 0
        self._iterations = self._scalar_variable("iteration", 0, torch.int32, "_iteration_count", int)
        self._variables.append(self._iterations)

        self._lr_value = None     # the learning rate as a Python float, when it is a number
        self._lr_schedule = None  # or a LearningRateSchedule / callable
        self._lr_var = None
        self._set_learning_rate(learning_rate, initial=True)

    # ------------------------------------------------------------------ scalar state

    def _scalar_variable(self, name, value, dtype, field, cast, path=None):
        variable = _ScalarVariable(torch.tensor(value, dtype=dtype), requires_grad=False)
        variable._set_keras_attributes(name, path or f"{self.name}/{name}", False)
        variable._owner = self
        variable._field = field
        variable._cast = cast
        return variable

    def _scalar_assigned(self, variable):
        """A mirror variable was assigned: take its value as the new Python number."""
        value = variable._cast(variable.detach().cpu().item())
        if variable._field == "_lr_value":
            previous = self._lr_value
            try:
                self._set_learning_rate(value)
            except (TypeError, ValueError):
                with torch.no_grad():
                    variable.fill_(math.nan if previous is None else previous)
                raise
        else:
            setattr(self, variable._field, value)

    def _sync_scalar_variables(self):
        """Write the Python numbers into their mirror variables (before they are read or saved)."""
        with torch.no_grad():
            for variable in self._variables:
                if isinstance(variable, _ScalarVariable) and variable.__dict__.get("_owner") is self:
                    variable.fill_(getattr(self, variable._field))

    # ------------------------------------------------------------------ learning rate

    def _set_learning_rate(self, learning_rate, initial=False):
        owner = type(self).__name__
        if isinstance(learning_rate, schedules_module.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, (torch.Tensor, np.ndarray))
        ):
            self._lr_schedule = learning_rate
            self._lr_value = None
            if self._lr_var is not None and any(v is self._lr_var for v in self._variables):
                self._variables = [v for v in self._variables if v is not self._lr_var]
            return
        if self._lr_schedule is not None and not initial:
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. If you "
                "need the learning rate to be settable, you should instantiate the optimizer with a "
                "float `learning_rate` argument."
            )
        value = check_number(
            owner, "learning_rate", learning_rate,
            "a finite number >= 0, a keras.optimizers.schedules.LearningRateSchedule, or a callable "
            "returning the learning rate", lambda v: math.isfinite(v) and v >= 0.0,
        )
        dtype = backend.torch_dtype(backend.floatx())
        # Keras keeps the learning rate in a floatx variable: use the same rounded value.
        self._lr_value = _round_to(float(value), dtype)
        if self._lr_var is None:
            self._lr_var = self._scalar_variable("learning_rate", self._lr_value, dtype, "_lr_value", float)
            self._variables.insert(1, self._lr_var)
        else:
            with torch.no_grad():
                self._lr_var.fill_(self._lr_value)

    def _current_learning_rate(self):
        """The learning rate for the coming update, as a Python float."""
        if self._lr_schedule is None:
            return self._lr_value
        schedule = self._lr_schedule
        if isinstance(schedule, schedules_module.LearningRateSchedule):
            value = schedule(self._iteration_count)
        else:
            value = schedule()
        if isinstance(value, torch.Tensor):
            value = value.item()  # only schedules that compute with tensors pay this read
        return float(value)

    @property
    def learning_rate(self):
        """The current learning rate.

        With a float learning rate this is Keras's ``learning_rate`` variable
        (``float(...)``, ``.numpy()`` and ``.assign(...)`` work); with a schedule
        it is the schedule's value at the current iteration. Assign a number to
        change it (e.g. in a callback).
        """
        if self._lr_schedule is None:
            return self._lr_var
        return torch.tensor(self._current_learning_rate(), dtype=backend.torch_dtype(backend.floatx()))

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self._set_learning_rate(learning_rate)

    @property
    def lr(self):
        """Keras 2's name for :attr:`learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, learning_rate):
        self._set_learning_rate(learning_rate)

    # ------------------------------------------------------------------ iterations and variables

    @property
    def iterations(self):
        """The number of completed steps (Keras's ``iteration`` variable).

        With ``gradient_accumulation_steps`` it counts weight updates, i.e. calls
        to ``apply`` divided by the number of accumulation steps.
        """
        if self.gradient_accumulation_steps:
            return torch.tensor(self._iteration_count // self.gradient_accumulation_steps, dtype=torch.int32)
        return self._iterations

    def _step_count(self):
        """``iterations`` as a Python int."""
        if self.gradient_accumulation_steps:
            return self._iteration_count // self.gradient_accumulation_steps
        return self._iteration_count

    @property
    def variables(self):
        """The optimizer's state, in Keras's order: iteration, learning rate (when a number), then
        the per-weight state created by ``build``."""
        self._sync_scalar_variables()
        return self._variables[:]

    def build(self, variables):
        """Create the optimizer state for ``variables`` (the weights it will update).

        Called by the first ``apply`` when not called before. Subclasses create
        their per-weight state here, after calling ``super().build(variables)``.
        """
        if self.built:
            return
        variables = list(variables)
        seen = set()
        for index, variable in enumerate(variables):
            if not isinstance(variable, torch.Tensor) or not variable.is_floating_point():
                raise ValueError(
                    f"{type(self).__name__} can only update floating-point torch tensors (weights); "
                    f"item {index} of the variables is {variable!r}."
                )
            if id(variable) in seen:
                raise ValueError(
                    f"{type(self).__name__}: variable {getattr(variable, 'path', index)!r} appears twice "
                    "in the list of variables to optimize; pass each weight once."
                )
            seen.add(id(variable))
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = [
                self.add_variable_from_reference(variable, name="gradient_accumulator")
                for variable in variables
            ]
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(variables)}
        self._trainable_variables = variables[:]
        self._var_ids = tuple(map(id, variables))
        self._groups = {}
        self._last_ids = None
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None,
                     name=None):
        """Create an optimizer state variable (not trainable) and track it in ``variables``.

        Args:
            shape: Shape of the variable.
            initializer: Initializer object or name (default ``"zeros"``).
            dtype: dtype of the variable (default ``backend.floatx()``).
            aggregation, layout: Accepted for Keras compatibility; unused.
            name: Name of the variable; its path is ``"<optimizer name>/<name>"``.

        Example:

        >>> optimizer = keras.optimizers.SGD()
        >>> optimizer.add_variable((2,), name="counter").path
        'sgd/counter'
        """
        initializer = initializers.get(initializer)
        value = initializer(tuple(shape), dtype=dtype)
        return self._track_new_variable(value, name or "variable")

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Create a state variable with the shape, dtype and device of ``reference_variable``.

        It is named ``"<weight path with '/' as '_'>_<name>"``, e.g.
        ``"dense_kernel_momentum"``, as in Keras.

        Example:

        >>> layer = keras.layers.Dense(3)
        >>> layer.build((None, 2))
        >>> keras.optimizers.SGD().add_variable_from_reference(layer.kernel, "momentum").path
        'sgd/dense_kernel_momentum'
        """
        name = name or "var"
        path = getattr(reference_variable, "path", None)
        if path:
            full_name = f"{path.replace('/', '_')}_{name}"
        else:
            ref_name = getattr(reference_variable, "name", None) or "variable"
            full_name = f"{str(ref_name).replace('/', '_').replace(':', '_')}_{name}"
        initializer = initializers.get(initializer)
        reference = reference_variable.detach()
        if isinstance(initializer, initializers.Zeros):
            value = torch.zeros_like(reference, memory_format=torch.preserve_format)
        elif isinstance(initializer, initializers.Constant):
            value = torch.full_like(reference, initializer.value, memory_format=torch.preserve_format)
        else:
            value = initializer(tuple(reference.shape), dtype=reference.dtype).to(reference.device)
        return self._track_new_variable(value, full_name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One state variable per weight (or, for a list of names, one list per name).

        Variables are created weight by weight (``kernel_m, kernel_v, bias_m,
        bias_v``), the order Keras uses, so saved optimizer state lines up.

        Example:

        >>> layer = keras.layers.Dense(3)
        >>> layer.build((None, 2))
        >>> m, v = keras.optimizers.SGD().add_optimizer_variables(layer.weights, ["m", "v"])
        >>> [x.path for x in m]
        ['sgd/dense_kernel_m', 'sgd/dense_bias_m']
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(initializer, (list, tuple)):
            inits = list(initializer)
        else:
            inits = [initializer] * len(names)
        if len(names) != len(inits):
            raise ValueError(
                f"The number of provided names must match the number of provided initializers. "
                f"Received name={name!r}, initializer={initializer!r}."
            )
        lists = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (var_name, init) in enumerate(zip(names, inits)):
                lists[i].append(self.add_variable_from_reference(variable, name=var_name, initializer=init))
        return lists[0] if isinstance(name, str) else lists

    def _track_new_variable(self, value, name):
        variable = Variable(value, requires_grad=False)
        variable._set_keras_attributes(name, f"{self.name}/{name}", False)
        self._variables.append(variable)
        return variable

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(variable)]

    # ------------------------------------------------------------------ Keras's helpers for update_step

    def assign(self, variable, value):
        """``variable[...] = value`` (for ``update_step`` implementations)."""
        with torch.no_grad():
            variable.copy_(value)

    def assign_add(self, variable, value):
        """``variable += value`` (for ``update_step`` implementations)."""
        with torch.no_grad():
            variable.add_(value)

    def assign_sub(self, variable, value):
        """``variable -= value`` (for ``update_step`` implementations)."""
        with torch.no_grad():
            variable.sub_(value)

    def update_step(self, gradient, variable, learning_rate):
        """Update one weight from its gradient; implement this in a custom optimizer."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_step(gradient, variable, learning_rate)."
        )

    # ------------------------------------------------------------------ weight decay

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude weights from weight decay.

        Args:
            var_list: Weights to exclude.
            var_names: Strings (regular expressions); a weight whose ``name``
                contains one of them is excluded, e.g. ``["bias"]``.

        Each call replaces the previous exclusions, as in Keras.

        Example:

        >>> optimizer = keras.optimizers.AdamW(weight_decay=0.01)
        >>> optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
        """
        self._exclude_from_weight_decay = {id(v) for v in var_list} if var_list else set()
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names)))
        else:
            self._exclude_from_weight_decay_pattern = None
        self._groups = {}
        self._last_ids = None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        name = getattr(variable, "name", None)
        return pattern is None or not isinstance(name, str) or re.search(pattern, name) is None

    # ------------------------------------------------------------------ applying gradients

    def apply_gradients(self, grads_and_vars):
        """``apply`` for a list of ``(gradient, variable)`` pairs; returns ``iterations``.

        Example:

        >>> optimizer.apply_gradients(zip(grads, model.trainable_weights))
        """
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(list(grads), list(trainable_variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update the weights from their gradients (one optimizer step).

        Args:
            grads: One gradient (tensor) per weight; ``None`` entries are
                skipped with a warning, as Keras does.
            trainable_variables: The weights. Needed on the first call (it
                builds the optimizer); afterwards they may be left out to mean
                the weights the optimizer was built with.

        Example:

        >>> model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
        >>> optimizer = keras.optimizers.Adam()
        >>> loss = model(torch.ones(4, 3)).square().mean()
        >>> loss.backward()
        >>> weights = model.trainable_weights
        >>> optimizer.apply([w.grad for w in weights], weights)
        """
        if _is_compiling():
            return _apply_outside_the_graph(self, grads, trainable_variables)
        return self._apply_eagerly(grads, trainable_variables)

    def _apply_eagerly(self, grads, trainable_variables):
        if not isinstance(grads, list):
            grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on "
                    "a list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"When passing `grads` alone, there must be one gradient per variable the optimizer "
                    f"was built with: got {len(grads)} gradients for {len(self._trainable_variables)} "
                    "variables."
                )
            group = self._group_for_indices(None)
        else:
            if not isinstance(trainable_variables, (list, tuple)):
                trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            group = self._group_for_variables(trainable_variables)
            if len(grads) != len(group.params):
                raise ValueError(
                    f"`apply` got {len(grads)} gradients for {len(group.params)} variables; "
                    "pass one gradient (or None) per variable."
                )
        for g in grads:
            if g.__class__ is not torch.Tensor:
                grads, group = self._filter_gradients(grads, group)
                break
        if not group.shapes_checked:
            self._check_gradient_shapes(grads, group)
        with torch.no_grad():
            self._apply_to_group(grads, group)
            self._iteration_count += 1
            self._iterations.fill_(self._iteration_count)

    def _group_for_indices(self, indices):
        """The cached :class:`_Group` for these weight indices (None: all weights)."""
        group = self._groups.get(indices)
        if group is None:
            group = _Group(self, range(len(self._trainable_variables)) if indices is None else indices)
            self._groups[indices] = group
        return group

    def _group_for_variables(self, variables):
        ids = tuple(map(id, variables))
        if ids == self._last_ids:
            return self._last_group
        if ids == self._var_ids:
            group = self._group_for_indices(None)
        else:
            indices = []
            lookup = self._trainable_variables_indices
            for variable in variables:
                index = lookup.get(id(variable))
                if index is None:
                    raise ValueError(
                        f"Unknown variable: {variable!r}. This optimizer can only be called for the "
                        "variables it was originally built with. When working with a new set of "
                        "variables, you should recreate a new optimizer instance."
                    )
                indices.append(index)
            group = self._group_for_indices(tuple(indices))
        self._last_ids, self._last_group = ids, group
        return group

    def _filter_gradients(self, grads, group):
        """Drop ``None`` gradients (with Keras's warning) and turn non-tensors into tensors."""
        kept_grads, kept_indices, missing = [], [], []
        for grad, index, param in zip(grads, group.indices, group.params):
            if grad is None:
                missing.append(getattr(param, "path", None) or getattr(param, "name", None) or f"#{index}")
                continue
            if not isinstance(grad, torch.Tensor):
                grad = torch.as_tensor(np.asarray(grad), dtype=param.dtype, device=param.device)
            kept_grads.append(grad)
            kept_indices.append(index)
        if not kept_grads:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                "`model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
            group = self._group_for_indices(tuple(kept_indices))
        return kept_grads, group

    def _check_gradient_shapes(self, grads, group):
        """Check once per list of weights that the gradients fit them (shape, dtype, device)."""
        for grad, param in zip(grads, group.params):
            name = getattr(param, "path", None) or getattr(param, "name", None)
            if tuple(grad.shape) != tuple(param.shape):
                raise ValueError(
                    f"{type(self).__name__}: the gradient for variable {name!r} has shape "
                    f"{tuple(grad.shape)}, but the variable has shape {tuple(param.shape)}."
                )
            if grad.dtype != param.dtype or grad.device != param.device:
                raise ValueError(
                    f"{type(self).__name__}: the gradient for variable {name!r} is a {grad.dtype} tensor "
                    f"on {grad.device}, but the variable is {param.dtype} on {param.device}; gradients "
                    "must have the dtype and device of their variable."
                )
        group.shapes_checked = True

    def _apply_to_group(self, grads, group):
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = group.accumulators
            if (self._iteration_count + 1) % steps == 0:
                grads = torch._foreach_add(grads, accumulators)
                torch._foreach_div_(grads, steps)
                self._update(grads, group)
                torch._foreach_zero_(accumulators)
            else:
                torch._foreach_add_(accumulators, grads)
        else:
            self._update(grads, group)
        if self.use_ema:
            self._update_moving_averages()
        for variable, constraint in group.constrained:
            variable.copy_(constraint(variable))

    def _update(self, grads, group):
        """Clip, decay, then the optimizer's own update: one weight update."""
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate()
        if self.weight_decay and group.decay:
            torch._foreach_mul_(group.decay, 1.0 - self.weight_decay * learning_rate)
        self._update_group(group, grads, learning_rate)

    def _update_group(self, group, grads, learning_rate):
        """The update of all weights in ``group``; built-ins override it with foreach ops."""
        for grad, variable in zip(grads, group.params):
            self.update_step(grad, variable, learning_rate)

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return _clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return _clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return _clip_by_value(grads, self.clipvalue)
        return grads

    # ------------------------------------------------------------------ moving averages

    def _update_moving_averages(self):
        averages = self._model_variables_moving_average
        variables = self._trainable_variables
        step = self._step_count()
        if step == 0:
            torch._foreach_copy_(averages, variables)
        else:
            # average = momentum * average + (1 - momentum) * variable, in one pass.
            torch._foreach_lerp_(averages, variables, 1.0 - self.ema_momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (step + 1) % frequency == 0:
            torch._foreach_copy_(variables, averages)

    def finalize_variable_values(self, var_list):
        """Write the final values into the weights: with ``use_ema``, their moving averages.

        ``fit`` calls it after the last epoch; call it yourself at the end of a
        custom training loop.

        Example:

        >>> optimizer = keras.optimizers.SGD(use_ema=True)
        >>> ...  # training
        >>> optimizer.finalize_variable_values(model.trainable_weights)
        """
        if not self.use_ema:
            return
        averages = self._model_variables_moving_average
        var_list = list(var_list)
        if len(var_list) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match the "
                f"length of model variables stored in the optimizer ({len(averages)}). Please check "
                "if the optimizer was called on your model."
            )
        with torch.no_grad():
            torch._foreach_copy_(var_list, averages)

    # ------------------------------------------------------------------ loss scaling and state

    def scale_loss(self, loss):
        """Multiply the loss by ``loss_scale_factor`` (if set) before computing gradients."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def set_weights(self, weights):
        """Set the optimizer state from a list of arrays, in the order of ``variables``."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                "call `optimizer.build(trainable_variables)` to create the optimizer weights before "
                "calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {tuple(variable.shape)}, not "
                    f"compatible with provided weight shape {tuple(np.shape(weight))}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Put the optimizer state into ``store`` (``"0"``, ``"1"``, ... as Keras does)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Set the optimizer state from ``store``, as written by ``save_own_variables``."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has {len(store.keys())} variables. "
            )
            if len(variables) == 0:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(np.asarray(store[str(i)]))

    # ------------------------------------------------------------------ config

    def get_config(self):
        """The hyper-parameters as a JSON-ready dict, with Keras's keys (no state)."""
        if self._lr_schedule is None:
            learning_rate = self._lr_value
        elif isinstance(self._lr_schedule, schedules_module.LearningRateSchedule):
            learning_rate = schedules_module.serialize(self._lr_schedule)
        else:
            learning_rate = serialize_keras_object(self._lr_schedule)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Build an optimizer (without state) from :meth:`get_config`'s dict."""
        config = dict(config)
        for key in _LEGACY_CONFIG_KEYS:
            config.pop(key, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_module.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        if self._lr_schedule is None:
            lr = self._lr_value
        else:
            lr = self._lr_schedule
        return f"<{type(self).__name__} name={self.name}, learning_rate={lr}, built={self.built}>"


BASE_OPTIMIZER_ARGS = """weight_decay: If set, decoupled weight decay: before each update, each
            weight is multiplied by ``1 - weight_decay * learning_rate``.
        clipnorm: If set, each gradient is rescaled to an L2 norm of at most this value.
        clipvalue: If set, each gradient is clipped element-wise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, all gradients are rescaled together to a global L2
            norm of at most this value. At most one of the clipping arguments may be set.
        use_ema: Keep an exponential moving average of the weights
            (``finalize_variable_values`` writes it into them).
        ema_momentum: Momentum of that moving average (default 0.99).
        ema_overwrite_frequency: If set, overwrite the weights with their moving
            average every this many iterations.
        loss_scale_factor: If set, gradients are divided by it before the update.
        gradient_accumulation_steps: If set (an int >= 2), update the weights once
            every this many steps with the mean of the accumulated gradients.
        name: Name of the optimizer (default: the snake-cased class name, made unique).
        lr: Keras 2's name for ``learning_rate`` (deprecated; warns)."""


def document(cls):
    """Fill the ``{base_args}`` placeholder of an optimizer's docstring."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("{base_args}", BASE_OPTIMIZER_ARGS)
    return cls
