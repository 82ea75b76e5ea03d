"""``image_dataset_from_directory``: a dataset of image batches read from class folders.

Images are decoded (Pillow), converted to the colour mode and resized in
background worker processes through ``torch.utils.data.DataLoader``, one
whole batch per task, so that decoding runs in parallel with training.
The batches are torch tensors ``(images float32 in [0, 255], labels)``:

>>> train_ds, val_ds = layerwise.utils.image_dataset_from_directory(
...     "flower_photos", validation_split=0.2, subset="both", seed=123,
...     image_size=(180, 180), batch_size=32)
Found 3670 files belonging to 5 classes.
Using 2936 files for training.
Using 734 files for validation.
>>> model.fit(train_ds, validation_data=val_ds, epochs=10)
"""

import os

import numpy as np
import torch

from layerwise import backend
from layerwise.layers.preprocessing import image_ops
from layerwise.utils import dataset_utils

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Reading image files needs Pillow, which is not installed. Install it with "
            "`pip install pillow` (or `pip install layerwise[image]`)."
        ) from None
    return Image


def default_num_workers():
    """Worker processes for decoding: half the CPU cores, at least 1, at most 4."""
    return min(4, max(1, (os.cpu_count() or 2) // 2))


def read_image(path, num_channels):
    """Decode ``path`` into an ``(height, width, channels)`` array (uint8, or wider for 16-bit grayscale)."""
    Image = _pil_image()
    try:
        with open(path, "rb") as handle:
            img = Image.open(handle)
            img.load()
            if num_channels == 1:
                if img.mode not in ("L", "I;16", "I"):
                    img = img.convert("L")
            elif num_channels == 4:
                if img.mode != "RGBA":
                    img = img.convert("RGBA")
            elif img.mode != "RGB":
                img = img.convert("RGB")
            array = np.asarray(img)
    except Exception as error:  # PIL raises UnidentifiedImageError, OSError, SyntaxError, ...
        raise ValueError(
            f"Could not read image file {path!r}: {type(error).__name__}: {error}. The file is corrupt, "
            "truncated or not an image; remove or replace it."
        ) from None
    if array.ndim == 2:
        array = array[:, :, None]
    return array


class ImageFileLoader:
    """Loads batches of image files into one array (runs in DataLoader worker processes).

    ``loader[[i, j, ...]]`` returns ``(indices, images, error)``: the
    indices, a float32 tensor ``(n, height, width, channels)`` (or channels
    first) and ``None``; or the indices, ``None`` and the message of the first
    file that could not be read (raised in the main process, so that it
    arrives intact rather than wrapped in a worker traceback).
    """

    def __init__(self, paths, image_size, num_channels, interpolation, crop_to_aspect_ratio,
                 pad_to_aspect_ratio, data_format):
        self.paths = list(paths)
        self.image_size = image_size
        self.num_channels = num_channels
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.data_format = data_format

    def __len__(self):
        return len(self.paths)

    def load(self, path):
        array = read_image(path, self.num_channels)
        image = torch.from_numpy(array.astype(np.float32))
        if self.data_format == "channels_first":
            image = image.permute(2, 0, 1)
        return image_ops.resize_like_tensorflow(
            image, self.image_size, interpolation=self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio, pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            data_format=self.data_format,
        )

    def __getitem__(self, indices):
        indices = list(indices)
        try:
            images = [self.load(self.paths[i]) for i in indices]
        except ValueError as error:
            return indices, None, str(error)
        return indices, torch.stack(images), None


class _BatchOrder(torch.utils.data.Sampler):
    """Yields the index lists of one pass, one list per batch (DataLoader may start it more than once)."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


class ImageFolderDataset(dataset_utils.FileDataset):
    """The dataset :func:`image_dataset_from_directory` returns: ``(images, labels)`` batches.

    Decoding runs in ``num_workers`` background processes (a
    ``torch.utils.data.DataLoader`` per pass over the data); set
    ``dataset.num_workers = 0`` to decode in the main process instead.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, shuffle, seed, loader,
                 num_workers=None):
        super().__init__(file_paths, labels, label_mode, class_names, batch_size, shuffle, seed)
        self._loader = loader
        self.num_workers = default_num_workers() if num_workers is None else int(num_workers)

    def _batches(self):
        """``(indices, images, error)`` per batch, decoded in worker processes when ``num_workers > 0``.

        Each pass gets its own DataLoader whose workers are shut down when the
        pass ends (or is abandoned), so no worker outlives its pass and no
        forked process inherits another pass's workers.
        """
        batches = self._batch_indices()
        if self.num_workers <= 0:
            for indices in batches:
                yield self._loader[indices]
            return
        loader = torch.utils.data.DataLoader(
            self._loader, batch_size=None, sampler=_BatchOrder(batches), num_workers=self.num_workers,
            prefetch_factor=2, pin_memory=backend.device().type == "cuda",
        )
        iterator = iter(loader)
        try:
            yield from iterator
        finally:
            iterator._shutdown_workers()
            del iterator

    def _iterate(self):
        for indices, x, error in self._batches():
            if error is not None:
                raise ValueError(error)
            yield from self._emit(x, indices)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True,
                                 seed=None, validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, format="tf", verbose=True):
    """A dataset of ``(images, labels)`` batches from image files in class subfolders.

    With ``labels="inferred"`` the layout is::

        directory/
            class_a/  a_image_1.jpg  a_image_2.png ...
            class_b/  b_image_1.jpg ...

    and class ``i`` is the ``i``-th subfolder in alphanumeric order (or in
    the order of ``class_names``). Files with the extensions ``.bmp``,
    ``.gif``, ``.jpeg``, ``.jpg``, ``.png`` are read (animated GIFs: the first
    frame); other files are skipped with a warning. Images are decoded in
    background worker processes while the model trains.

    Args:
        directory: the folder of class subfolders (or of images, with
            ``labels=None`` or a list of labels).
        labels: ``"inferred"`` (from the subfolders), ``None`` (images only),
            or a list of integer labels, one per image file in sorted path
            order.
        label_mode: ``"int"`` (int32 labels ``(batch,)``), ``"categorical"``
            (float32 one-hot ``(batch, num_classes)``), ``"binary"`` (float32
            0/1 ``(batch, 1)``, exactly two classes) or ``None`` (no labels).
        class_names: with ``labels="inferred"``, the subfolders to use, in
            label order.
        color_mode: ``"rgb"`` (3 channels, default), ``"rgba"`` (4) or
            ``"grayscale"`` (1).
        batch_size: images per batch (default 32); ``None`` yields single
            images.
        image_size: ``(height, width)`` every image is resized to (default
            ``(256, 256)``).
        shuffle: shuffle the files (reshuffled at every pass); ``False``
            keeps alphanumeric order.
        seed: seed for the shuffling; needed with ``validation_split``.
        validation_split: fraction of the files held out for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns the
            pair ``(train_ds, val_ds)``); only with ``validation_split``.
        interpolation: resizing method: ``"bilinear"`` (default),
            ``"nearest"``, ``"bicubic"``, ``"area"``, ``"lanczos3"``,
            ``"lanczos5"``, ``"gaussian"``, ``"mitchellcubic"``.
        follow_links: also visit subfolders that are symbolic links.
        crop_to_aspect_ratio: resize the largest centred window with the
            target aspect ratio (no distortion; the rest is cropped).
        pad_to_aspect_ratio: pad the short side with zeros to the target
            aspect ratio before resizing (no distortion).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        format: accepted for Keras compatibility (``"tf"``, ``"grain"``,
            ``"torch"``); layerwise always returns its own dataset.
        verbose: print how many files and classes were found.

    Returns:
        An :class:`ImageFolderDataset` yielding ``(images, labels)`` (or
        images alone without labels) as torch tensors; images are float32 in
        ``[0, 255]`` of shape ``(batch, height, width, channels)``. It has
        ``class_names``, ``file_paths`` and ``len()`` (batches per pass).
        With ``subset="both"``, a pair ``(train_ds, val_ds)``.
    """
    dataset_utils.check_labels_arg(labels, class_names, "images")
    dataset_utils.check_label_mode(label_mode)
    dataset_utils.check_format(format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in COLOR_MODES:
        raise ValueError(
            f"color_mode must be 'rgb' (3 channels), 'rgba' (4) or 'grayscale' (1); got {color_mode!r}."
        )
    num_channels = COLOR_MODES[color_mode]
    image_size = image_ops.check_size(image_size, "image_size", "image_dataset_from_directory")
    interpolation = str(interpolation).lower()
    if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {image_ops.RESIZE_INTERPOLATIONS}; got {interpolation!r}."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True (crop the long side "
            "away, or pad the short side)."
        )
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None; got {batch_size!r}.")
    data_format = image_ops.standardize_data_format(data_format, "image_dataset_from_directory")
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    _pil_image()
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, file_labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose, what="images",
    )
    if not file_paths:
        raise ValueError(
            f"No images found in directory {os.fspath(directory)!r}. Allowed formats: {ALLOWLIST_FORMATS}."
        )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes, but found {len(class_names)}: {class_names}. "
            "Use label_mode='int' or 'categorical' for more classes."
        )

    def make(paths, subset_labels, subset_shuffle):
        loader = ImageFileLoader(paths, image_size, num_channels, interpolation, crop_to_aspect_ratio,
                                 pad_to_aspect_ratio, data_format)
        return ImageFolderDataset(paths, subset_labels, label_mode, class_names, batch_size, subset_shuffle,
                                  seed, loader)

    if subset == "both":
        train_paths, train_labels = dataset_utils.get_training_or_validation_split(
            file_paths, file_labels, validation_split, "training", verbose)
        val_paths, val_labels = dataset_utils.get_training_or_validation_split(
            file_paths, file_labels, validation_split, "validation", verbose)
        if not train_paths:
            raise ValueError(f"No training images left in {os.fspath(directory)!r} after the validation split.")
        if not val_paths:
            raise ValueError(
                f"No validation images in {os.fspath(directory)!r}: validation_split={validation_split} of "
                f"{len(file_paths)} files is less than one file. Use a larger validation_split."
            )
        return make(train_paths, train_labels, shuffle), make(val_paths, val_labels, False)
    paths, subset_labels = dataset_utils.get_training_or_validation_split(
        file_paths, file_labels, validation_split, subset, verbose)
    if not paths:
        raise ValueError(
            f"No images in the {subset} subset of {os.fspath(directory)!r} "
            f"(validation_split={validation_split} of {len(file_paths)} files)."
        )
    return make(paths, subset_labels, shuffle)
