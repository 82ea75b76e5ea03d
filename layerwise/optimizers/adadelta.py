"""``Adadelta``, as Keras computes it."""

import torch

from layerwise.optimizers.optimizer import Optimizer, check_epsilon, check_unit_interval, document
from layerwise.saving import registry


@document
@registry.builtin("optimizers", "adadelta")
class Adadelta(Optimizer):
    """Adadelta: step sizes from running averages of squared gradients and squared updates.

    Update rule, as Keras computes it::

        a = rho * a + (1 - rho) * g * g
        delta = -sqrt(d + epsilon) / sqrt(a + epsilon) * g
        d = rho * d + (1 - rho) * delta * delta
        w = w + learning_rate * delta

    This is the same formula as ``torch.optim.Adadelta``; only the defaults
    differ: learning rate 0.001 (torch: 1.0), rho 0.95 (torch: 0.9),
    epsilon 1e-7 (torch: 1e-6); and weight decay is Keras's decoupled decay.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default
            0.001 (the paper's form uses 1.0).
        rho: The decay rate, in [0, 1]; default 0.95.
        epsilon: Small constant for numerical stability; default 1e-7.
        {base_args}

    Example:

    >>> optimizer = keras.optimizers.Adadelta(learning_rate=1.0)
    >>> model.compile(optimizer=optimizer, loss="mse")
    """

    _slot_attrs = ("_accumulated_grads", "_accumulated_delta_vars")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = check_unit_interval("Adadelta", "rho", rho)
        self.epsilon = check_epsilon("Adadelta", epsilon)

    def build(self, variables):
        """Create the running averages of squared gradients and squared updates per weight."""
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"])

    def _update_group(self, group, grads, learning_rate):
        rho, epsilon = self.rho, self.epsilon
        grad_averages = group.slots["_accumulated_grads"]
        delta_averages = group.slots["_accumulated_delta_vars"]
        torch._foreach_mul_(grad_averages, rho)
        torch._foreach_addcmul_(grad_averages, grads, grads, value=1.0 - rho)
        numerators = torch._foreach_add(delta_averages, epsilon)
        torch._foreach_sqrt_(numerators)
        denominators = torch._foreach_add(grad_averages, epsilon)
        torch._foreach_sqrt_(denominators)
        deltas = torch._foreach_mul(numerators, grads)
        torch._foreach_div_(deltas, denominators)   # deltas = -delta
        torch._foreach_mul_(delta_averages, rho)
        torch._foreach_addcmul_(delta_averages, deltas, deltas, value=1.0 - rho)
        torch._foreach_add_(group.params, deltas, alpha=-learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
