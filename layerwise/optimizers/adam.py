"""``Adam`` and ``AdamW``, with Keras's epsilon placement and bias correction."""

import math

import torch

from layerwise.optimizers.optimizer import (
    Optimizer,
    _round_to,
    check_epsilon,
    check_unit_interval,
    document,
)
from layerwise.saving import registry

# torch's fused Adam kernel (one pass over each weight); on the CPU it exists from torch 2.4.
_FUSED_ADAM = getattr(torch, "_fused_adam_", None)
_TORCH_VERSION = tuple(int(x) for x in torch.__version__.split(".")[:2])
_FUSED_DEVICES = ("cuda", "cpu") if _TORCH_VERSION >= (2, 4) else ("cuda",)


def _fused_setup(group):
    """The step-count tensor and strides for the fused kernel, or None when it cannot be used.

    The kernel walks each tensor's memory in order, so it needs every weight
    dense and contiguous, all on one device with one dtype; the gradients'
    strides are compared with the weights' at every step.
    """
    params = group.params
    if _FUSED_ADAM is None or not params:
        return None
    device, dtype = params[0].device, params[0].dtype
    if device.type not in _FUSED_DEVICES or dtype not in (torch.float16, torch.bfloat16, torch.float32,
                                                         torch.float64):
        return None
    for p in params:
        if p.device != device or p.dtype != dtype or not p.is_contiguous():
            return None
    for state in group.slots.values():
        if not all(s.is_contiguous() for s in state):
            return None
    return torch.zeros((), dtype=torch.float32, device=device), [p.stride() for p in params]


def adam_step_size(learning_rate, beta_1, beta_2, step, dtype):
    """Keras's ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``.

    The betas are rounded to the weights' precision first: the moment averages
    are computed with those rounded values, so their bias is ``1 - beta**t`` of
    the rounded beta (this is also what Keras's float32 arithmetic does).
    """
    beta_1, beta_2 = _round_to(beta_1, dtype), _round_to(beta_2, dtype)
    return learning_rate * math.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)


@document
@registry.builtin("optimizers", "adam")
class Adam(Optimizer):
    """Adam: adaptive estimates of the first and second moments of the gradients.

    Update rule, as Keras computes it (``t`` is ``iterations + 1``)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    With ``amsgrad=True``, ``v_hat = max(v_hat, v)`` replaces ``v`` in the last line.

    Differences from ``torch.optim.Adam``: the bias correction is folded into
    the step size and ``epsilon`` is added to ``sqrt(v)`` *without* bias
    correction (torch adds it to ``sqrt(v / (1 - beta_2**t))``), so epsilon
    weighs ``sqrt(1 - beta_2**t)`` times less in early steps; the default
    epsilon is 1e-7 (torch: 1e-8); and ``weight_decay`` is decoupled
    (torch's Adam adds an L2 term to the gradient).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: Decay rate of the first-moment average, in [0, 1); default 0.9.
        beta_2: Decay rate of the second-moment average, in [0, 1); default 0.999.
        epsilon: Small constant for numerical stability ("epsilon hat" in the
            paper); default 1e-7.
        amsgrad: Whether to use the AMSGrad variant. Default False.
        {base_args}

    Example:

    >>> model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    >>> optimizer = keras.optimizers.Adam(learning_rate=0.1)
    >>> w = keras.Variable(torch.tensor([1.0]))
    >>> optimizer.apply([torch.tensor([0.5])], [w])
    >>> w.numpy().round(4)   # the first Adam step moves each weight by about learning_rate
    array([0.9], dtype=float32)
    """

    _slot_attrs = ("_momentums", "_velocities", "_velocity_hats")
    # Use torch's fused Adam kernel where it applies (the maths is the same; see _update_fused).
    _use_fused = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        owner = type(self).__name__
        self.beta_1 = check_unit_interval(owner, "beta_1", beta_1, closed=False)
        self.beta_2 = check_unit_interval(owner, "beta_2", beta_2, closed=False)
        self.epsilon = check_epsilon(owner, epsilon)
        self.amsgrad = bool(amsgrad)

    def build(self, variables):
        """Create the first and second moments (and ``velocity_hat`` with AMSGrad) per weight."""
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")

    def _update_group(self, group, grads, learning_rate):
        if self._use_fused:
            fused = group.extra.get("fused", False)
            if fused is False:
                fused = group.extra["fused"] = _fused_setup(group)
            if fused is not None and [g.stride() for g in grads] == fused[1]:
                self._update_fused(group, grads, learning_rate, fused[0])
                return
        beta_1, beta_2 = self.beta_1, self.beta_2
        alpha = adam_step_size(learning_rate, beta_1, beta_2, self._step_count() + 1, group.dtype)
        m = group.slots["_momentums"]
        v = group.slots["_velocities"]
        torch._foreach_mul_(m, beta_1)
        torch._foreach_add_(m, grads, alpha=1.0 - beta_1)
        torch._foreach_mul_(v, beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - beta_2)
        if self.amsgrad:
            v_hat = group.slots["_velocity_hats"]
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denominators = torch._foreach_sqrt(v)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(group.params, m, denominators, value=-alpha)

    def _update_fused(self, group, grads, learning_rate, step_tensor):
        """Keras's Adam step with torch's fused kernel.

        The kernel computes ``w -= lr' / c1 * m / (sqrt(v) / sqrt(c2) + eps')``
        with ``c1 = 1 - beta_1**t`` and ``c2 = 1 - beta_2**t``. With
        ``eps' = epsilon / sqrt(c2)`` and ``lr' = alpha * c1 / sqrt(c2)`` this is
        exactly Keras's ``w -= alpha * m / (sqrt(v) + epsilon)``, ``alpha`` being
        Keras's step size (see :func:`adam_step_size`). The moment updates are
        the same as Keras's: ``m = beta_1 * m + (1 - beta_1) * g`` and likewise ``v``.
        """
        step = self._step_count() + 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        alpha = adam_step_size(learning_rate, beta_1, beta_2, step, group.dtype)
        c1, c2_sqrt = 1.0 - beta_1 ** step, math.sqrt(1.0 - beta_2 ** step)
        step_tensor.fill_(step)
        params = group.params
        _FUSED_ADAM(
            params, grads, group.slots["_momentums"], group.slots["_velocities"],
            group.slots.get("_velocity_hats", []) if self.amsgrad else [],
            [step_tensor] * len(params),
            lr=alpha * c1 / c2_sqrt, beta1=beta_1, beta2=beta_2, weight_decay=0.0,
            eps=self.epsilon / c2_sqrt, amsgrad=self.amsgrad, maximize=False,
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        })
        return config


@document
@registry.builtin("optimizers", "adamw")
class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Exactly :class:`Adam` with ``weight_decay`` required (default 0.004):
    before each update every weight (except those excluded with
    ``exclude_from_weight_decay``) is multiplied by
    ``1 - weight_decay * learning_rate``, as Keras does.

    Differences from ``torch.optim.AdamW``: Adam's epsilon placement and
    bias correction as described in :class:`Adam`; the decay factor is the same
    ``1 - lr * weight_decay``, but the default weight decay is 0.004 (torch: 0.01)
    and the default epsilon 1e-7 (torch: 1e-8).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.001.
        weight_decay: The decay rate (a number >= 0); default 0.004.
        beta_1: Decay rate of the first-moment average, in [0, 1); default 0.9.
        beta_2: Decay rate of the second-moment average, in [0, 1); default 0.999.
        epsilon: Small constant for numerical stability; default 1e-7.
        amsgrad: Whether to use the AMSGrad variant. Default False.
        {base_args}

    Example:

    >>> optimizer = keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.01)
    >>> optimizer.exclude_from_weight_decay(var_names=["bias"])
    >>> model.compile(optimizer=optimizer, loss="mse")
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError(
                "AdamW: argument `weight_decay` must be a number >= 0 (AdamW without weight decay is "
                "Adam); got weight_decay=None."
            )
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
            weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
