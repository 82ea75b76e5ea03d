"""The legacy ``keras.preprocessing.image`` module: ``ImageDataGenerator`` and image file helpers.

Course notebooks written for Keras 2 augment images with
``ImageDataGenerator`` and read them with ``flow_from_directory``; both work
here unchanged:

>>> from layerwise.preprocessing.image import ImageDataGenerator
>>> datagen = ImageDataGenerator(rescale=1.0 / 255, rotation_range=20, width_shift_range=0.1,
...                              height_shift_range=0.1, zoom_range=0.1, horizontal_flip=True,
...                              validation_split=0.2)
>>> train = datagen.flow_from_directory("data/train", target_size=(150, 150), batch_size=32,
...                                     class_mode="binary", subset="training")
Found 1600 images belonging to 2 classes.
>>> model.fit(train, epochs=10)

The random parameters are drawn exactly as Keras draws them (numpy's global
generator, reseeded per batch when ``seed`` is given), so a seeded flow
gives Keras's batches; the transforms themselves run batched in torch (one
``grid_sample`` call per batch) rather than image by image through scipy.

Pillow is needed for the functions that read or write image files
(``load_img``, ``save_img``, ``array_to_img``, ``flow_from_directory``); it
is imported only when they are called.

New code should prefer ``layerwise.utils.image_dataset_from_directory`` and
the augmentation layers (``layerwise.layers.RandomFlip``, ...), which decode
in background worker processes.
"""

import io
import math
import os
import pathlib
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from layerwise import backend
from layerwise.layers.preprocessing import image_ops

__all__ = [
    "DataFrameIterator", "DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator",
    "apply_affine_transform", "apply_brightness_shift", "apply_channel_shift", "array_to_img", "img_to_array",
    "load_img", "random_brightness", "random_channel_shift", "random_rotation", "random_shear", "random_shift",
    "random_zoom", "save_img", "smart_resize",
]


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "This function reads or writes image files with Pillow, which is not installed. Install it with "
            "`pip install pillow` (or `pip install layerwise[image]`)."
        ) from None
    return Image


def _pil_resampling():
    Image = _pil()
    resampling = getattr(Image, "Resampling", Image)
    return {
        "nearest": resampling.NEAREST, "bilinear": resampling.BILINEAR, "bicubic": resampling.BICUBIC,
        "hamming": resampling.HAMMING, "box": resampling.BOX, "lanczos": resampling.LANCZOS,
    }


# ---------------------------------------------------------------- image files

def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Load an image file into a PIL image.

    Args:
        path: path to the file (str or ``pathlib.Path``), or an ``io.BytesIO``.
        color_mode: ``"rgb"`` (default), ``"rgba"`` or ``"grayscale"``.
        target_size: ``None`` (original size) or ``(height, width)``.
        interpolation: resampling used for ``target_size``: ``"nearest"``
            (default), ``"bilinear"``, ``"bicubic"``, ``"lanczos"``, ``"box"``
            or ``"hamming"``.
        keep_aspect_ratio: crop the largest centred window with the target
            aspect ratio before resizing, so nothing is distorted.

    Example:

    >>> img = layerwise.utils.load_img("cat.jpg", target_size=(224, 224))
    >>> x = layerwise.utils.img_to_array(img)       # (224, 224, 3) float32
    >>> model.predict(x[None])
    """
    Image = _pil()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as handle:
            img = Image.open(io.BytesIO(handle.read()))
    else:
        raise TypeError(f"load_img: path should be a path (str or pathlib.Path) or io.BytesIO, not {type(path)}.")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb" or "rgba"; got {color_mode!r}.')
    if target_size is not None:
        width_height = (int(target_size[1]), int(target_size[0]))
        if img.size != width_height:
            methods = _pil_resampling()
            if interpolation not in methods:
                raise ValueError(
                    f"load_img: interpolation must be one of {', '.join(methods)}; got {interpolation!r}."
                )
            resample = methods[interpolation]
            if keep_aspect_ratio:
                width, height = img.size
                target_width, target_height = width_height
                crop_height = min(height, (width * target_height) // target_width)
                crop_width = min(width, (height * target_width) // target_height)
                top = (height - crop_height) // 2
                left = (width - crop_width) // 2
                img = img.resize(width_height, resample, box=(left, top, left + crop_width, top + crop_height))
            else:
                img = img.resize(width_height, resample)
    return img


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a 3-D float array ``(height, width, channels)`` (or channels first).

    Example:

    >>> layerwise.utils.img_to_array(layerwise.utils.array_to_img(np.zeros((4, 5, 3)))).shape
    (4, 5, 3)
    """
    data_format = image_ops.standardize_data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}; expected a 2-D or 3-D image.")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a PIL image (RGB, RGBA or grayscale by the number of channels).

    With ``scale=True`` (default) the values are stretched to ``[0, 255]``
    (minimum to 0, maximum to 255).

    Example:

    >>> layerwise.utils.array_to_img(np.random.rand(8, 8, 3)).size
    (8, 8)
    """
    Image = _pil()
    data_format = image_ops.standardize_data_format(data_format, "array_to_img")
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img expects a single image of rank 3 (height, width, channels); got shape {x.shape}."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported number of channels {channels}; expected 1, 3 or 4.")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3-D array as an image file (format from the extension, or ``file_format``)."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize an image (or batch) to ``size`` without distortion: crop the largest centred window first.

    Returns a numpy array for numpy input, a tensor for a tensor.

    Example:

    >>> layerwise.preprocessing.image.smart_resize(np.zeros((340, 500, 3)), (200, 200)).shape
    (200, 200, 3)
    """
    size = image_ops.check_size(size, "size", "smart_resize")
    is_tensor = isinstance(x, torch.Tensor)
    images = x if is_tensor else torch.as_tensor(np.asarray(x))
    if images.ndim not in (3, 4):
        raise ValueError(
            "smart_resize expects an image (height, width, channels) or a batch (batch, height, width, "
            f"channels); got shape {tuple(images.shape)}."
        )
    out = image_ops.smart_resize_tensor(images, size, interpolation=interpolation,
                                        data_format=image_ops.standardize_data_format(data_format, "smart_resize"))
    return out if is_tensor else out.numpy()


# ---------------------------------------------------------------- transforms on single images

def _offset_center(matrix, x, y):
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset @ matrix @ reset


def affine_matrix(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, height=None, width=None):
    """The ``(2, 3)`` matrix mapping output ``(row, col)`` to input ``(row, col)``, or ``None`` for identity.

    Built exactly as Keras's ``apply_affine_transform`` builds it: rotation
    ``theta`` (degrees), shifts ``tx``/``ty`` (pixels, in Keras's convention,
    see :func:`apply_affine_transform`), ``shear`` (degrees), zoom
    ``zx``/``zy``, about the image centre.
    """
    matrix = None

    def then(m):
        return m if matrix is None else matrix @ m

    if theta != 0:
        t = np.deg2rad(theta)
        matrix = then(np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]]))
    if tx != 0 or ty != 0:
        matrix = then(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        s = np.deg2rad(shear)
        matrix = then(np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        matrix = then(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if matrix is None:
        return None
    matrix = _offset_center(matrix, height, width)
    # Keras builds the matrix for (x, y) and swaps both axes to index (row, col) arrays.
    matrix[:, [0, 1]] = matrix[:, [1, 0]]
    matrix[[0, 1]] = matrix[[1, 0]]
    return matrix[:2]


_SCIPY_FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def _warp_batch(images, matrices, fill_mode="nearest", cval=0.0, order=1):
    """Warp NCHW ``images`` by per-image ``(2, 3)`` row/col matrices with scipy.ndimage's fill rules.

    ``fill_mode``: ``"constant"`` (points outside ``[0, size - 1]`` get
    ``cval``), ``"nearest"``, ``"reflect"`` (``d c b a | a b c d``) or
    ``"wrap"`` (scipy's: period ``size - 1``). ``order``: 0 nearest
    (rounding halves up, as scipy), 1 bilinear, 3 bicubic convolution.
    """
    if fill_mode not in _SCIPY_FILL_MODES:
        raise ValueError(f"fill_mode must be one of {_SCIPY_FILL_MODES}; got {fill_mode!r}.")
    if order not in (0, 1, 3):
        raise ValueError(
            f"interpolation_order must be 0 (nearest), 1 (bilinear) or 3 (bicubic); got {order!r}."
        )
    height, width = images.shape[-2:]
    m = torch.as_tensor(np.stack(matrices), dtype=torch.float64, device=images.device)
    rows = torch.arange(height, dtype=torch.float64, device=images.device).view(1, height, 1)
    cols = torch.arange(width, dtype=torch.float64, device=images.device).view(1, 1, width)
    y_in = m[:, 0, 0, None, None] * rows + m[:, 0, 1, None, None] * cols + m[:, 0, 2, None, None]
    x_in = m[:, 1, 0, None, None] * rows + m[:, 1, 1, None, None] * cols + m[:, 1, 2, None, None]
    outside = (y_in < 0) | (y_in > height - 1) | (x_in < 0) | (x_in > width - 1)
    if fill_mode == "wrap":
        def wrap(c, size):
            if size == 1:
                return torch.zeros_like(c)
            return torch.where((c < 0) | (c > size - 1), torch.remainder(c, size - 1), c)
        y_in, x_in = wrap(y_in, height), wrap(x_in, width)
        padding = "nearest"
    elif fill_mode == "constant":
        padding = "nearest"
    else:
        padding = fill_mode
    if order == 0:
        y_in, x_in = torch.floor(y_in + 0.5), torch.floor(x_in + 0.5)
    interpolation = {0: "nearest", 1: "bilinear", 3: "bicubic"}[order]
    out = image_ops.sample(images, x_in, y_in, interpolation, padding)
    if fill_mode == "constant":
        out = torch.where(outside.unsqueeze(1), torch.as_tensor(float(cval), dtype=out.dtype), out)
    return out


def _single(x, row_axis, col_axis, channel_axis):
    if np.unique([row_axis, col_axis, channel_axis]).size != 3:
        raise ValueError("'row_axis', 'col_axis', and 'channel_axis' must be distinct.")
    if {row_axis, col_axis, channel_axis} != {0, 1, 2}:
        raise ValueError(f"Invalid axis indices: {sorted({row_axis, col_axis, channel_axis} - {0, 1, 2})}.")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"Input arrays must be multi-channel 2D images (rank 3); got shape {x.shape}.")
    if channel_axis not in (0, 2):
        raise ValueError("Channels are allowed only on the first or the last axis.")
    return x


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2, channel_axis=0,
                           fill_mode="nearest", cval=0.0, order=1):
    """Apply a rotation/shift/shear/zoom to one image (numpy, rank 3), as Keras's function of that name.

    Angles are in degrees, shifts in pixels. The shifts keep Keras's
    convention: for an image indexed ``(row, col)``, ``tx`` moves the content
    along the columns and ``ty`` along the rows (``tx=1`` moves it one pixel
    left).
    """
    x = _single(x, row_axis, col_axis, channel_axis)
    matrix = affine_matrix(theta, tx, ty, shear, zx, zy, x.shape[row_axis], x.shape[col_axis])
    if matrix is None:
        return x
    # (channels, rows, cols) for the warp, whichever order the rows and columns come in.
    perm = (channel_axis, row_axis, col_axis)
    images = torch.as_tensor(np.ascontiguousarray(x.transpose(perm)), dtype=torch.float32).unsqueeze(0)
    out = _warp_batch(images, [matrix], fill_mode, cval, order)[0].numpy()
    return out.transpose(np.argsort(perm)).astype(x.dtype, copy=False)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                    interpolation_order=1):
    """Rotate one image by a random angle in ``[-rg, rg]`` degrees."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):
    """Shift one image by random fractions ``[-hrg, hrg]`` of its height and ``[-wrg, wrg]`` of its width."""
    h, w = np.asarray(x).shape[row_axis], np.asarray(x).shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):
    """Shear one image by a random angle in ``[-intensity, intensity]`` degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                interpolation_order=1):
    """Zoom one image by random factors drawn from ``zoom_range = (low, high)`` for each axis."""
    if len(zoom_range) != 2:
        raise ValueError(f"zoom_range should be a tuple or list of two floats; got {zoom_range!r}.")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Add ``intensity`` to every channel, clipped to the image's own min and max."""
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x)).astype(x.dtype, copy=False)


def random_channel_shift(x, intensity_range, channel_axis=0):
    """:func:`apply_channel_shift` with a random intensity in ``[-intensity_range, intensity_range]``."""
    return apply_channel_shift(x, np.random.uniform(-intensity_range, intensity_range), channel_axis)


def _brightness(images, factors, scale):
    """Multiply brightness per image (``images`` NCHW float tensor, ``factors`` ``(n,)``).

    Values in ``[0, 255]`` are scaled and clipped to ``[0, 255]``. Images with
    values outside that range (or any image with ``scale=True``) are mapped
    to ``[0, 255]`` by their min and max first, and back afterwards; this is
    Keras's rule, without its rounding to 8-bit integers in between.
    """
    flat = images.flatten(1)
    low, high = flat.min(dim=1).values.view(-1, 1, 1, 1), flat.max(dim=1).values.view(-1, 1, 1, 1)
    factors = factors.view(-1, 1, 1, 1).to(images.dtype)
    local = (low < 0) | (high > 255)
    stretch = local | bool(scale)
    span = high - low
    safe_span = torch.where(span > 0, span, torch.ones_like(span))
    unit = torch.where(stretch, (images - low) / safe_span * 255, images)
    bright = (unit * factors).clamp(0, 255)
    return torch.where(local, bright / 255 * span + low, bright)


def apply_brightness_shift(x, brightness, scale=True):
    """Change the brightness of one image (channels last) by the factor ``brightness`` (1 = unchanged)."""
    x = np.asarray(x)
    images = torch.as_tensor(x, dtype=torch.float32).permute(2, 0, 1).unsqueeze(0)
    out = _brightness(images, torch.tensor([float(brightness)]), scale)
    return out[0].permute(1, 2, 0).numpy()


def random_brightness(x, brightness_range, scale=True):
    """:func:`apply_brightness_shift` with a random factor drawn from ``brightness_range = (low, high)``."""
    if len(brightness_range) != 2:
        raise ValueError(f"brightness_range should be a tuple or list of two floats; got {brightness_range!r}.")
    return apply_brightness_shift(x, np.random.uniform(brightness_range[0], brightness_range[1]), scale)


# ---------------------------------------------------------------- iterators

_LOAD_POOL = None
_LOAD_POOL_LOCK = threading.Lock()


def _load_pool():
    """A small thread pool that decodes the files of a batch in parallel (Pillow releases the GIL)."""
    global _LOAD_POOL
    with _LOAD_POOL_LOCK:
        if _LOAD_POOL is None:
            _LOAD_POOL = ThreadPoolExecutor(max_workers=min(8, max(2, os.cpu_count() or 2)),
                                            thread_name_prefix="layerwise-load-img")
        return _LOAD_POOL


class Iterator:
    """Base of the ``ImageDataGenerator`` iterators: batches by index, shuffled per epoch.

    ``len(it)`` is the number of batches per epoch and ``it[i]`` is batch
    ``i`` (Keras's ``Sequence`` protocol); ``next(it)`` goes on forever,
    wrapping around epochs, as in Keras. A ``for`` loop — and ``fit`` —
    runs one epoch: ``len(it)`` batches, reshuffled every epoch.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
        self.n = n
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()
        self._epochs_started = 0

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}.")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = 0 if self.n == 0 else (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        return self._epoch()

    def _epoch(self):
        # A new epoch reshuffles, as Keras's fit calls on_epoch_end between epochs.
        if self._epochs_started:
            self.on_epoch_end()
        self._epochs_started += 1
        for idx in range(len(self)):
            yield self[idx]

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    next = __next__

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from arrays in memory (what ``ImageDataGenerator.flow`` returns)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None):
        data_format = image_ops.standardize_data_format(data_format, "flow")
        self.dtype = backend.standardize_dtype(dtype or backend.floatx())
        if isinstance(x, (tuple, list)):
            x_misc = [np.asarray(x[1])] if not isinstance(x[1], list) else [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError(
                        "All of the arrays in x should have the same length. Found a pair with: "
                        f"len(x[0]) = {len(x)}, len(x[?]) = {len(xx)}."
                    )
        else:
            x_misc = []
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        if y is not None and len(x) != len(y):
            raise ValueError(
                "flow: x (images) and y (labels) should have the same length. Found: "
                f"x.shape = {np.asarray(x).shape}, y.shape = {np.asarray(y).shape}."
            )
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "flow: x (images) and sample_weight should have the same length. Found: "
                f"x.shape = {np.asarray(x).shape}, sample_weight.shape = {np.asarray(sample_weight).shape}."
            )
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"flow: subset must be 'training' or 'validation'; got {subset!r}.")
            split_idx = int(len(x) * image_data_generator._validation_split)
            if y is not None and not ignore_class_split and not np.array_equal(
                    np.unique(np.asarray(y)[:split_idx]), np.unique(np.asarray(y)[split_idx:])):
                raise ValueError(
                    "Training and validation subsets have different number of classes after the split. If "
                    "your numpy arrays are sorted by the label, you might want to shuffle them."
                )
            part = slice(None, split_idx) if subset == "validation" else slice(split_idx, None)
            x = x[part]
            x_misc = [np.asarray(xx[part]) for xx in x_misc]
            if y is not None:
                y = y[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(
                "Input data in NumpyArrayIterator should have rank 4 (images, height, width, channels). You "
                f"passed an array with shape {self.x.shape}. For grayscale images of shape (n, 28, 28), add a "
                "channel axis: x[..., None]."
            )
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(
                f'NumpyArrayIterator is set to use the data format convention "{data_format}" (channels on '
                f"axis {channels_axis}), i.e. expected either 1, 3, or 4 channels on axis {channels_axis}. "
                f"However, it was passed an array with shape {self.x.shape} "
                f"({self.x.shape[channels_axis]} channels)."
            )
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self.image_data_generator._transform_batch(self.x[index_array], self.dtype)
        if self.save_to_dir:
            _save_batch(batch_x, index_array, self.data_format, self.save_to_dir, self.save_prefix,
                        self.save_format, 10000)
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = (batch_x if not batch_x_miscs else [batch_x] + batch_x_miscs,)
        if self.y is None:
            return output[0]
        output += (self.y[index_array],)
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output


def _save_batch(batch_x, index_array, data_format, save_to_dir, save_prefix, save_format, hash_range):
    for i, j in enumerate(index_array):
        img = array_to_img(batch_x[i], data_format, scale=True)
        fname = f"{save_prefix}_{j}_{np.random.randint(hash_range)}.{save_format}"
        img.save(os.path.join(save_to_dir, fname))


def _iter_valid_files(directory, white_list_formats, follow_links):
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for fname in sorted(files):
            if fname.lower().endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              "Please verify your output.")
            if fname.lower().endswith(white_list_formats):
                yield root, fname


class BatchFromFilesMixin:
    """Reads, augments and labels batches of image files (shared by the directory and DataFrame iterators)."""

    def set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format, save_to_dir,
                             save_prefix, save_format, subset, interpolation, keep_aspect_ratio):
        self.image_data_generator = image_data_generator
        self.target_size = image_ops.check_size(target_size, "target_size", type(self).__name__)
        self.keep_aspect_ratio = keep_aspect_ratio
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f'Invalid color mode: {color_mode!r}; expected "rgb", "rgba", or "grayscale".')
        self.color_mode = color_mode
        self.data_format = data_format
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[color_mode]
        self.image_shape = self.target_size + (channels,) if data_format == "channels_last" \
            else (channels,) + self.target_size
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        if interpolation not in ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos"):
            raise ValueError(
                f"{type(self).__name__}: interpolation must be one of nearest, bilinear, bicubic, hamming, box, "
                f"lanczos; got {interpolation!r}."
            )
        self.interpolation = interpolation
        if subset is not None:
            validation_split = image_data_generator._validation_split
            if subset == "validation":
                split = (0, validation_split)
            elif subset == "training":
                split = (validation_split, 1)
            else:
                raise ValueError(f"Invalid subset name: {subset!r}; expected 'training' or 'validation'.")
        else:
            split = None
        self.split = split
        self.subset = subset

    def _load(self, path):
        try:
            img = load_img(path, color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
            x = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
        except Exception as error:  # the arguments were checked up front: this is the file's fault
            raise ValueError(
                f"Could not read image file {path!r}: {type(error).__name__}: {error}. The file is corrupt, "
                "truncated or not an image; remove or replace it."
            ) from None
        if hasattr(img, "close"):
            img.close()
        return x

    def _get_batches_of_transformed_samples(self, index_array):
        filepaths = self.filepaths
        paths = [filepaths[j] for j in index_array]
        arrays = list(_load_pool().map(self._load, paths)) if len(paths) > 1 else [self._load(p) for p in paths]
        batch_x = np.stack(arrays).astype(self.dtype, copy=False) if arrays else \
            np.zeros((0,) + self.image_shape, dtype=self.dtype)
        if self.image_data_generator:
            batch_x = self.image_data_generator._transform_batch(batch_x, self.dtype)
        if self.save_to_dir:
            _save_batch(batch_x, index_array, self.data_format, self.save_to_dir, self.save_prefix,
                        self.save_format, int(1e7))
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in ("binary", "sparse"):
            batch_y = np.asarray(self.classes)[index_array].astype(self.dtype)
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), len(self.class_indices)), dtype=self.dtype)
            for i, n_observation in enumerate(index_array):
                batch_y[i, self.classes[n_observation]] = 1.0  # a list of classes sets several ones
        elif self.class_mode == "multi_output":
            batch_y = [output[index_array] for output in self.labels]
        elif self.class_mode == "raw":
            batch_y = self.labels[index_array]
        else:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Batches of augmented images read from class subfolders (what ``flow_from_directory`` returns).

    Attributes: ``classes`` (the label of every file), ``class_indices``
    (``{class name: label}``), ``filenames`` (relative to ``directory``),
    ``filepaths``, ``samples``, ``num_classes``.
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None):
        data_format = image_ops.standardize_data_format(data_format, "flow_from_directory")
        self.dtype = backend.standardize_dtype(dtype or backend.floatx())
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        _pil()
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise FileNotFoundError(
                f"flow_from_directory: directory {directory!r} does not exist or is not a directory. Pass the "
                "folder that holds one subfolder of images per class."
            )
        self.directory = directory
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {class_mode!r}; expected one of: {self.allowed_class_modes}.")
        self.class_mode = class_mode
        if not classes:
            classes = [d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        self.filenames = []
        labels = []
        for name in classes:
            class_dir = os.path.join(directory, name)
            if not os.path.isdir(class_dir):
                raise ValueError(
                    f"flow_from_directory: class {name!r} has no subfolder in {directory!r}. The subfolders "
                    f"are {sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))}."
                )
            files = list(_iter_valid_files(class_dir, self.white_list_formats, follow_links))
            if self.split:
                start, stop = int(self.split[0] * len(files)), int(self.split[1] * len(files))
                files = files[start:stop]
            for root, fname in files:
                self.filenames.append(os.path.join(name, os.path.relpath(os.path.join(root, fname), class_dir)))
                labels.append(self.class_indices[name])
        self.samples = len(self.filenames)
        self.classes = np.asarray(labels, dtype="int32")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        return self.classes

    @property
    def sample_weight(self):
        return None


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Batches of augmented images listed in a pandas DataFrame (what ``flow_from_dataframe`` returns)."""

    allowed_class_modes = ("binary", "categorical", "input", "multi_output", "raw", "sparse", None)

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename", y_col="class",
                 weight_col=None, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format="channels_last",
                 save_to_dir=None, save_prefix="", save_format="png", subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype="float32", validate_filenames=True):
        data_format = image_ops.standardize_data_format(data_format, "flow_from_dataframe")
        self.dtype = backend.standardize_dtype(dtype or backend.floatx())
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        df = dataframe.copy()
        self.directory = os.fspath(directory) if directory is not None else ""
        self.class_mode = class_mode
        self._check_params(df, x_col, y_col, weight_col, classes)
        if validate_filenames:
            df = self._filter_valid_filepaths(df, x_col)
        if class_mode not in ("input", "multi_output", "raw", None):
            df, classes = self._filter_classes(df, y_col, classes)
            num_classes = len(classes)
            self.class_indices = dict(zip(classes, range(len(classes))))
        if self.split:
            num_files = len(df)
            start, stop = int(self.split[0] * num_files), int(self.split[1] * num_files)
            df = df.iloc[start:stop, :]
        if class_mode not in ("input", "multi_output", "raw", None):
            self.classes = self.get_classes(df, y_col)
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[col].tolist()) for col in y_col]
        if class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        if class_mode in ("input", "multi_output", "raw", None):
            print(f"Found {self.samples} validated image filenames.")
        else:
            print(f"Found {self.samples} validated image filenames belonging to {num_classes} classes.")
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _check_params(self, df, x_col, y_col, weight_col, classes):
        if self.class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {self.class_mode!r}; expected one of: {self.allowed_class_modes}.")
        if self.class_mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError(f'If class_mode="multi_output", y_col must be a list. Received {type(y_col).__name__}.')
        if not all(df[x_col].apply(lambda x: isinstance(x, str))):
            raise TypeError(f"All values in column x_col={x_col} must be strings.")
        if self.class_mode in ("binary", "sparse") and not all(df[y_col].apply(lambda x: isinstance(x, str))):
            raise TypeError(f'If class_mode="{self.class_mode}", y_col="{y_col}" column values must be strings.')
        if self.class_mode == "binary":
            if classes and len(set(classes)) != 2:
                raise ValueError(f'If class_mode="binary" there must be 2 classes. {len(set(classes))} classes '
                                 "were passed in the classes argument.")
            if not classes and df[y_col].nunique() != 2:
                raise ValueError(f'If class_mode="binary" there must be 2 classes. Found {df[y_col].nunique()} '
                                 "classes.")
        if self.class_mode == "categorical":
            types = (str, list, tuple)
            if not all(df[y_col].apply(lambda x: isinstance(x, types))):
                raise TypeError(
                    f'If class_mode="{self.class_mode}", y_col="{y_col}" column values must be type string, '
                    "list or tuple."
                )
        if classes and self.class_mode in ("input", "multi_output", "raw", None):
            warnings.warn(f'classes will be ignored given the class_mode="{self.class_mode}"')
        if weight_col and not issubclass(df[weight_col].dtype.type, np.number):
            raise TypeError(f"Column weight_col={weight_col} must be numeric.")

    def get_classes(self, df, y_col):
        labels = []
        for label in df[y_col]:
            if isinstance(label, (list, tuple)):
                labels.append([self.class_indices[lbl] for lbl in label])
            else:
                labels.append(self.class_indices[label])
        return labels

    @staticmethod
    def _filter_classes(df, y_col, classes):
        df = df.copy()

        def remove_classes(labels, classes):
            if isinstance(labels, (list, tuple)):
                labels = [cls for cls in labels if cls in classes]
                return labels or None
            if isinstance(labels, str):
                return labels if labels in classes else None
            raise TypeError(f"Expect string, list or tuple but found {type(labels).__name__} in {y_col} column.")

        if classes:
            classes = list(dict.fromkeys(classes))
            df[y_col] = df[y_col].apply(lambda x: remove_classes(x, classes))
        else:
            classes = set()
            for v in df[y_col]:
                if isinstance(v, (list, tuple)):
                    classes.update(v)
                else:
                    classes.add(v)
        return df.dropna(subset=[y_col]), sorted(classes)

    def _filter_valid_filepaths(self, df, x_col):
        filepaths = df[x_col].map(lambda fname: os.path.join(self.directory, fname))
        mask = filepaths.apply(lambda f: f.lower().endswith(self.white_list_formats) and os.path.isfile(f))
        n_invalid = (~mask).sum()
        if n_invalid:
            warnings.warn(f'Found {n_invalid} invalid image filename(s) in x_col="{x_col}". These filename(s) will '
                          "be ignored.")
        return df[mask]

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        if self.class_mode in ("multi_output", "raw"):
            return self._targets
        return self.classes

    @property
    def sample_weight(self):
        return self._sample_weight


class ImageDataGenerator:
    """Generates batches of images with real-time augmentation (the Keras 2 API).

    Random transforms (drawn per image): rotation, shifts, shear, zoom,
    channel shift, flips, brightness. Then standardization:
    ``preprocessing_function``, ``rescale``, sample-wise and feature-wise
    centring and normalisation, ZCA whitening (the feature-wise statistics
    come from :meth:`fit`).

    Args:
        featurewise_center: subtract the data set's per-channel mean (needs ``fit``).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the data set's per-channel std (needs ``fit``).
        samplewise_std_normalization: divide each image by its std.
        zca_whitening: apply ZCA whitening (needs ``fit``).
        zca_epsilon: epsilon for ZCA whitening (default 1e-6).
        rotation_range: degrees; rotate by a random angle in ``[-r, r]``.
        width_shift_range: fraction of the width (``< 1``) or pixels (``>= 1``);
            an int or a list draws from those values.
        height_shift_range: the same for the height.
        brightness_range: ``(low, high)`` factors (1 = unchanged).
        shear_range: shear angle in degrees (counter-clockwise).
        zoom_range: ``z`` (zoom in ``[1 - z, 1 + z]``) or ``[low, high]``.
        channel_shift_range: shift all channels by a random value in ``[-r, r]``.
        fill_mode: ``"nearest"`` (default), ``"constant"``, ``"reflect"`` or ``"wrap"``.
        cval: fill value for ``fill_mode="constant"``.
        horizontal_flip, vertical_flip: flip half the images.
        rescale: multiply the data by this value (after the other transforms).
        preprocessing_function: applied to each image (rank 3 array) first in
            standardization; returns an array of the same shape.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        validation_split: fraction of images reserved for validation (use
            ``subset=`` in ``flow`` / ``flow_from_directory``).
        interpolation_order: 0 (nearest), 1 (bilinear, default) or 3 (bicubic).
        dtype: dtype of the generated arrays (default float32).

    Example:

    >>> datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True, rescale=1.0 / 255)
    >>> x_batch, y_batch = next(datagen.flow(np.random.rand(64, 32, 32, 3) * 255, np.arange(64), batch_size=16))
    >>> x_batch.shape
    (16, 32, 32, 3)
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        if data_format is None:
            data_format = backend.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                'data_format should be "channels_last" (channel after row and column) or "channels_first" '
                f"(channel before row and column). Received: {data_format!r}"
            )
        if fill_mode not in _SCIPY_FILL_MODES:
            raise ValueError(f"fill_mode must be one of {_SCIPY_FILL_MODES}; got {fill_mode!r}.")
        if interpolation_order not in (0, 1, 3):
            raise ValueError(
                f"interpolation_order must be 0 (nearest), 1 (bilinear) or 3 (bicubic); got {interpolation_order!r}."
            )
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = backend.standardize_dtype(dtype or backend.floatx())
        self.interpolation_order = interpolation_order
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                f"validation_split must be strictly between 0 and 1, e.g. 0.2; received: {validation_split!r}."
            )
        self._validation_split = validation_split
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None
        if isinstance(zoom_range, (float, int)) and not isinstance(zoom_range, bool):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif isinstance(zoom_range, (tuple, list)) and len(zoom_range) == 2 and all(
                isinstance(v, (float, int)) for v in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"zoom_range should be a float or a tuple or list of two floats. Received: {zoom_range!r}")
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of "
                              "`featurewise_center`.")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which overrides setting of"
                              "`featurewise_std_normalization`.")
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides "
                          "setting of `featurewise_center`.")
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides "
                          "setting of `samplewise_center`.")
        if brightness_range is not None and (
                not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2):
            raise ValueError(f"brightness_range should be tuple or list of two floats. Received: {brightness_range!r}")
        self.brightness_range = brightness_range

    # ---------------------------------------------------------------- iterators

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """Batches of augmented images from arrays: ``(x_batch, y_batch)`` (or ``x_batch`` without ``y``).

        Args:
            x: images, rank 4 ``(n, height, width, channels)``; or a tuple
                ``(images, other_array_or_list)`` of extra inputs passed through.
            y: labels (any array with ``n`` rows), or ``None``.
            batch_size: images per batch (default 32).
            shuffle: shuffle the images every epoch (default True).
            sample_weight: per-image weights, yielded as a third element.
            seed: seed for shuffling and the random transforms.
            save_to_dir: save the augmented images there (to look at them).
            save_prefix, save_format: file name prefix and format for ``save_to_dir``.
            ignore_class_split: skip the check that both subsets hold every class.
            subset: ``"training"`` or ``"validation"`` with ``validation_split``
                (validation takes the *first* fraction of the arrays, as Keras).
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """Batches of augmented images read from class subfolders of ``directory``.

        Args:
            directory: one subfolder per class (``png``, ``jpg``, ``jpeg``,
                ``bmp``, ``ppm``, ``tif``, ``tiff`` files).
            target_size: ``(height, width)`` the images are resized to (default 256x256).
            color_mode: ``"rgb"`` (default), ``"rgba"`` or ``"grayscale"``.
            classes: subfolder names to use, in label order (default: all, sorted).
            class_mode: ``"categorical"`` (one-hot, default), ``"binary"``,
                ``"sparse"`` (integer labels), ``"input"`` (the images as
                targets, for autoencoders) or ``None`` (images only).
            batch_size, shuffle, seed: as in :meth:`flow`.
            save_to_dir, save_prefix, save_format: as in :meth:`flow`.
            follow_links: follow symbolic links to subfolders.
            subset: ``"training"`` or ``"validation"`` with ``validation_split``
                (validation takes the first fraction of every class folder).
            interpolation: resampling for ``target_size``: ``"nearest"``
                (default), ``"bilinear"``, ``"bicubic"``, ``"lanczos"``,
                ``"box"``, ``"hamming"``.
            keep_aspect_ratio: crop to the target aspect ratio before resizing.
        """
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode,
                                 keep_aspect_ratio=keep_aspect_ratio, classes=classes, class_mode=class_mode,
                                 data_format=self.data_format, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format,
                                 follow_links=follow_links, subset=subset, interpolation=interpolation,
                                 dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", weight_col=None,
                            target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                            batch_size=32, shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest", validate_filenames=True,
                            **kwargs):
        """Batches of augmented images whose file names (and labels) are columns of a DataFrame.

        ``x_col`` holds the file names (relative to ``directory``, or
        absolute); ``y_col`` the labels (class names for ``"categorical"``,
        ``"binary"``, ``"sparse"``; any values for ``"raw"``; a list of
        columns for ``"multi_output"``); ``weight_col`` optional sample
        weights. Files that do not exist or are not images are skipped with a
        warning (``validate_filenames=True``).
        """
        for legacy in ("has_ext", "sort", "drop_duplicates"):
            if legacy in kwargs:
                warnings.warn(f"The {legacy} argument is deprecated and ignored.", DeprecationWarning)
                kwargs.pop(legacy)
        if kwargs:
            raise TypeError(f"flow_from_dataframe got unexpected keyword arguments: {sorted(kwargs)}")
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
                                 target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset, interpolation=interpolation,
                                 validate_filenames=validate_filenames, dtype=self.dtype)

    # ---------------------------------------------------------------- per-image API (Keras's)

    def standardize(self, x):
        """Apply the normalization configuration (in place where possible) to one image or a batch."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it hasn't been fit on "
                              "any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, but it hasn't "
                              "been fit on any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat_x = x.reshape(-1, math.prod(x.shape[-3:]))
                x = np.reshape(flat_x @ self.zca_whitening_matrix, x.shape)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.")
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image, drawn from numpy's global generator in Keras's order."""
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = self._shift(self.height_shift_range, img_shape[img_row_axis])
        ty = self._shift(self.width_shift_range, img_shape[img_col_axis])
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    @staticmethod
    def _shift(shift_range, size):
        if not shift_range:
            return 0
        try:  # an int or a list: draw one of the values, with a random sign
            shift = np.random.choice(shift_range)
            shift *= np.random.choice([-1, 1])
        except ValueError:  # a float: draw from the interval
            shift = np.random.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def apply_transform(self, x, transform_parameters):
        """Apply the parameters of :meth:`get_random_transform` to one image (rank 3)."""
        x = np.asarray(x)
        batch = self._apply_batch(x[None].astype(np.float32, copy=False), [transform_parameters])
        return batch[0].astype(x.dtype if x.dtype.kind == "f" else np.float32, copy=False)

    def random_transform(self, x, seed=None):
        """Apply a random transform to one image (rank 3)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the feature-wise statistics (mean, std, ZCA matrix) from sample images ``x`` (rank 4)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(
                f"Input to `.fit()` should have rank 4 (images, height, width, channels). Got array with shape: "
                f"{x.shape}"
            )
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(
                f'Expected input to be images (as Numpy array) following the data format convention '
                f'"{self.data_format}" (channels on axis {self.channel_axis}), i.e. expected either 1, 3 or 4 '
                f"channels on axis {self.channel_axis}. However, it was passed an array with shape {x.shape} "
                f"({x.shape[self.channel_axis]} channels)."
            )
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            rounds_x = []
            for _ in range(rounds):
                params = [self.get_random_transform(x[i].shape) for i in range(x.shape[0])]
                rounds_x.append(self._apply_batch(x, params).astype(self.dtype, copy=False))
            x = np.concatenate(rounds_x)
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, self.row_axis, self.col_axis))
            shape = [1, 1, 1]
            shape[self.channel_axis - 1] = x.shape[self.channel_axis]
            self.mean = np.reshape(self.mean, shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, self.row_axis, self.col_axis))
            shape = [1, 1, 1]
            shape[self.channel_axis - 1] = x.shape[self.channel_axis]
            self.std = np.reshape(self.std, shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            u, s, _ = np.linalg.svd(flat_x.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)

    # ---------------------------------------------------------------- batched implementation

    def _apply_batch(self, batch_x, params):
        """Apply per-image parameters to a whole batch: one warp, then shifts, flips and brightness."""
        images = torch.from_numpy(np.ascontiguousarray(batch_x, dtype=np.float32))
        if self.data_format == "channels_last":
            images = images.permute(0, 3, 1, 2)
        height, width = images.shape[2], images.shape[3]
        matrices = [affine_matrix(p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),
                                  p.get("zx", 1), p.get("zy", 1), height, width) for p in params]
        moved = [i for i, m in enumerate(matrices) if m is not None]
        if moved:
            warped = _warp_batch(images[moved], [matrices[i] for i in moved], self.fill_mode, self.cval,
                                 self.interpolation_order)
            images = images.clone()
            images[moved] = warped
        shifts = [p.get("channel_shift_intensity") for p in params]
        if any(s is not None for s in shifts):
            flat = images.flatten(1)
            low = flat.min(dim=1).values.view(-1, 1, 1, 1)
            high = flat.max(dim=1).values.view(-1, 1, 1, 1)
            amount = torch.tensor([0.0 if s is None else float(s) for s in shifts]).view(-1, 1, 1, 1)
            shifted = torch.minimum(torch.maximum(images + amount, low), high)
            has = torch.tensor([s is not None for s in shifts]).view(-1, 1, 1, 1)
            images = torch.where(has, shifted, images)
        for key, axis in (("flip_horizontal", 3), ("flip_vertical", 2)):
            flags = torch.tensor([bool(p.get(key, False)) for p in params]).view(-1, 1, 1, 1)
            if bool(flags.any()):
                images = torch.where(flags, images.flip(axis), images)
        factors = [p.get("brightness") for p in params]
        if any(f is not None for f in factors):
            has = torch.tensor([f is not None for f in factors]).view(-1, 1, 1, 1)
            values = torch.tensor([1.0 if f is None else float(f) for f in factors])
            images = torch.where(has, _brightness(images, values, scale=False), images)
        if self.data_format == "channels_last":
            images = images.permute(0, 2, 3, 1)
        return images.numpy()

    def _transform_batch(self, batch_x, dtype):
        """Random transforms and standardization of a batch, as Keras applies them image by image."""
        params = [self.get_random_transform(batch_x[i].shape) for i in range(len(batch_x))]
        out = self._apply_batch(batch_x, params).astype(dtype, copy=True)
        if self.preprocessing_function:
            out = np.stack([np.asarray(self.preprocessing_function(image)) for image in out]).astype(dtype)
        if self.rescale:
            out *= self.rescale
        if self.samplewise_center:
            out -= out.mean(axis=(1, 2, 3), keepdims=True)
        if self.samplewise_std_normalization:
            out /= out.std(axis=(1, 2, 3), keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                out -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it hasn't been fit on "
                              "any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.featurewise_std_normalization:
            if self.std is not None:
                out /= self.std + 1e-6
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, but it hasn't "
                              "been fit on any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat = out.reshape(len(out), -1)
                out = (flat @ self.zca_whitening_matrix).reshape(out.shape).astype(dtype, copy=False)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.")
        return out
