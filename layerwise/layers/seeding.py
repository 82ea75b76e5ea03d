"""Seeded randomness for layers: the ``seed`` argument and the generators it starts.

Dropout, GaussianNoise, the random image layers and the recurrent cells'
dropout draw from a generator of their own when given a ``seed``, so two
runs with the same seeds draw the same masks; without a seed they draw from
torch's global generator, as Keras's unseeded layers do. A layer keeps one
generator per device in ``layer._generators``, where BackupAndRestore saves
and restores their states.

Example:

>>> dropout = layerwise.layers.Dropout(0.5, seed=1)
>>> seeding.layer_generator(dropout, torch.device("cpu")).initial_seed()
1
"""

import numbers

import torch


def check_seed(seed, owner):
    """``seed`` as an ``int`` (or ``None``); anything else is refused naming ``owner``."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"{owner} seed must be an integer or None, got {seed!r}.")
    return None if seed is None else int(seed)


def layer_generator(layer, device):
    """``layer``'s own generator on ``device``, seeded with ``layer.seed`` on first use.

    ``None`` (torch's global generator) when the layer has no seed, and on
    the ``meta`` device, which draws nothing.
    """
    if layer.seed is None or device.type == "meta":
        return None
    generators = layer.__dict__.setdefault("_generators", {})
    key = str(device)
    generator = generators.get(key)
    if generator is None:
        generator = torch.Generator(device=device)
        generator.manual_seed(layer.seed)
        generators[key] = generator
    return generator
