"""``LossScaleOptimizer``: dynamic loss scaling for float16 training.

float16 has a narrow range: small gradients round to zero. Multiplying the
loss by a large factor before backpropagation keeps them representable; the
gradients are divided by the same factor before the update. The factor adapts:
when a step produces Inf or NaN gradients, that step is skipped and the scale
halves; after ``dynamic_growth_steps`` good steps in a row it doubles. This is
Keras's algorithm (and torch's ``GradScaler``'s). ``compile`` wraps the
optimizer in one automatically under the ``mixed_float16`` policy, as Keras
does; ``mixed_bfloat16`` needs no scaling.
"""

import math

import torch

from layerwise.optimizers.optimizer import Optimizer, check_number
from layerwise.saving import registry


@registry.builtin("optimizers")
class LossScaleOptimizer(Optimizer):
    """An optimizer that scales the loss dynamically and skips steps with non-finite gradients.

    Args:
        inner_optimizer: The optimizer that updates the weights (an
            ``Optimizer`` instance).
        initial_scale: The starting loss scale (``2**15``).
        dynamic_growth_steps: After this many consecutive steps with finite
            gradients the scale doubles (2000).
        name: Name of the optimizer.

    Example:

    >>> optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    >>> model.compile(optimizer=optimizer, loss="mse")
    >>> float(optimizer.dynamic_scale)
    32768.0
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None,
                 **kwargs):
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "LossScaleOptimizer: argument `inner_optimizer` must be an optimizer instance such as "
                f"keras.optimizers.Adam(); got {inner_optimizer!r}."
            )
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = check_number("LossScaleOptimizer", "initial_scale", initial_scale,
                                          "a finite number > 0", lambda v: math.isfinite(v) and v > 0)
        self.dynamic_growth_steps = int(check_number(
            "LossScaleOptimizer", "dynamic_growth_steps", dynamic_growth_steps, "an integer >= 1",
            lambda v: v >= 1 and float(v).is_integer()))
        self.dynamic_scale = self.add_variable((), initializer="zeros", dtype="float32", name="dynamic_scale")
        self.dynamic_scale.fill_(self.initial_scale)
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int32", name="step_counter")

    def build(self, variables):
        self.inner_optimizer.build(variables)
        self.built = True

    @property
    def variables(self):
        return [self.step_counter, self.dynamic_scale] + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """The loss times the current scale; backpropagate this one."""
        return loss * self.dynamic_scale

    def apply(self, grads, trainable_variables=None):
        """Unscale the gradients; update with them if all are finite, else skip and halve the scale."""
        with torch.no_grad():
            present = [g for g in grads if g is not None]
            if not present:
                return
            unscaled = torch._foreach_div(present, self.dynamic_scale)
            # The largest magnitude per gradient (no overflow, unlike a 2-norm): NaN or inf if any is.
            largest = torch.stack(torch._foreach_norm(unscaled, float("inf")))
            if not bool(torch.isfinite(largest).all()):  # the step's only host synchronisation
                self.dynamic_scale.div_(2)
                self.step_counter.zero_()
                return
            iterator = iter(unscaled)
            self.inner_optimizer.apply([None if g is None else next(iterator) for g in grads],
                                       trainable_variables)
            # Grow the scale after dynamic_growth_steps finite steps, decided on the device.
            self.step_counter.add_(1)
            grow = self.step_counter >= self.dynamic_growth_steps
            self.dynamic_scale.mul_(torch.where(grow, 2.0, 1.0))
            self.step_counter.masked_fill_(grow, 0)

    def get_config(self):
        from layerwise.saving.serialization import serialize_keras_object

        return {"name": self.name, "inner_optimizer": serialize_keras_object(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from layerwise import optimizers

        config = dict(config)
        config["inner_optimizer"] = optimizers.deserialize(config["inner_optimizer"], custom_objects)
        return cls(**config)
