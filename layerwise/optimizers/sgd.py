"""``SGD``: gradient descent, with optional (Nesterov) momentum, as Keras computes it."""

import torch

from layerwise.optimizers.optimizer import Optimizer, check_unit_interval, document
from layerwise.saving import registry


@document
@registry.builtin("optimizers", "sgd")
class SGD(Optimizer):
    """Gradient descent (with momentum).

    Update rule for weight ``w`` with gradient ``g``, as Keras writes it::

        # momentum == 0
        w = w - learning_rate * g
        # momentum > 0
        velocity = momentum * velocity - learning_rate * g
        w = w + velocity                                        # nesterov=False
        w = w + momentum * velocity - learning_rate * g         # nesterov=True

    Differences from ``torch.optim.SGD``: Keras's velocity already includes the
    learning rate and is negative (``velocity = momentum * velocity - lr * g``),
    where torch keeps ``buf = momentum * buf + g`` and multiplies by the current
    learning rate at the end. The two agree for a constant learning rate and
    differ when it changes during training (a schedule, a callback): here, as in
    Keras, a new learning rate applies to new gradients only. Weight decay is
    Keras's decoupled decay, not torch's L2 term added to the gradient.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.01.
        momentum: A number in [0, 1]; 0 is plain gradient descent. Default 0.0.
        nesterov: Whether to apply Nesterov momentum. Default False.
        {base_args}

    Example:

    >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
    >>> optimizer = keras.optimizers.SGD(learning_rate=0.1)
    >>> w = keras.Variable(torch.tensor([1.0]))   # or any layer weight
    >>> optimizer.apply([torch.tensor([2.0])], [w])
    >>> w.numpy()
    array([0.8], dtype=float32)
    """

    _slot_attrs = ("momentums",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        # A float, as Keras requires (its configs refuse an int momentum).
        self.momentum = float(check_unit_interval("SGD", "momentum", momentum))
        self.nesterov = bool(nesterov)

    def build(self, variables):
        """Create one momentum (velocity) per weight when ``momentum`` is not 0."""
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _update_group(self, group, grads, learning_rate):
        params = group.params
        velocities = group.slots.get("momentums")
        if self.momentum != 0 and velocities:
            momentum = self.momentum
            torch._foreach_mul_(velocities, momentum)
            torch._foreach_add_(velocities, grads, alpha=-learning_rate)
            if self.nesterov:
                torch._foreach_add_(params, grads, alpha=-learning_rate)
                torch._foreach_add_(params, velocities, alpha=momentum)
            else:
                torch._foreach_add_(params, velocities)
        else:
            torch._foreach_add_(params, grads, alpha=-learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
