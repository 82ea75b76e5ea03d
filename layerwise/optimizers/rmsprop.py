"""``RMSprop``, with Keras's epsilon inside the square root and lr inside the momentum."""

import torch

from layerwise.optimizers.optimizer import Optimizer, check_epsilon, check_unit_interval, document
from layerwise.saving import registry


@document
@registry.builtin("optimizers", "rmsprop")
class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    Update rule, as Keras computes it::

        v = rho * v + (1 - rho) * g * g
        denominator = v + epsilon                         # centered=False
        a = rho * a + (1 - rho) * g                       # centered=True:
        denominator = v - a * a + epsilon                 #   the variance instead
        increment = learning_rate * g / sqrt(denominator)
        w = w - increment                                 # momentum == 0
        p = momentum * p + increment; w = w - p           # momentum > 0

    Differences from ``torch.optim.RMSprop``: epsilon is added *inside* the
    square root (torch: ``sqrt(v) + eps``); the default ``rho`` is 0.9 (torch's
    ``alpha``: 0.99) and epsilon 1e-7 (torch: 1e-8); with momentum, the
    learning rate is applied before accumulating (torch multiplies the
    momentum buffer by the current learning rate), which differs only when the
    learning rate changes during training.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.001.
        rho: Discounting factor of the squared-gradient average, in [0, 1]; default 0.9.
        momentum: Momentum factor in [0, 1]; default 0.0 (no momentum).
        epsilon: Small constant for numerical stability; default 1e-7.
        centered: If True, normalize by the estimated variance of the gradient
            instead of its uncentered second moment. Default False.
        {base_args}

    Example:

    >>> optimizer = keras.optimizers.RMSprop(learning_rate=0.1)
    >>> w = keras.Variable(torch.tensor([10.0]))
    >>> optimizer.apply([w.detach().clone()], [w])   # gradient of w**2 / 2 is w
    >>> w.numpy()
    array([9.683772], dtype=float32)
    """

    _slot_attrs = ("_velocities", "_momentums", "_average_gradients")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = check_unit_interval("RMSprop", "rho", rho)
        self.momentum = check_unit_interval("RMSprop", "momentum", momentum)
        self.epsilon = check_epsilon("RMSprop", epsilon)
        self.centered = bool(centered)

    def build(self, variables):
        """Create the squared-gradient average, and the momentum / mean gradient when used."""
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")

    def _update_group(self, group, grads, learning_rate):
        rho = self.rho
        velocities = group.slots["_velocities"]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1.0 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = group.slots["_average_gradients"]
            torch._foreach_mul_(averages, rho)
            torch._foreach_add_(averages, grads, alpha=1.0 - rho)
            torch._foreach_addcmul_(denominators, averages, averages, value=-1.0)
        torch._foreach_sqrt_(denominators)
        momentums = group.slots.get("_momentums")
        if self.momentum > 0 and momentums:
            increments = torch._foreach_mul(grads, learning_rate)
            torch._foreach_div_(increments, denominators)
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            torch._foreach_sub_(group.params, momentums)
        else:
            torch._foreach_addcdiv_(group.params, grads, denominators, value=-learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        })
        return config
