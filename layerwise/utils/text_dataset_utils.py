"""``text_dataset_from_directory``: a dataset of text batches read from class folders of ``.txt`` files.

>>> raw_train_ds = layerwise.utils.text_dataset_from_directory(
...     "aclImdb/train", batch_size=32, validation_split=0.2, subset="training", seed=42)
Found 25000 files belonging to 2 classes.
Using 20000 files for training.
>>> for text_batch, label_batch in raw_train_ds.take(1):
...     print(text_batch[0][:40], int(label_batch[0]))
"""

import os

import numpy as np

from layerwise.utils import dataset_utils


class TextFolderDataset(dataset_utils.FileDataset):
    """The dataset :func:`text_dataset_from_directory` returns: ``(texts, labels)`` batches.

    ``texts`` is a numpy array of Python strings (one per file, decoded as
    UTF-8, undecodable bytes replaced by U+FFFD); ``labels`` a torch tensor.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, shuffle, seed, max_length):
        super().__init__(file_paths, labels, label_mode, class_names, batch_size, shuffle, seed)
        self.max_length = max_length

    def _read(self, path):
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        return text if self.max_length is None else text[:self.max_length]

    def _iterate(self):
        for indices in self._batch_indices():
            texts = np.array([self._read(self.file_paths[i]) for i in indices], dtype=str)
            yield from self._emit(texts, indices)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A dataset of ``(texts, labels)`` batches from ``.txt`` files in class subfolders.

    With ``labels="inferred"`` the layout is ``directory/class_a/*.txt``,
    ``directory/class_b/*.txt``, ...; class ``i`` is the ``i``-th subfolder
    in alphanumeric order (or in the order of ``class_names``). Files with
    other extensions are skipped with a warning.

    Args:
        directory: the folder of class subfolders (or of ``.txt`` files, with
            ``labels=None`` or a list of labels).
        labels: ``"inferred"``, ``None`` (texts only) or a list of integer
            labels, one per file in sorted path order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``, as
            in :func:`image_dataset_from_directory`.
        class_names: with ``labels="inferred"``, the subfolders to use, in
            label order.
        batch_size: texts per batch (default 32); ``None`` yields single texts.
        max_length: keep at most this many characters of each text.
        shuffle: shuffle the files (reshuffled at every pass); ``False`` keeps
            alphanumeric order.
        seed: seed for the shuffling; needed with ``validation_split``.
        validation_split: fraction of the files held out for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: also visit subfolders that are symbolic links.
        format: accepted for Keras compatibility; layerwise returns its own dataset.
        verbose: print how many files and classes were found.

    Returns:
        A :class:`TextFolderDataset` yielding ``(texts, labels)``: a numpy
        array of strings and a torch tensor of labels (int32, one-hot float32
        or float32 ``(batch, 1)``). With ``subset="both"``, a pair.
    """
    dataset_utils.check_labels_arg(labels, class_names, "texts")
    dataset_utils.check_label_mode(label_mode)
    dataset_utils.check_format(format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                   or max_length < 1):
        raise ValueError(f"max_length must be a positive integer (characters) or None; got {max_length!r}.")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None; got {batch_size!r}.")
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, file_labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=(".txt",), class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose, what="text files",
    )
    if not file_paths:
        raise ValueError(f"No text files found in directory {os.fspath(directory)!r}. Allowed format: .txt")
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes, but found {len(class_names)}: {class_names}. "
            "Use label_mode='int' or 'categorical' for more classes."
        )

    def make(paths, subset_labels, subset_shuffle):
        return TextFolderDataset(paths, subset_labels, label_mode, class_names, batch_size, subset_shuffle, seed,
                                 max_length)

    if subset == "both":
        train = dataset_utils.get_training_or_validation_split(file_paths, file_labels, validation_split,
                                                               "training", verbose)
        val = dataset_utils.get_training_or_validation_split(file_paths, file_labels, validation_split,
                                                             "validation", verbose)
        if not train[0]:
            raise ValueError(f"No training text files left in {os.fspath(directory)!r} after the validation split.")
        if not val[0]:
            raise ValueError(
                f"No validation text files in {os.fspath(directory)!r}: validation_split={validation_split} of "
                f"{len(file_paths)} files is less than one file. Use a larger validation_split."
            )
        return make(*train, shuffle), make(*val, False)
    paths, subset_labels = dataset_utils.get_training_or_validation_split(
        file_paths, file_labels, validation_split, subset, verbose)
    if not paths:
        raise ValueError(
            f"No text files in the {subset} subset of {os.fspath(directory)!r} "
            f"(validation_split={validation_split} of {len(file_paths)} files)."
        )
    return make(paths, subset_labels, shuffle)
