"""Deterministic image preprocessing layers: Rescaling, Resizing, CenterCrop.

They act in training and at inference alike, on batches ``(batch, height,
width, channels)`` (``data_format="channels_last"``, the default) or
``(batch, channels, height, width)``, or on a single image of rank 3. Put
them at the start of a model so that the model takes raw images:

>>> model = layerwise.Sequential([
...     layerwise.Input(shape=(None, None, 3)),
...     layerwise.layers.Resizing(64, 64),
...     layerwise.layers.Rescaling(1.0 / 255),
... ])
>>> model(np.full((2, 100, 80, 3), 255.0)).shape
torch.Size([2, 64, 64, 3])

This module also holds the base class of the random augmentation layers
(``image_augmentation.py``): the rank checks, dict inputs and Keras's
training-flag rule live here once.
"""

import numbers

import numpy as np
import torch

from layerwise import backend
from layerwise.engine import layer as layer_module
from layerwise.engine.layer import Layer
from layerwise.engine.symbolic import is_symbolic
from layerwise.layers.preprocessing import image_ops
from layerwise.saving.registry import builtin


class BaseImageLayer(Layer):
    """Base of the image layers: data_format, rank 3/4 inputs, dict inputs, the training flag.

    Subclasses implement ``get_random_transformation(images, training)`` and
    ``transform_images(images, transformation, training)`` (and
    ``transform_segmentation_masks`` when masks follow the images).

    Inputs may be a tensor of images, or a dict with ``"images"`` plus
    optional ``"labels"`` (returned unchanged) and ``"segmentation_masks"``
    (moved with the images, resampled with nearest-neighbour interpolation),
    as Keras 3 accepts. Bounding boxes are not supported.

    The training flag follows Keras: ``fit`` calls the layer with
    ``training=True``, ``evaluate``/``predict`` with ``training=False``; a
    random layer called on its own, outside any model call and without a
    ``training`` argument, augments (Keras's ``call(..., training=True)``
    default), so ``layer(images)`` shows what augmentation does.
    """

    # The value of `training` when neither the caller nor an enclosing call gives one.
    _default_training = True
    # Whether segmentation masks move with the images (geometric layers) or stay (colour layers).
    _moves_masks = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = image_ops.standardize_data_format(data_format, f"{type(self).__name__}")
        self.built = True

    # ---------------------------------------------------------------- calling

    def __call__(self, *args, **kwargs):
        if args and not is_symbolic(args[0]) and kwargs.get("training") is None \
                and getattr(layer_module._call_context, "training", None) is None:
            kwargs["training"] = self._default_training
        return super().__call__(*args, **kwargs)

    def _where(self):
        return f"{type(self).__name__} '{self.name}'"

    def _check_rank(self, shape, what="images"):
        if len(shape) not in (3, 4):
            layout = "(height, width, channels)" if self.data_format == "channels_last" \
                else "(channels, height, width)"
            raise ValueError(
                f"{self._where()} expects {what} of rank 3 {layout} or rank 4 (a batch of them), got "
                f"shape {tuple(shape)}. For grayscale arrays of shape (n, height, width), add a channel "
                "axis first: x[..., None]."
            )

    def _spatial_axes(self, rank):
        """Indices of the height and width axes for inputs of ``rank``."""
        if self.data_format == "channels_last":
            return rank - 3, rank - 2
        return rank - 2, rank - 1

    def _image_size(self, images):
        h_axis, w_axis = self._spatial_axes(images.ndim)
        return int(images.shape[h_axis]), int(images.shape[w_axis])

    def _compute_dtype(self):
        return backend.torch_dtype(self.compute_dtype)

    def _to_compute_dtype(self, images):
        dtype = self._compute_dtype()
        return images if images.dtype == dtype else images.to(dtype)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        self._check_rank(tuple(inputs.shape))
        transformation = self.get_random_transformation(inputs, training=training)
        return self.transform_images(inputs, transformation, training=training)

    def _call_dict(self, data, training):
        if "images" not in data:
            raise ValueError(
                f"{self._where()} received a dict without an 'images' entry (keys: {sorted(data)}). "
                "Pass {'images': ..., 'labels': ..., 'segmentation_masks': ...} or the images alone."
            )
        if "bounding_boxes" in data:
            raise ValueError(
                f"{self._where()}: bounding boxes are not supported by layerwise's image layers. "
                "Pass the images (and labels or segmentation_masks) only."
            )
        unknown = sorted(set(data) - {"images", "labels", "segmentation_masks"})
        if unknown:
            raise ValueError(
                f"{self._where()} received unknown dict entries {unknown}; expected 'images', and "
                "optionally 'labels' and 'segmentation_masks'."
            )
        images = data["images"]
        self._check_rank(tuple(images.shape))
        transformation = self.get_random_transformation(images, training=training)
        result = dict(data)
        result["images"] = self.transform_images(images, transformation, training=training)
        if "segmentation_masks" in data:
            masks = data["segmentation_masks"]
            self._check_rank(tuple(masks.shape), "segmentation_masks")
            result["segmentation_masks"] = self.transform_segmentation_masks(masks, transformation,
                                                                             training=training)
        return result

    def get_random_transformation(self, images, training=True):
        """The random parameters for this batch (``None`` for deterministic layers)."""

    def transform_images(self, images, transformation, training=True):
        raise NotImplementedError

    def transform_segmentation_masks(self, masks, transformation, training=True):
        if not self._moves_masks:
            return masks
        return self.transform_images(masks, transformation, training=training)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return {key: shape if key == "labels" else self._output_shape(tuple(shape))
                    for key, shape in input_shape.items()}
        return self._output_shape(tuple(input_shape))

    def _output_shape(self, input_shape):
        self._check_rank(input_shape)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def _serialize_number_or_array(value):
    """Keras writes numpy arrays in configs as ``{"class_name": "__numpy__", ...}``."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, torch.Tensor):
        return _serialize_number_or_array(value.detach().cpu().numpy())
    return value


def _deserialize_number_or_array(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        config = value.get("config", {})
        return np.asarray(config.get("value"), dtype=config.get("dtype", "float32"))
    return value


@builtin("layers")
class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``: ``x * scale + offset``.

    Used to bring pixel values into the range a model expects, at training
    and at inference: ``scale=1/255`` maps ``[0, 255]`` to ``[0, 1]``;
    ``scale=1/127.5, offset=-1`` maps it to ``[-1, 1]``. Integer inputs are
    accepted; the output is float (the layer's dtype).

    Args:
        scale: float, or an array broadcast against the inputs (for example
            one value per channel).
        offset: float or array added after scaling. Default 0.

    Example:

    >>> layerwise.layers.Rescaling(1.0 / 255)(np.array([[0, 51, 255]], dtype="uint8"))
    tensor([[0.0000, 0.2000, 1.0000]])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for argument, value in (("scale", scale), ("offset", offset)):
            ok = isinstance(value, (numbers.Real, np.ndarray, torch.Tensor, list, tuple)) \
                and not isinstance(value, bool)
            if not ok:
                raise ValueError(
                    f"Rescaling {argument} must be a number or an array of numbers, e.g. "
                    f"Rescaling(1.0 / 255); got {value!r}."
                )
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True
        self._constants = {}

    def _constant(self, value, dtype, device, rank):
        """``value`` as a tensor, made once per dtype and device (not on every call)."""
        key = (id(value), dtype, str(device), rank)
        tensor = self._constants.get(key)
        if tensor is None:
            if isinstance(value, numbers.Real):
                tensor = float(value)
            else:
                tensor = torch.as_tensor(np.asarray(value), dtype=dtype, device=device)
                if tensor.ndim and backend.image_data_format() == "channels_first":
                    # One value per channel: put it on the channel axis of (C, H, W).
                    tensor = tensor.reshape(tuple(tensor.shape) + (1,) * (3 - tensor.ndim))
            self._constants[key] = tensor
        return tensor

    def call(self, inputs):
        dtype = backend.torch_dtype(self.compute_dtype)
        x = inputs if inputs.dtype == dtype else inputs.to(dtype)
        scale = self._constant(self.scale, dtype, x.device, x.ndim)
        offset = self._constant(self.offset, dtype, x.device, x.ndim)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _serialize_number_or_array(self.scale),
                "offset": _serialize_number_or_array(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["scale"] = _deserialize_number_or_array(config["scale"])
        config["offset"] = _deserialize_number_or_array(config.get("offset", 0.0))
        return cls(**config)


def _check_target_size(layer_name, height, width):
    for argument, value in (("height", height), ("width", width)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(
                f"{layer_name} {argument} must be a positive integer (pixels), e.g. "
                f"{layer_name}(180, 180); got {argument}={value!r}."
            )
    return int(height), int(width)


class FixedSizeOutput:
    """Mixed into image layers whose outputs are ``(self.height, self.width)`` images.

    Resizing, CenterCrop and RandomCrop: the output shape is the input's with
    its two spatial sizes replaced.

    Example:

    >>> layerwise.layers.CenterCrop(4, 6).compute_output_shape((None, 10, 10, 3))
    (None, 4, 6, 3)
    """

    def _output_shape(self, input_shape):
        self._check_rank(input_shape)
        shape = list(input_shape)
        h_axis, w_axis = self._spatial_axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)


@builtin("layers")
class Resizing(FixedSizeOutput, BaseImageLayer):
    """Resizes images to ``(height, width)``, at training and at inference.

    Args:
        height, width: the output size in pixels.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``,
            ``"area"``, ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"`` or
            ``"mitchellcubic"``.
        crop_to_aspect_ratio: if True, resize the largest centred window with
            the target aspect ratio, so that nothing is distorted (the parts
            outside the window are cropped away).
        pad_to_aspect_ratio: if True, pad the short side evenly with
            ``fill_value`` to the target aspect ratio before resizing.
        fill_mode: padding mode for ``pad_to_aspect_ratio``; only
            ``"constant"``.
        fill_value: the padding value.
        antialias: whether to low-pass filter when downsampling (bilinear,
            bicubic and the Lanczos methods).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Integer images come back rounded, in their own dtype; float images keep
    theirs.

    Example:

    >>> layerwise.layers.Resizing(128, 128)(np.zeros((2, 32, 32, 3))).shape
    torch.Size([2, 128, 128, 3])
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _check_target_size("Resizing", height, width)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Resizing interpolation must be one of {image_ops.RESIZE_INTERPOLATIONS}; "
                f"got {interpolation!r}."
            )
        if fill_mode != "constant":
            raise ValueError(
                f"Resizing fill_mode must be 'constant' (pad with fill_value); got {fill_mode!r}."
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True "
                "(crop the long side away, or pad the short side)."
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def transform_images(self, images, transformation=None, training=True, interpolation=None):
        return image_ops.resize(
            images, (self.height, self.width), interpolation=interpolation or self.interpolation,
            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format,
        )

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return self.transform_images(masks, transformation, training, interpolation="nearest")

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


@builtin("layers")
class CenterCrop(FixedSizeOutput, BaseImageLayer):
    """Crops the central ``(height, width)`` window of images, at training and at inference.

    An image smaller than the target (in either dimension) is instead
    resized: the largest centred window with the target aspect ratio is
    taken and resized to ``(height, width)``. When the difference between
    input and target size is odd, the window starts one pixel towards the
    top/left of the exact centre (as Keras does).

    Args:
        height, width: the output size in pixels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:

    >>> layerwise.layers.CenterCrop(24, 24)(np.zeros((2, 32, 32, 3))).shape
    torch.Size([2, 24, 24, 3])
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _check_target_size("CenterCrop", height, width)

    def transform_images(self, images, transformation=None, training=True):
        images = self._to_compute_dtype(images)
        height, width = self._image_size(images)
        h_diff, w_diff = height - self.height, width - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = h_diff // 2, w_diff // 2
            h_axis, w_axis = self._spatial_axes(images.ndim)
            return images.narrow(h_axis, top, self.height).narrow(w_axis, left, self.width)
        return image_ops.smart_resize_tensor(images, (self.height, self.width), data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


__all__ = ["BaseImageLayer", "CenterCrop", "Rescaling", "Resizing"]
