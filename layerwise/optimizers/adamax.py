"""``Adamax``, with Keras's epsilon placement."""

import torch

from layerwise.optimizers.optimizer import (
    Optimizer,
    _round_to,
    check_epsilon,
    check_unit_interval,
    document,
)
from layerwise.saving import registry


@document
@registry.builtin("optimizers", "adamax")
class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    Update rule, as Keras computes it (``t`` is ``iterations + 1``)::

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, abs(g))
        w = w - learning_rate * m / ((u + epsilon) * (1 - beta_1 ** t))

    Differences from ``torch.optim.Adamax``: epsilon is added to ``u`` after
    the maximum (torch: ``u = max(beta_2 * u, abs(g) + eps)``); the default
    learning rate is 0.001 (torch: 0.002) and epsilon 1e-7 (torch: 1e-8).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: Decay rate of the first-moment average, in [0, 1); default 0.9.
        beta_2: Decay rate of the infinity norm, in [0, 1); default 0.999.
        epsilon: Small constant for numerical stability; default 1e-7.
        {base_args}

    Example:

    >>> optimizer = keras.optimizers.Adamax(learning_rate=0.1)
    >>> w = keras.Variable(torch.tensor([1.0]))
    >>> optimizer.apply([torch.tensor([0.5])], [w])
    >>> w.numpy().round(4)
    array([0.9], dtype=float32)
    """

    _slot_attrs = ("_m", "_u")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.beta_1 = check_unit_interval("Adamax", "beta_1", beta_1, closed=False)
        self.beta_2 = check_unit_interval("Adamax", "beta_2", beta_2, closed=False)
        self.epsilon = check_epsilon("Adamax", epsilon)

    def build(self, variables):
        """Create the first moment and the infinity norm per weight."""
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def _update_group(self, group, grads, learning_rate):
        beta_1 = self.beta_1
        step = self._step_count() + 1
        correction = 1.0 - _round_to(beta_1, group.dtype) ** step
        m, u = group.slots["_m"], group.slots["_u"]
        torch._foreach_mul_(m, beta_1)
        torch._foreach_add_(m, grads, alpha=1.0 - beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominators = torch._foreach_add(u, self.epsilon)
        torch._foreach_addcdiv_(group.params, m, denominators, value=-learning_rate / correction)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
