"""``Nadam``: Adam with Nesterov momentum and Keras's (Dozat's) momentum schedule."""

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
@registry.builtin("optimizers", "nadam")
class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat, 2015).

    Update rule, as Keras computes it (``t`` is ``iterations + 1``)::

        u_t  = beta_1 * (1 - 0.5 * 0.96 ** t)          # the momentum schedule
        u_t1 = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t                     # product of all u so far (state)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Differences from ``torch.optim.NAdam``: the momentum schedule decays as
    ``0.96 ** t`` (torch: ``0.96 ** (t * momentum_decay)`` with
    ``momentum_decay=0.004``, a much slower warm-up), so the two give different
    trajectories; the default learning rate is 0.001 (torch: 0.002) and
    epsilon 1e-7 (torch: 1e-8).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.001.
        beta_1: Decay rate of the first-moment average, in [0, 1); default 0.9.
        beta_2: Decay rate of the second-moment average, in [0, 1); default 0.999.
        epsilon: Small constant for numerical stability; default 1e-7.
        {base_args}

    Example:

    >>> model.compile(optimizer=keras.optimizers.Nadam(learning_rate=2e-3), loss="mse")
    """

    _slot_attrs = ("_momentums", "_velocities")

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
        self.beta_1 = check_unit_interval("Nadam", "beta_1", beta_1, closed=False)
        self.beta_2 = check_unit_interval("Nadam", "beta_2", beta_2, closed=False)
        self.epsilon = check_epsilon("Nadam", epsilon)
        self._u_product_value = 1.0

    def build(self, variables):
        """Create the first and second moments per weight, and the running momentum product."""
        if self.built:
            return
        variables = list(variables)
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        dtype = variables[0].dtype if variables else torch.float32
        self._u_product_value = 1.0
        self._u_product = self._scalar_variable("u_product", 1.0, dtype, "_u_product_value", float)
        self._variables.append(self._u_product)

    def _update_group(self, group, grads, learning_rate):
        dtype = group.dtype
        beta_1, beta_2 = self.beta_1, self.beta_2
        b1, b2 = _round_to(beta_1, dtype), _round_to(beta_2, dtype)
        step = self._step_count() + 1
        u_t = b1 * (1.0 - 0.5 * 0.96 ** step)
        u_t1 = b1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        u_product = _round_to(self._u_product_value * u_t, dtype)
        self._u_product_value = u_product
        u_product_next = u_product * u_t1
        m = group.slots["_momentums"]
        v = group.slots["_velocities"]
        torch._foreach_mul_(m, beta_1)
        torch._foreach_add_(m, grads, alpha=1.0 - beta_1)
        torch._foreach_mul_(v, beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - beta_2)
        denominators = torch._foreach_div(v, 1.0 - b2 ** step)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        numerators = torch._foreach_mul(m, u_t1 / (1.0 - u_product_next))
        torch._foreach_add_(numerators, grads, alpha=(1.0 - u_t) / (1.0 - u_product))
        torch._foreach_addcdiv_(group.params, numerators, denominators, value=-learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
