"""Random image augmentation layers: RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
RandomContrast, RandomBrightness, RandomCrop.

They transform images only while training: ``fit`` calls them with
``training=True``, ``evaluate`` and ``predict`` with ``training=False``, where
they return their input (the geometric layers cast it to the layer's float
dtype, as Keras does), except ``RandomCrop``, which then crops the centre so
that the output always has the declared size. A layer called on its own without ``training`` augments, as in
Keras, so that ``layer(images)`` shows what it does.

Each image of a batch gets its own random parameters (``RandomCrop`` crops
the whole batch at one random place, as Keras does). All the work is batched
torch operations (one ``grid_sample`` per batch for the geometric layers) on
the images' own device.

Randomness: a layer given a ``seed`` draws from its own ``torch.Generator``
(one per device, seeded with ``seed``), so two layers with the same seed make
the same draws, call after call; without a seed it draws from torch's global
generator, which ``layerwise.utils.set_random_seed`` seeds.

>>> augment = layerwise.Sequential([
...     layerwise.layers.RandomFlip("horizontal"),
...     layerwise.layers.RandomRotation(0.1),
...     layerwise.layers.RandomZoom(0.1),
... ])
>>> images = np.random.rand(8, 32, 32, 3)
>>> augment(images, training=True).shape
torch.Size([8, 32, 32, 3])
>>> bool((augment(images, training=False) == torch.as_tensor(images, dtype=torch.float32)).all())
True
"""

import random

import torch

from layerwise import backend
from layerwise.layers import seeding
from layerwise.layers.preprocessing import image_ops
from layerwise.layers.preprocessing.image_preprocessing import (
    BaseImageLayer,
    FixedSizeOutput,
    _check_target_size,
)
from layerwise.saving.registry import builtin

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class BaseRandomLayer(BaseImageLayer):
    """An image layer with random parameters drawn per batch from a (seeded) generator."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seeding.check_seed(seed, type(self).__name__)

    def _uniform(self, shape, low, high, device):
        """Uniform draws in ``[low, high)`` (exactly ``low`` when ``low == high``)."""
        values = torch.rand(shape, generator=seeding.layer_generator(self, device), device=device,
                            dtype=self._compute_dtype())
        return values * (high - low) + low

    def _batch_size(self, images):
        return 1 if images.ndim == 3 else int(images.shape[0])


def _factor_pair(factor, bounds, layer_name, argument="factor"):
    """Keras's reading of a factor: a number ``f`` means ``(-f, f)`` (clipped to the bounds); pairs are sorted."""
    low, high = bounds
    message = (
        f"{layer_name} {argument} must be a number or a pair of numbers in the range [{low}, {high}], "
        f"e.g. {layer_name}(0.2) or {layer_name}((-0.1, 0.3)); got {argument}={factor!r}."
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(backend.is_real_number(f) for f in factor):
            raise ValueError(message)
        if factor[0] > high or factor[1] < low:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if backend.is_real_number(factor):
        if factor < low or factor > high:
            raise ValueError(message)
        factor = abs(factor)
        return max(-factor, low), factor
    raise ValueError(message)


def _check_choice(value, choices, argument, layer_name):
    if value not in choices:
        raise ValueError(f"{layer_name} {argument} must be one of {choices}; got {value!r}.")
    return value


@builtin("layers")
class RandomFlip(BaseRandomLayer):
    """Randomly flips images horizontally and/or vertically while training.

    Each image is flipped left-right with probability 1/2 (``"horizontal"``),
    top-bottom with probability 1/2 (``"vertical"``), or both, each with its
    own draw (``"horizontal_and_vertical"``, the default). At inference the
    images are returned unchanged (as floats).

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: integer seed for reproducible flips.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layer = layerwise.layers.RandomFlip("horizontal", seed=1)
    >>> layer(np.random.rand(4, 8, 8, 3), training=True).shape
    torch.Size([4, 8, 8, 3])
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = _check_choice(mode, (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL), "mode", "RandomFlip")

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        batch, device = self._batch_size(images), images.device
        generator = seeding.layer_generator(self, device)
        flips = {}
        # One draw per image and per axis; the order of draws is fixed, so seeds reproduce.
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            flips["horizontal"] = torch.rand(batch, generator=generator, device=device) < 0.5
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            flips["vertical"] = torch.rand(batch, generator=generator, device=device) < 0.5
        return flips

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or not transformation:
            return images
        unbatched = images.ndim == 3
        x = images.unsqueeze(0) if unbatched else images
        h_axis, w_axis = self._spatial_axes(4)
        for key, axis in (("horizontal", w_axis), ("vertical", h_axis)):
            if key in transformation:
                x = torch.where(transformation[key].view(-1, 1, 1, 1), x.flip(axis), x)
        return x.squeeze(0) if unbatched else x

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class _AffineLayer(BaseRandomLayer):
    """A layer that resamples each image through its own random affine transform."""

    def _check_fill(self, fill_mode, interpolation):
        name = type(self).__name__
        self.fill_mode = _check_choice(fill_mode, image_ops.AFFINE_FILL_MODES, "fill_mode", name)
        self.interpolation = _check_choice(interpolation, image_ops.AFFINE_INTERPOLATIONS, "interpolation", name)

    def _matrices(self, images, height, width):
        raise NotImplementedError

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        height, width = self._image_size(images)
        return self._matrices(images, height, width)

    def transform_images(self, images, transformation, training=True, interpolation=None):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return image_ops.affine_transform(
            images, transformation, interpolation=interpolation or self.interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format,
        )

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return self.transform_images(masks, transformation, training, interpolation="nearest")


@builtin("layers")
class RandomRotation(_AffineLayer):
    """Randomly rotates images about their centre while training.

    Args:
        factor: a fraction of a full turn. A number ``f`` rotates by a random
            angle in ``[-f * 360, f * 360]`` degrees; a pair ``(low, high)``
            in ``[low * 360, high * 360]``. Positive angles turn
            counter-clockwise. ``RandomRotation(0.1)`` rotates by up to 36°.
        fill_mode: how points outside the image are filled: ``"reflect"``
            (default, ``d c b a | a b c d | d c b a``), ``"wrap"``
            (``a b c d | a b c d``), ``"constant"`` (``fill_value``) or
            ``"nearest"`` (the edge pixel).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: integer seed for reproducible rotations.
        fill_value: the value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layer = layerwise.layers.RandomRotation(0.1, fill_mode="constant")
    >>> layer(np.random.rand(4, 16, 16, 3), training=True).shape
    torch.Size([4, 16, 16, 3])
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (-1, 1), "RandomRotation")
        self._check_fill(fill_mode, interpolation)
        self.fill_value = fill_value

    def _matrices(self, images, height, width):
        angles = self._uniform((self._batch_size(images),), self.factor[0] * 360.0, self.factor[1] * 360.0,
                               images.device)
        return image_ops.compose_affine(angles, height, width)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation, "seed": self.seed}


def _signed_factor(factor, argument, layer_name, allow_minus_one):
    """Zoom and translation factors: a number ``f`` means ``(-f, f)``; each value in (-1, 1] or [-1, 1]."""
    interval = "[-1, 1]" if allow_minus_one else "(-1, 1]"
    message = (
        f"{layer_name} {argument} must be a number or a pair of numbers in the range {interval}, e.g. "
        f"{layer_name}(0.2) or {layer_name}((-0.3, 0.2)); got {argument}={factor!r}."
    )

    def in_range(value):
        return backend.is_real_number(value) and value <= 1.0 and (value >= -1.0 if allow_minus_one else value > -1.0)

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(in_range(f) for f in factor):
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if in_range(factor):
        factor = abs(factor)
        return -factor, factor
    raise ValueError(message)


@builtin("layers")
class RandomZoom(_AffineLayer):
    """Randomly zooms images in or out while training, each axis by its own random amount.

    Args:
        height_factor: a number ``f`` zooms vertically by a random amount in
            ``[-f, +f]``; a pair ``(low, high)`` in ``[low, high]``. Positive
            values zoom *out* (the image gets smaller), negative values zoom
            in: ``height_factor=(-0.3, -0.2)`` zooms in by 20% to 30%.
        width_factor: the same horizontally; ``None`` (default) zooms both
            axes by the same amount, keeping the aspect ratio.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or
            ``"nearest"``, as in :class:`RandomRotation`.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: integer seed for reproducible zooms.
        fill_value: the value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layerwise.layers.RandomZoom(0.2)(np.random.rand(4, 16, 16, 3), training=True).shape
    torch.Size([4, 16, 16, 3])
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _signed_factor(height_factor, "height_factor", "RandomZoom", False)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _signed_factor(width_factor, "width_factor", "RandomZoom",
                                                                False)
        self._check_fill(fill_mode, interpolation)
        self.fill_value = fill_value

    def _matrices(self, images, height, width):
        batch, device = self._batch_size(images), images.device
        zoom_y = self._uniform((batch,), 1.0 + self.height_lower, 1.0 + self.height_upper, device)
        if self.width_factor is None:
            zoom_x = zoom_y
        else:
            zoom_x = self._uniform((batch,), 1.0 + self.width_lower, 1.0 + self.width_upper, device)
        zeros = torch.zeros_like(zoom_y)
        offset_x = (width - 1.0) / 2.0 * (1.0 - zoom_x)
        offset_y = (height - 1.0) / 2.0 * (1.0 - zoom_y)
        return torch.stack([zoom_x, zeros, offset_x, zeros, zoom_y, offset_y, zeros, zeros], dim=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


@builtin("layers")
class RandomTranslation(_AffineLayer):
    """Randomly shifts images while training.

    Args:
        height_factor: a fraction of the height. A number ``f`` shifts by a
            random amount in ``[-f, +f]`` of the height; a pair ``(low, high)``
            in ``[low, high]``. Negative values shift up, positive down.
        width_factor: the same for the width; negative shifts left, positive
            right.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or
            ``"nearest"``, as in :class:`RandomRotation`.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: integer seed for reproducible shifts.
        fill_value: the value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layer = layerwise.layers.RandomTranslation(0.1, 0.1)
    >>> layer(np.random.rand(4, 16, 16, 3), training=True).shape
    torch.Size([4, 16, 16, 3])
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _signed_factor(height_factor, "height_factor",
                                                              "RandomTranslation", True)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _signed_factor(width_factor, "width_factor",
                                                            "RandomTranslation", True)
        self._check_fill(fill_mode, interpolation)
        self.fill_value = fill_value

    def _matrices(self, images, height, width):
        batch, device = self._batch_size(images), images.device
        shift_y = self._uniform((batch,), self.height_lower, self.height_upper, device) * height
        shift_x = self._uniform((batch,), self.width_lower, self.width_upper, device) * width
        ones, zeros = torch.ones_like(shift_x), torch.zeros_like(shift_x)
        return torch.stack([ones, zeros, -shift_x, zeros, ones, -shift_y, zeros, zeros], dim=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


def _check_value_range(value_range, layer_name):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 \
            or not all(backend.is_real_number(v) for v in value_range):
        raise ValueError(
            f"{layer_name} value_range must be a pair of numbers (low, high), the range of the input "
            f"pixel values, e.g. (0, 255) or (0, 1); got value_range={value_range!r}."
        )
    return value_range


@builtin("layers")
class RandomContrast(BaseRandomLayer):
    """Randomly adjusts the contrast of each image while training.

    For each channel of each image, ``x -> (x - mean) * c + mean`` where
    ``mean`` is the channel's mean over the image and ``c`` is drawn
    uniformly from ``[1 - lower, 1 + upper]``; the result is clipped to
    ``value_range``.

    Args:
        factor: a number in ``[0, 1]`` or a pair ``(lower, upper)``. Read as
            Keras 3 reads it: a number ``f`` gives ``(lower, upper) = (0, f)``
            (contrast in ``[1, 1 + f]``); a pair is sorted. The stored factor
            is that pair.
        value_range: ``(low, high)``, the range of the input pixel values
            (default ``(0, 255)``).
        seed: integer seed for reproducible adjustments.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layerwise.layers.RandomContrast(0.2)(np.random.rand(4, 8, 8, 3) * 255, training=True).shape
    torch.Size([4, 8, 8, 3])
    """

    _moves_masks = False

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "RandomContrast")
        self.value_range = _check_value_range(value_range, "RandomContrast")

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        return self._uniform((self._batch_size(images), 1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1],
                             images.device)

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images  # unchanged, in its own dtype (Keras casts only when it adjusts)
        images = self._to_compute_dtype(images)
        contrast = transformation if images.ndim == 4 else transformation[0]
        h_axis, w_axis = self._spatial_axes(images.ndim)
        mean = images.mean(dim=(h_axis, w_axis), keepdim=True)
        out = (images - mean) * contrast + mean
        return out.clamp(float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


@builtin("layers")
class RandomBrightness(BaseRandomLayer):
    """Randomly brightens or darkens each image while training.

    A random ``delta`` drawn from ``[lower, upper] * (high - low)`` of the
    ``value_range`` is added to every pixel of an image, and the result is
    clipped to ``value_range``. ``-1`` makes an image black, ``+1`` white.
    Integer images keep their dtype (the delta is truncated to an integer,
    as Keras does); others come back in the layer's float dtype.

    Args:
        factor: a number in ``[-1, 1]`` (``f`` means ``(-f, f)``) or a pair
            ``(lower, upper)``.
        value_range: ``(low, high)`` range of the input values (default
            ``(0, 255)``); use ``(0, 1)`` after ``Rescaling(1/255)``.
        seed: integer seed for reproducible adjustments.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layerwise.layers.RandomBrightness(0.2)(np.random.rand(4, 8, 8, 3) * 255, training=True).shape
    torch.Size([4, 8, 8, 3])
    """

    _moves_masks = False

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (-1, 1), "RandomBrightness")
        self.value_range = sorted(_check_value_range(value_range, "RandomBrightness"))

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        delta = self._uniform((self._batch_size(images), 1, 1, 1), self.factor[0], self.factor[1], images.device)
        return delta * (self.value_range[1] - self.value_range[0])

    def transform_images(self, images, transformation, training=True):
        integer = not images.is_floating_point()
        if not integer:
            images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        delta = transformation if images.ndim == 4 else transformation[0]
        low, high = float(self.value_range[0]), float(self.value_range[1])
        if integer:
            out = (images.to(torch.float32) + torch.trunc(delta)).clamp(low, high)
            return image_ops.cast_back(out, images.dtype)
        return (images + delta.to(images.dtype)).clamp(low, high)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


@builtin("layers")
class RandomCrop(FixedSizeOutput, BaseRandomLayer):
    """Randomly crops a ``(height, width)`` window while training.

    While training, every image of a batch is cropped at the same random
    place (as Keras does). At inference — and while training when an image
    is not larger than the target in both dimensions — the largest centred
    window with the target aspect ratio is taken and resized to
    ``(height, width)``, so the output always has the declared size.

    Args:
        height, width: the output size in pixels.
        seed: integer seed for reproducible crops. Without one, a random seed
            is chosen and stored in the config, as Keras does.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layer = layerwise.layers.RandomCrop(24, 24)
    >>> layer(np.random.rand(4, 32, 32, 3), training=True).shape
    torch.Size([4, 24, 24, 3])
    >>> layer(np.random.rand(4, 32, 32, 3), training=False).shape
    torch.Size([4, 24, 24, 3])
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        seed = seeding.check_seed(seed, "RandomCrop")
        if seed is None:
            seed = random.randint(1, int(1e9))
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height, self.width = _check_target_size("RandomCrop", height, width)

    def get_random_transformation(self, images, training=True):
        height, width = self._image_size(images)
        if not (training and height > self.height and width > self.width):
            return None
        # Drawn on the CPU so that slicing needs no device synchronisation.
        generator = seeding.layer_generator(self, torch.device("cpu"))
        top = int(torch.randint(0, height - self.height + 1, (), generator=generator))
        left = int(torch.randint(0, width - self.width + 1, (), generator=generator))
        return top, left

    def transform_images(self, images, transformation, training=True, interpolation="bilinear"):
        images = self._to_compute_dtype(images)
        if transformation is None:
            return image_ops.resize(images, (self.height, self.width), interpolation=interpolation,
                                    crop_to_aspect_ratio=True, data_format=self.data_format)
        top, left = transformation
        h_axis, w_axis = self._spatial_axes(images.ndim)
        return images.narrow(h_axis, top, self.height).narrow(w_axis, left, self.width)

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return self.transform_images(masks, transformation, training, interpolation="nearest")

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed}


__all__ = [
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation",
    "RandomZoom",
]
