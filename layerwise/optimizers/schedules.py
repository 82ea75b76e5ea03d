"""Learning rate schedules, shaped like ``keras.optimizers.schedules``.

A schedule maps the optimizer's step count to a learning rate. Pass one as
``learning_rate`` and the optimizer evaluates it at its current
``iterations`` before every update:

>>> import layerwise as keras
>>> import layerwise.optimizers
>>> schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
>>> schedule(100)
0.05
>>> optimizer = keras.optimizers.SGD(learning_rate=schedule)

Called with a Python int the built-in schedules compute with Python floats
(no tensors, no device work) and return a Python float; called with a torch
tensor they compute with torch in ``backend.floatx()`` and return a 0-d
tensor, as Keras's schedules do.
"""

import bisect
import math
import numbers

import torch

from layerwise import backend
from layerwise.saving import registry
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

_CATEGORY = "learning_rate_schedules"
_KERAS_MODULE = "keras.optimizers.schedules"


def _builtin(cls):
    return registry.builtin(_CATEGORY, keras_module=_KERAS_MODULE)(cls)


# ---------------------------------------------------------------------- helpers


def _check_number(owner, name, value, allowed, ok):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not ok(value):
        raise ValueError(f"{owner}: argument `{name}` must be {allowed}; got {name}={value!r}.")


def _check_positive(owner, name, value):
    _check_number(owner, name, value, "a number > 0", lambda v: math.isfinite(v) and v > 0)


def _check_finite(owner, name, value):
    _check_number(owner, name, value, "a finite number", math.isfinite)


class _PyMath:
    """Scalar maths on Python numbers (the sync-free path used by the optimizers)."""

    @staticmethod
    def prepare(step):
        return float(step)

    @staticmethod
    def const(value):
        return float(value)

    @staticmethod
    def cos(x):
        return math.cos(x) if math.isfinite(x) else math.nan

    @staticmethod
    def floor(x):
        return float(math.floor(x)) if math.isfinite(x) else x

    @staticmethod
    def ceil(x):
        return float(math.ceil(x)) if math.isfinite(x) else x
    minimum = staticmethod(min)

    @staticmethod
    def log(x):
        # As float32 maths does: log(0) = -inf, log(negative) = nan (math.log raises).
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan

    @staticmethod
    def power(x, y):
        try:
            value = float(x) ** y
        except ZeroDivisionError:  # 0 ** negative
            return math.inf
        return math.nan if isinstance(value, complex) else value

    @staticmethod
    def where(condition, if_true, if_false):
        return if_true if condition else if_false

    @staticmethod
    def result(value):
        return float(value)


class _TorchMath:
    """The same maths on tensors, in ``floatx``, as Keras computes it."""

    def __init__(self, step):
        self.dtype = backend.torch_dtype(backend.floatx())
        self.device = step.device

    def prepare(self, step):
        return step.to(self.dtype)

    def const(self, value):
        return torch.tensor(value, dtype=self.dtype, device=self.device)

    floor = staticmethod(torch.floor)
    ceil = staticmethod(torch.ceil)
    cos = staticmethod(torch.cos)
    log = staticmethod(torch.log)
    minimum = staticmethod(torch.minimum)
    power = staticmethod(torch.pow)
    where = staticmethod(torch.where)

    @staticmethod
    def result(value):
        return value


def _math_for(step):
    if isinstance(step, torch.Tensor):
        return _TorchMath(step)
    if hasattr(step, "dtype") and hasattr(step, "shape"):  # a numpy scalar or 0-d array
        return _PyMath
    if isinstance(step, bool) or not isinstance(step, numbers.Real):
        raise TypeError(
            f"A learning rate schedule takes the step count (an int or a tensor); got step={step!r}."
        )
    return _PyMath


# ---------------------------------------------------------------------- schedules


@_builtin
class LearningRateSchedule:
    """Base class of learning rate schedules: ``schedule(step)`` returns the learning rate.

    Subclass it, implement ``__call__(step)`` (``step`` is the optimizer's
    step count) and, to save it in configs, ``get_config()``. Register a
    subclass with ``@layerwise.saving.register_serializable()`` so that files
    can name it.

    Example:

    >>> class InverseSqrt(keras.optimizers.schedules.LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (step + 1) ** 0.5
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> optimizer = keras.optimizers.SGD(learning_rate=InverseSqrt(0.1))
    >>> InverseSqrt(0.1)(3)
    0.05
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        """The constructor arguments as a JSON-ready dict; subclasses must define it."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Rebuild the schedule from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


@_builtin
class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``, so the
    rate drops in steps.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps over which the rate is
            multiplied by ``decay_rate`` once.
        decay_rate: The decay factor.
        staircase: Decay at discrete intervals instead of continuously.
        name: Name of the schedule (kept in the config).

    Example:

    >>> schedule = keras.optimizers.schedules.ExponentialDecay(
    ...     0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
    >>> schedule(0), schedule(999), schedule(1000)
    (0.1, 0.1, 0.096)
    >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_finite("ExponentialDecay", "initial_learning_rate", initial_learning_rate)
        _check_positive("ExponentialDecay", "decay_steps", decay_steps)
        _check_number("ExponentialDecay", "decay_rate", decay_rate, "a number >= 0",
                      lambda v: math.isfinite(v) and v >= 0)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        m = _math_for(step)
        p = m.prepare(step) / m.const(self.decay_steps)
        if self.staircase:
            p = m.floor(p)
        return m.result(m.const(self.initial_learning_rate) * m.power(m.const(self.decay_rate), p))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@_builtin
class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between ``boundaries``.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[1]``
    while ``boundaries[0] < step <= boundaries[1]``, ..., and ``values[-1]``
    once ``step > boundaries[-1]``.

    Args:
        boundaries: Increasing step counts where the rate changes.
        values: The rates; exactly one more than ``boundaries``.
        name: Name of the schedule (kept in the config).

    Example:

    >>> schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
    ...     boundaries=[100, 110], values=[1.0, 0.5, 0.1])
    >>> schedule(100), schedule(101), schedule(111)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: `values` must have exactly one more entry than `boundaries`; "
                f"got boundaries={boundaries} ({len(boundaries)} entries) and values={values} "
                f"({len(values)} entries)."
            )
        for i, b in enumerate(boundaries):
            _check_number("PiecewiseConstantDecay", f"boundaries[{i}]", b, "a number", lambda v: True)
        for i, v in enumerate(values):
            _check_finite("PiecewiseConstantDecay", f"values[{i}]", v)
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        m = _math_for(step)
        if m is _PyMath:
            # Number of boundaries strictly below step: step <= b[0] -> 0, b[0] < step <= b[1] -> 1, ...
            return float(self.values[bisect.bisect_left(self.boundaries, step)])
        step = m.prepare(step)
        result = torch.zeros_like(step)
        result = result + (step <= self.boundaries[0]).to(step.dtype) * self.values[0]
        result = result + (step > self.boundaries[-1]).to(step.dtype) * self.values[-1]
        for low, high, value in zip(self.boundaries[:-1], self.boundaries[1:], self.values[1:-1]):
            result = result + ((step > low) & (step <= high)).to(step.dtype) * value
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@_builtin
class PolynomialDecay(LearningRateSchedule):
    """Decay from ``initial_learning_rate`` to ``end_learning_rate`` along a polynomial.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.
    With ``cycle=True`` the decay restarts: ``decay_steps`` is replaced by the
    first multiple of it that is at least ``step``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps to reach ``end_learning_rate``.
        end_learning_rate: The final learning rate.
        power: The power of the polynomial (1.0 is linear).
        cycle: Whether to restart the decay after ``decay_steps``.
        name: Name of the schedule (kept in the config).

    Example:

    >>> schedule = keras.optimizers.schedules.PolynomialDecay(
    ...     0.1, decay_steps=100, end_learning_rate=0.01, power=1.0)
    >>> schedule(0), round(schedule(50), 6), schedule(500)
    (0.1, 0.055, 0.01)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_finite("PolynomialDecay", "initial_learning_rate", initial_learning_rate)
        _check_positive("PolynomialDecay", "decay_steps", decay_steps)
        _check_finite("PolynomialDecay", "end_learning_rate", end_learning_rate)
        _check_finite("PolynomialDecay", "power", power)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        m = _math_for(step)
        step = m.prepare(step)
        decay_steps = m.const(self.decay_steps)
        if self.cycle:
            multiplier = m.where(step == 0, m.const(1.0), m.ceil(step / self.decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = m.minimum(step, decay_steps)
        p = step / decay_steps
        initial, end = m.const(self.initial_learning_rate), m.const(self.end_learning_rate)
        return m.result((initial - end) * m.power(1 - p, m.const(self.power)) + end)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@_builtin
class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True`` the ratio ``step / decay_steps`` is floored.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps per unit of decay.
        decay_rate: The decay rate.
        staircase: Decay at discrete intervals instead of continuously.
        name: Name of the schedule (kept in the config).

    Example:

    >>> schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> schedule(0), schedule(2)
    (0.1, 0.05)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check_finite("InverseTimeDecay", "initial_learning_rate", initial_learning_rate)
        _check_positive("InverseTimeDecay", "decay_steps", decay_steps)
        _check_finite("InverseTimeDecay", "decay_rate", decay_rate)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        m = _math_for(step)
        p = m.prepare(step) / m.const(self.decay_steps)
        if self.staircase:
            p = m.floor(p)
        return m.result(m.const(self.initial_learning_rate) / (m.const(1.0) + m.const(self.decay_rate) * p))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@_builtin
class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup first.

    Without warmup (``warmup_target=None``) the rate goes from
    ``initial_learning_rate`` to ``initial_learning_rate * alpha`` over
    ``decay_steps``: ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * t)) + alpha)``
    with ``t = min(step, decay_steps) / decay_steps``. With a
    ``warmup_target`` it first rises linearly from ``initial_learning_rate``
    to ``warmup_target`` over ``warmup_steps``, then decays from
    ``warmup_target`` to ``warmup_target * alpha`` over ``decay_steps``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of decay steps.
        alpha: The final rate as a fraction of the decay's starting rate.
        name: Name of the schedule (kept in the config).
        warmup_target: The rate reached at the end of the warmup, or None
            for no warmup.
        warmup_steps: Number of warmup steps.

    Example:

    >>> schedule = keras.optimizers.schedules.CosineDecay(
    ...     0.0, decay_steps=1000, warmup_target=0.1, warmup_steps=100)
    >>> schedule(50), schedule(100), schedule(1100)
    (0.05, 0.1, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_finite("CosineDecay", "initial_learning_rate", initial_learning_rate)
        _check_positive("CosineDecay", "decay_steps", decay_steps)
        _check_finite("CosineDecay", "alpha", alpha)
        if warmup_target is not None:
            _check_finite("CosineDecay", "warmup_target", warmup_target)
        _check_number("CosineDecay", "warmup_steps", warmup_steps, "a number >= 0",
                      lambda v: math.isfinite(v) and v >= 0)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, m, step, decay_steps, decay_from):
        cosine = 0.5 * (1.0 + m.cos(m.const(math.pi) * (step / decay_steps)))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        m = _math_for(step)
        step = m.prepare(step)
        initial = m.const(self.initial_learning_rate)
        decay_steps = m.const(self.decay_steps)
        if self.warmup_target is None:
            return m.result(self._decay(m, m.minimum(step, decay_steps), decay_steps, initial))
        target = m.const(self.warmup_target)
        warmup_steps = m.const(self.warmup_steps)
        step = m.minimum(step, decay_steps + warmup_steps)
        if m is _PyMath:
            if step < warmup_steps:
                return (target - initial) * (step / warmup_steps) + initial
            return self._decay(m, step - warmup_steps, decay_steps, target)
        safe_warmup = torch.clamp(warmup_steps, min=1.0)
        warmup = (target - initial) * (step / safe_warmup) + initial
        decay = self._decay(m, step - warmup_steps, decay_steps, target)
        return torch.where(step < warmup_steps, warmup, decay)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@_builtin
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The rate decays along a cosine from ``initial_learning_rate`` to
    ``initial_learning_rate * alpha`` over ``first_decay_steps``, then
    restarts; each period is ``t_mul`` times longer than the previous one and
    starts ``m_mul`` times lower.

    Args:
        initial_learning_rate: The learning rate at step 0.
        first_decay_steps: Positive length of the first period, in steps.
        t_mul: Factor by which each period is longer than the previous one.
        m_mul: Factor applied to the starting rate at each restart.
        alpha: The minimum rate as a fraction of ``initial_learning_rate``.
        name: Name of the schedule (kept in the config).

    Example:

    >>> schedule = keras.optimizers.schedules.CosineDecayRestarts(0.1, first_decay_steps=100)
    >>> schedule(0), schedule(100), schedule(200)
    (0.1, 0.1, 0.05)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_finite("CosineDecayRestarts", "initial_learning_rate", initial_learning_rate)
        _check_positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        _check_positive("CosineDecayRestarts", "t_mul", t_mul)
        _check_finite("CosineDecayRestarts", "m_mul", m_mul)
        _check_finite("CosineDecayRestarts", "alpha", alpha)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        m = _math_for(step)
        t_mul, m_mul, alpha = m.const(self._t_mul), m.const(self._m_mul), m.const(self.alpha)
        fraction = m.prepare(step) / m.const(self.first_decay_steps)
        if self._t_mul == 1.0:
            i_restart = m.floor(fraction)
            fraction = fraction - i_restart
        else:
            i_restart = m.floor(m.log(1.0 - fraction * (1.0 - t_mul)) / m.log(t_mul))
            sum_r = (1.0 - m.power(t_mul, i_restart)) / (1.0 - t_mul)
            fraction = (fraction - sum_r) / m.power(t_mul, i_restart)
        cosine = 0.5 * m.power(m_mul, i_restart) * (1.0 + m.cos(m.const(math.pi) * fraction))
        return m.result(m.const(self.initial_learning_rate) * ((1 - alpha) * cosine + alpha))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


def serialize(learning_rate_schedule):
    """The Keras config dict of a schedule.

    Example:

    >>> schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.96)
    >>> keras.optimizers.schedules.serialize(schedule)["class_name"]
    'ExponentialDecay'
    """
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Build the schedule a Keras config dict describes.

    Example:

    >>> schedule = keras.optimizers.schedules.deserialize(
    ...     {"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 100}})
    >>> schedule(100)
    0.0001
    """
    schedule = deserialize_keras_object(config, _CATEGORY, custom_objects, what="learning rate schedule")
    if isinstance(schedule, type):
        raise ValueError(  # noqa: TRY004 (a bare name is a bad value, as in Keras)
            f"Could not interpret learning rate schedule {config!r}: a config dict with 'class_name' "
            "and 'config' is needed to build a schedule."
        )
    return schedule
