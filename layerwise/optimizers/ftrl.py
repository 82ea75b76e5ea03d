"""``Ftrl``: Follow The Regularized Leader, as Keras computes it."""

import math

import torch

from layerwise.initializers import Constant
from layerwise.optimizers.optimizer import Optimizer, check_non_negative, check_number, document
from layerwise.saving import registry


@document
@registry.builtin("optimizers", "ftrl")
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), for shallow models with large sparse inputs.

    Update rule, as Keras computes it (``p = -learning_rate_power``)::

        g2 = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g * g
        z = z + g2 - (n_new ** p - n ** p) / learning_rate * w
        quadratic = n_new ** p / learning_rate + 2 * (l2 + beta / (2 * learning_rate))
        w = (clip(z, -l1, l1) - z) / quadratic
        n = n_new

    ``torch.optim`` has no FTRL.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable; default 0.001.
        learning_rate_power: A number <= 0 controlling how the learning rate
            decreases (0 for a fixed rate); default -0.5.
        initial_accumulator_value: Starting value of the accumulators ``n``, >= 0; default 0.1.
        l1_regularization_strength: L1 strength, >= 0; default 0.0.
        l2_regularization_strength: L2 (stabilization) strength, >= 0; default 0.0.
        l2_shrinkage_regularization_strength: L2 shrinkage (magnitude penalty)
            strength, >= 0; default 0.0.
        beta: The beta of the paper; default 0.0.
        {base_args}

    Example:

    >>> optimizer = keras.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    >>> model.compile(optimizer=optimizer, loss="binary_crossentropy")
    """

    _slot_attrs = ("_accumulators", "_linears")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.learning_rate_power = check_number(
            "Ftrl", "learning_rate_power", learning_rate_power, "a finite number <= 0",
            lambda v: math.isfinite(v) and v <= 0.0)
        self.initial_accumulator_value = check_non_negative(
            "Ftrl", "initial_accumulator_value", initial_accumulator_value)
        self.l1_regularization_strength = check_non_negative(
            "Ftrl", "l1_regularization_strength", l1_regularization_strength)
        self.l2_regularization_strength = check_non_negative(
            "Ftrl", "l2_regularization_strength", l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = check_non_negative(
            "Ftrl", "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)
        self.beta = check_number("Ftrl", "beta", beta, "a finite number", math.isfinite)

    def build(self, variables):
        """Create the accumulators ``n`` and the linear terms ``z`` per weight."""
        if self.built:
            return
        super().build(variables)
        self._accumulators, self._linears = self.add_optimizer_variables(
            variables, ["accumulator", "linear"],
            initializer=[Constant(self.initial_accumulator_value), "zeros"])

    def _update_group(self, group, grads, learning_rate):
        params = group.params
        accumulators, linears = group.slots["_accumulators"], group.slots["_linears"]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        shrinkage = self.l2_shrinkage_regularization_strength
        if shrinkage:
            grads_to_use = torch._foreach_mul(params, 2.0 * shrinkage)
            torch._foreach_add_(grads_to_use, grads)
        else:
            grads_to_use = grads
        new_accumulators = torch._foreach_addcmul(accumulators, grads, grads)
        new_powers = torch._foreach_pow(new_accumulators, power)
        sigmas = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigmas, learning_rate)
        torch._foreach_mul_(sigmas, params)
        torch._foreach_add_(linears, torch._foreach_sub(grads_to_use, sigmas))
        quadratics = torch._foreach_div(new_powers, learning_rate)
        torch._foreach_add_(quadratics, 2.0 * l2)
        clipped = torch._foreach_clamp_min(linears, -l1)
        torch._foreach_clamp_max_(clipped, l1)
        torch._foreach_sub_(clipped, linears)
        torch._foreach_div_(clipped, quadratics)
        torch._foreach_copy_(params, clipped)
        torch._foreach_copy_(accumulators, new_accumulators)

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
