"""``Adagrad``, with Keras's epsilon inside the square root."""

import torch

from layerwise.initializers import Constant
from layerwise.optimizers.optimizer import Optimizer, check_epsilon, check_non_negative, document
from layerwise.saving import registry


@document
@registry.builtin("optimizers", "adagrad")
class Adagrad(Optimizer):
    """Adagrad: per-weight learning rates scaled by the accumulated squared gradients.

    Update rule, as Keras computes it::

        accumulator = accumulator + g * g
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    Differences from ``torch.optim.Adagrad``: epsilon is added *inside* the
    square root (torch: ``sqrt(acc) + eps``); the accumulators start at
    ``initial_accumulator_value`` = 0.1 (torch: 0); the default learning rate is
    0.001 (torch: 0.01); there is no ``lr_decay``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default
            0.001 (Adagrad often benefits from larger values; the paper uses 1.0).
        initial_accumulator_value: Starting value of the accumulators, >= 0; default 0.1.
        epsilon: Small constant for numerical stability; default 1e-7.
        {base_args}

    Example:

    >>> optimizer = keras.optimizers.Adagrad(learning_rate=0.1)
    >>> w = keras.Variable(torch.tensor([1.0]))
    >>> optimizer.apply([torch.tensor([1.0])], [w])
    >>> w.numpy().round(4)   # 1 - 0.1 * 1 / sqrt(0.1 + 1)
    array([0.9047], dtype=float32)
    """

    _slot_attrs = ("_accumulators",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.initial_accumulator_value = check_non_negative(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value)
        self.epsilon = check_epsilon("Adagrad", epsilon)

    def build(self, variables):
        """Create one accumulator per weight, filled with ``initial_accumulator_value``."""
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=Constant(self.initial_accumulator_value))

    def _update_group(self, group, grads, learning_rate):
        accumulators = group.slots["_accumulators"]
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_addcdiv_(group.params, grads, denominators, value=-learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update({
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        })
        return config
