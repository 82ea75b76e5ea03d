"""Batched image operations shared by the image layers and the image data utilities.

Everything here works on whole batches of torch tensors at once (one
``F.interpolate`` or ``F.grid_sample`` call per batch, never a Python loop
over images), on whatever device the images are on. Images arrive in
Keras's layouts: ``(batch, height, width, channels)`` (``"channels_last"``,
the default) or ``(batch, channels, height, width)``; a single image
(rank 3) is treated as a batch of one. Internally the functions view the
batch as NCHW — for channels_last input that is a permuted view, not a copy.

The geometry follows Keras 3 exactly (its torch backend's
``ops.image.resize`` and ``ops.image.affine_transform``), so that layers
built on these functions give Keras's numbers:

>>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
>>> resize(x, (2, 2))[0, :, :, 0]
tensor([[ 2.5000,  4.5000],
        [10.5000, 12.5000]])
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from layerwise import backend

#: Resampling methods of :func:`resize` (Keras's ``interpolation`` argument).
RESIZE_INTERPOLATIONS = (
    "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic",
)
#: Interpolations of :func:`affine_transform` (the Random* geometric layers).
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
#: Fill modes of :func:`affine_transform`.
AFFINE_FILL_MODES = ("reflect", "wrap", "constant", "nearest")

_INTERPOLATE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def standardize_data_format(data_format, where="data_format"):
    """``'channels_last'`` or ``'channels_first'``; ``None`` means the global setting."""
    if data_format is None:
        return backend.image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{where}: data_format must be 'channels_last' (images shaped (height, width, channels)) "
            f"or 'channels_first' ((channels, height, width)); got {data_format!r}."
        )
    return value


def check_size(size, argument, where):
    """A ``(height, width)`` pair of positive ints, or a clear error naming ``argument``."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    if not isinstance(size, (tuple, list)) or len(size) != 2 or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in size):
        raise ValueError(
            f"{where}: {argument} must be a (height, width) pair of positive integers, e.g. (180, 180); "
            f"got {size!r}."
        )
    return int(size[0]), int(size[1])


def to_nchw(images, data_format):
    """``(batch, channels, height, width)`` view of 3-D or 4-D images, and whether a batch axis was added."""
    unbatched = images.ndim == 3
    if unbatched:
        images = images.unsqueeze(0)
    if data_format == "channels_last":
        images = images.permute(0, 3, 1, 2)
    return images, unbatched


def from_nchw(images, data_format, unbatched):
    """Undo :func:`to_nchw`."""
    if data_format == "channels_last":
        images = images.permute(0, 2, 3, 1)
    if unbatched:
        images = images.squeeze(0)
    return images


def _float(images):
    if images.is_floating_point():
        return images
    return images.to(backend.torch_dtype(backend.floatx()))


def cast_back(result, dtype):
    """Cast a float result to ``dtype``; integer types are rounded and saturated first."""
    if result.dtype == dtype:
        return result
    if dtype.is_floating_point:
        return result.to(dtype)
    if dtype == torch.bool:
        return result != 0
    info = torch.iinfo(dtype)
    return torch.round(result).clamp_(info.min, info.max).to(dtype)


def crop_box_for_aspect_ratio(height, width, target_height, target_width):
    """``(top, left, crop_height, crop_width)`` of the largest centred window with the target aspect ratio."""
    crop_height = int(float(width * target_height) / target_width)
    crop_height = max(min(height, crop_height), 1)
    crop_width = int(float(height * target_width) / target_height)
    crop_width = max(min(width, crop_width), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


# ---------------------------------------------------------------- resampling kernels
# Separable kernels for the methods F.interpolate does not have. The weights
# follow jax.image.scale_and_translate (which Keras's ops.image.scale_and_translate
# reproduces): the kernel is stretched by 1/scale when antialiasing a downscale,
# and each output sample's weights are normalised to sum to 1.

def _triangle(x):
    return torch.clamp(1 - x, min=0)


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = torch.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return torch.where(x >= 2.0, torch.zeros_like(x), out)


def _lanczos(radius):
    def kernel(x):
        safe = torch.where(x > 1e-3, x, torch.ones_like(x))
        value = radius * torch.sin(math.pi * safe) * torch.sin(math.pi * safe / radius) / (math.pi ** 2 * safe ** 2)
        value = torch.where(x > 1e-3, value, torch.ones_like(x))
        return torch.where(x > radius, torch.zeros_like(x), value)
    return kernel


def _gaussian(x):
    # TensorFlow's ScaleAndTranslate Gaussian: radius 1.5 pixels, sigma = radius / 3.
    radius, sigma = 1.5, 0.5
    return torch.where(x >= radius, torch.zeros_like(x), torch.exp(-x * x / (2 * sigma * sigma)))


def _mitchell_cubic(x):
    # Mitchell-Netravali with B = C = 1/3 (TensorFlow's "mitchellcubic").
    near = ((7.0 / 6.0 * x - 2.0) * x) * x + 8.0 / 9.0
    far = ((-7.0 / 18.0 * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return torch.where(x >= 2.0, torch.zeros_like(x), torch.where(x >= 1.0, far, near))


SEPARABLE_KERNELS = {
    "linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0),
    "gaussian": _gaussian, "mitchellcubic": _mitchell_cubic,
}


def resampling_weights(input_size, output_size, kernel, antialias, scale=None, translation=0.0,
                       dtype=torch.float32, device=None):
    """``(input_size, output_size)`` weights: output sample ``j`` is ``sum_i in[i] * w[i, j]``."""
    scale = output_size / input_size if scale is None else float(scale)
    inv_scale = 1.0 / scale
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (torch.arange(output_size, dtype=dtype, device=device) + 0.5) * inv_scale \
        - translation * inv_scale - 0.5
    distance = (sample[None, :] - torch.arange(input_size, dtype=dtype, device=device)[:, None]).abs()
    weights = kernel(distance / kernel_scale)
    total = weights.sum(dim=0, keepdim=True)
    usable = total.abs() > 1000.0 * float(np.finfo(np.float32).eps)
    weights = torch.where(usable, weights / torch.where(total != 0, total, torch.ones_like(total)),
                          torch.zeros_like(weights))
    inside = (sample >= -0.5) & (sample <= input_size - 0.5)
    return torch.where(inside[None, :], weights, torch.zeros_like(weights))


def area_weights(input_size, output_size, dtype=torch.float32, device=None):
    """``(input_size, output_size)`` box-filter weights: each output pixel averages the input area it covers.

    Output pixel ``j`` covers ``[j * s, (j + 1) * s)`` of the input with
    ``s = input_size / output_size``; input pixel ``i`` contributes the length
    of its overlap with that interval, divided by ``s`` (TensorFlow's
    ``resize(method="area")``, exact also for non-integer ratios).
    """
    scale = input_size / output_size
    starts = torch.arange(output_size, dtype=torch.float64, device=device) * scale
    ends = starts + scale
    pixels = torch.arange(input_size, dtype=torch.float64, device=device)
    overlap = (torch.minimum(pixels[:, None] + 1, ends[None, :]) - torch.maximum(pixels[:, None], starts[None, :]))
    return (overlap.clamp(min=0) / scale).to(dtype)


def _separable_resize(images, size, kernel, antialias):
    """Resize NCHW float images with one weight matrix per spatial axis (two matmuls)."""
    height, width = images.shape[-2:]
    if kernel == "area":
        rows = area_weights(height, size[0], images.dtype, images.device)
        cols = area_weights(width, size[1], images.dtype, images.device)
    else:
        rows = resampling_weights(height, size[0], kernel, antialias, dtype=images.dtype, device=images.device)
        cols = resampling_weights(width, size[1], kernel, antialias, dtype=images.dtype, device=images.device)
    return torch.einsum("nchw,hy,wx->ncyx", images, rows, cols)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format="channels_last"):
    """Resize 3-D or 4-D images to ``size = (height, width)``, as ``keras.ops.image.resize``.

    ``crop_to_aspect_ratio`` first takes the largest centred window with the
    target aspect ratio; ``pad_to_aspect_ratio`` first pads the short side
    evenly with ``fill_value``. Integer images come back rounded to their own
    dtype; float images keep theirs.

    Example:

    >>> resize(torch.zeros(2, 10, 20, 3), (5, 5), crop_to_aspect_ratio=True).shape
    torch.Size([2, 5, 5, 3])
    """
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {RESIZE_INTERPOLATIONS}; got {interpolation!r}."
        )
    if fill_mode != "constant":
        raise ValueError(f"fill_mode must be 'constant' (the only padding resize supports); got {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True.")
    if images.ndim not in (3, 4):
        raise ValueError(
            "Images must have rank 3 (a single image) or 4 (a batch of images); "
            f"got shape {tuple(images.shape)}."
        )
    out_dtype = images.dtype
    x, unbatched = to_nchw(_float(images), data_format)
    height, width = x.shape[-2:]
    target_height, target_width = size
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = crop_box_for_aspect_ratio(height, width, target_height, target_width)
        x = x[:, :, top:top + crop_height, left:left + crop_width]
    elif pad_to_aspect_ratio:
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        # Keras pads both sides by the same amount (so an odd difference loses a pixel).
        top = int(float(pad_height - height) / 2)
        left = int(float(pad_width - width) / 2)
        if top or left:
            x = F.pad(x, (left, left, top, top), mode="constant", value=float(fill_value))
    if interpolation in _INTERPOLATE_MODES:
        mode = _INTERPOLATE_MODES[interpolation]
        kwargs = {}
        if mode in ("bilinear", "bicubic"):
            kwargs = {"align_corners": False, "antialias": bool(antialias)}
        resized = F.interpolate(x, size=(target_height, target_width), mode=mode, **kwargs)
        if interpolation == "bicubic" and out_dtype == torch.uint8:
            resized = resized.clamp(0, 255)
    else:
        kernel = "area" if interpolation == "area" else SEPARABLE_KERNELS[interpolation]
        resized = _separable_resize(x, (target_height, target_width), kernel, antialias)
    return cast_back(from_nchw(resized, data_format, unbatched), out_dtype)


def resize_like_tensorflow(images, size, interpolation="bilinear", crop_to_aspect_ratio=False,
                           pad_to_aspect_ratio=False, data_format="channels_last"):
    """Resize as ``tf.image.resize`` / ``resize_with_pad`` do (what Keras's image dataset loader calls).

    Differs from :func:`resize` in two places: ``"bicubic"`` is TensorFlow's
    (Keys cubic with ``a = -0.5``, taps outside the image dropped and the rest
    renormalised; torch's uses ``a = -0.75``), and ``pad_to_aspect_ratio``
    resizes first (keeping the aspect ratio) and then pads with zeros to the
    target size.
    """
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True.")
    target_height, target_width = size
    if pad_to_aspect_ratio:
        x, unbatched = to_nchw(_float(images), data_format)
        height, width = x.shape[-2:]
        ratio = max(width / target_width, height / target_height)
        resized_height, resized_width = math.floor(height / ratio), math.floor(width / ratio)
        top = max(0, math.floor((target_height - height / ratio) / 2))
        left = max(0, math.floor((target_width - width / ratio) / 2))
        inner = resize_like_tensorflow(from_nchw(x, data_format, False), (resized_height, resized_width),
                                       interpolation, data_format=data_format)
        inner, _ = to_nchw(inner, data_format)
        padded = F.pad(inner, (left, target_width - resized_width - left, top, target_height - resized_height - top))
        return from_nchw(padded, data_format, unbatched)
    if interpolation != "bicubic":
        return resize(images, size, interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                      data_format=data_format)
    x, unbatched = to_nchw(_float(images), data_format)
    if crop_to_aspect_ratio:
        height, width = x.shape[-2:]
        top, left, crop_height, crop_width = crop_box_for_aspect_ratio(height, width, target_height, target_width)
        x = x[:, :, top:top + crop_height, left:left + crop_width]
    out = _separable_resize(x, (target_height, target_width), _keys_cubic, antialias=False)
    return from_nchw(out, data_format, unbatched)


def smart_resize_tensor(images, size, interpolation="bilinear", data_format="channels_last"):
    """Crop the largest centred window with the target aspect ratio, then resize it (Keras's ``smart_resize``)."""
    return resize(images, size, interpolation=interpolation, crop_to_aspect_ratio=True,
                  data_format=data_format)


# ---------------------------------------------------------------- sampling

def sample(images, x_coords, y_coords, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Read NCHW ``images`` at pixel coordinates ``(y_coords, x_coords)``, each ``(batch, out_h, out_w)``.

    Pixel ``(i, j)`` sits at coordinate ``(i, j)``. Points outside the image
    are filled per ``fill_mode``: ``"constant"`` (``fill_value``),
    ``"nearest"`` (edge pixel), ``"reflect"`` (``d c b a | a b c d``),
    ``"wrap"`` (``a b c d | a b c d``) or ``"mirror"`` (``c d c b | a b c d``).
    One ``F.grid_sample`` call for the whole batch.
    """
    height, width = images.shape[-2:]
    mode = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic"}[interpolation]
    x_coords = x_coords.to(images.dtype)
    y_coords = y_coords.to(images.dtype)
    if mode == "nearest":
        # Round first (halves to even, as Keras's torch.round), so that the padding arithmetic
        # below cannot move a tie to the other neighbour.
        x_coords, y_coords = torch.round(x_coords), torch.round(y_coords)
    shift = 0.0
    if fill_mode == "constant":
        padding = "zeros"
        shift = float(fill_value)
        if shift:
            # zeros padding fills with 0; sampling (image - fill) + fill fills with `fill`.
            images = images - shift
    elif fill_mode == "nearest":
        padding = "border"
    elif fill_mode == "reflect":
        padding = "reflection"  # about the pixel edges, given align_corners=False below
    elif fill_mode == "mirror":
        # reflect about the centres of the edge pixels: fold the coordinates ourselves.
        padding = "border"
        x_coords = _mirror(x_coords, width)
        y_coords = _mirror(y_coords, height)
    elif fill_mode == "wrap":
        # one pixel of circular padding lets bilinear blend the last pixel with the first.
        padding = "border"
        images = F.pad(images, (1, 1, 1, 1), mode="circular")
        x_coords = torch.remainder(x_coords, width) + 1
        y_coords = torch.remainder(y_coords, height) + 1
        height, width = height + 2, width + 2
    else:
        raise ValueError(f"fill_mode must be one of {AFFINE_FILL_MODES}; got {fill_mode!r}.")
    grid = torch.stack([(2 * x_coords + 1) / width - 1, (2 * y_coords + 1) / height - 1], dim=-1)
    out = F.grid_sample(images, grid, mode=mode, padding_mode=padding, align_corners=False)
    return out + shift if shift else out


def _mirror(coords, size):
    if size == 1:
        return torch.zeros_like(coords)
    period = 2 * (size - 1)
    folded = torch.remainder(coords, period)
    return torch.where(folded > size - 1, period - folded, folded)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     data_format="channels_last"):
    """Apply one projective transform per image, as ``keras.ops.image.affine_transform``.

    ``transform`` is ``(batch, 8)`` (or ``(8,)`` for one image):
    ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps *output* pixel ``(x, y)`` to the
    *input* point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
    ``k = c0 x + c1 y + 1``. Returns float images in the input's layout.

    Example:

    >>> shift_right = torch.tensor([[1.0, 0, -1, 0, 1, 0, 0, 0]])
    >>> affine_transform(torch.arange(3.0).reshape(1, 1, 3, 1), shift_right)[0, 0, :, 0]
    tensor([0., 0., 1.])
    """
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {AFFINE_INTERPOLATIONS}; got {interpolation!r}.")
    x, unbatched = to_nchw(_float(images), data_format)
    transform = torch.as_tensor(transform, dtype=x.dtype, device=x.device)
    if transform.ndim == 1:
        transform = transform.unsqueeze(0)
    batch, _, height, width = x.shape
    if transform.shape[0] == 1 and batch > 1:
        transform = transform.expand(batch, -1)
    xs = torch.arange(width, dtype=x.dtype, device=x.device).view(1, 1, width)
    ys = torch.arange(height, dtype=x.dtype, device=x.device).view(1, height, 1)
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[:, i].view(-1, 1, 1) for i in range(8))
    k = c0 * xs + c1 * ys + 1
    x_in = (a0 * xs + a1 * ys + a2) / k
    y_in = (b0 * xs + b1 * ys + b2) / k
    out = sample(x, x_in, y_in, interpolation, fill_mode, fill_value)
    return from_nchw(out, data_format, unbatched)


def compose_affine(angles_degrees, height, width, translate_x=None, translate_y=None, scale=None,
                   shear_x=None, shear_y=None, center_x=0.5, center_y=0.5):
    """Keras's affine matrix (scale, shear, rotation about a relative centre, translation) per image."""
    angle = angles_degrees * (math.pi / 180.0)
    zeros = torch.zeros_like(angle)
    translate_x = zeros if translate_x is None else translate_x
    translate_y = zeros if translate_y is None else translate_y
    scale = torch.ones_like(angle) if scale is None else scale
    shear_x = torch.tan((zeros if shear_x is None else shear_x) * (math.pi / 180.0))
    shear_y = torch.tan((zeros if shear_y is None else shear_y) * (math.pi / 180.0))
    cx = center_x * (width - 1)
    cy = center_y * (height - 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    a0 = scale * (cos + shear_x * sin)
    a1 = scale * (-sin + shear_x * cos)
    a2 = translate_x + cx - cx * a0 - cy * a1
    b0 = scale * (shear_y * cos + sin)
    b1 = scale * (shear_y * -sin + cos)
    b2 = translate_y + cy - cx * b0 - cy * b1
    return torch.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], dim=1)
