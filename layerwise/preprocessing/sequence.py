"""Sequence utilities of ``keras.preprocessing.sequence``: :func:`pad_sequences`.

Course code tokenises text (``Tokenizer.texts_to_sequences``), then pads the
lists of ids to one length so that they fit in one array:

>>> from layerwise.preprocessing.sequence import pad_sequences
>>> pad_sequences([[1], [2, 3], [4, 5, 6]])
array([[0, 0, 1],
       [0, 2, 3],
       [4, 5, 6]], dtype=int32)
"""

import numbers

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads sequences to the same length.

    Turns a list of ``num_samples`` sequences (lists of integers) into a 2D
    numpy array of shape ``(num_samples, num_timesteps)``, where
    ``num_timesteps`` is ``maxlen`` if given, else the length of the longest
    sequence. Shorter sequences are padded with ``value``; longer ones are
    truncated. Sequences whose items are themselves arrays (e.g. word
    vectors) give an array of shape ``(num_samples, num_timesteps) + item_shape``.

    Args:
        sequences: list (or other sized iterable) of sequences; each sequence
            is a list, tuple or array of integers (or of equally shaped arrays).
        maxlen: optional int, the length of every output row; default the
            length of the longest sequence.
        dtype: type of the output (default ``'int32'``). To pad sequences of
            variable-length strings use ``object``.
        padding: ``'pre'`` (default) or ``'post'``: pad before or after each
            sequence.
        truncating: ``'pre'`` (default) or ``'post'``: remove values from the
            beginning or the end of sequences longer than ``maxlen``.
        value: the padding value (float or string; default ``0.``).

    Returns:
        A numpy array of shape ``(len(sequences), maxlen)``.

    Raises:
        ValueError: ``sequences`` is not a list of sequences, an item is not a
            whole number while ``dtype`` is an integer type (Keras would silently
            truncate ``1.5`` to ``1``), an item is ``None`` or a string while
            ``dtype`` is numeric, the sequences' items have different shapes,
            or ``padding``/``truncating``/``maxlen`` is invalid.

    Example:

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
    array([[1, 0],
           [2, 3],
           [5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3]], value=-1)
    array([[-1,  1],
           [ 2,  3]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            "`sequences` must be iterable. pad_sequences needs a list (or array) of sequences, "
            f"got {type(sequences).__name__}; a generator can be turned into one with list(...)."
        )
    if isinstance(sequences, (str, bytes)):
        raise ValueError(  # noqa: TRY004 -- Keras raises ValueError for malformed `sequences`
            f"pad_sequences expects a list of sequences of integers, got a single {type(sequences).__name__} "
            f"{_preview(sequences)}. Tokenize texts first, e.g. with Tokenizer.texts_to_sequences."
        )
    for argument, setting in (("padding", padding), ("truncating", truncating)):
        if setting not in ("pre", "post"):
            kind = "Padding" if argument == "padding" else "Truncating"
            raise ValueError(
                f'{kind} type "{setting}" not understood: `{argument}` must be "pre" or "post".'
            )
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral)
                               or maxlen < 0):
        raise ValueError(
            f"`maxlen` must be None or a non-negative integer (the length of every padded row), "
            f"got {maxlen!r}."
        )

    lengths = []
    sample_shape = ()
    found_sample_shape = False
    # The shape of one item is taken from the first non-empty sequence, as in Keras;
    # every other sequence is checked against it below.
    for position, sequence in enumerate(sequences):
        if isinstance(sequence, (str, bytes)):
            raise ValueError(  # noqa: TRY004 -- as Keras, ValueError for malformed `sequences`
                f"pad_sequences expects sequences of integers, but the sequence at position {position} "
                f"is the {type(sequence).__name__} {_preview(sequence)}. Tokenize the texts first, e.g. "
                "with Tokenizer.texts_to_sequences, or pass dtype=object to pad lists of strings."
            )
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {sequence!s} "
                f"(at position {position}). Each sequence must be a list or array, e.g. [[1, 2], [3]]."
            ) from error
        if not found_sample_shape and len(sequence):
            sample_shape = _item_shape(sequence, position)
            found_sample_shape = True

    if maxlen is None:
        if not lengths:
            raise ValueError(
                "pad_sequences got an empty list of sequences and no `maxlen`, so the length of the "
                "rows is unknown. Pass at least one sequence, or give maxlen."
            )
        maxlen = int(np.max(lengths))

    is_dtype_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_dtype_str:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )
    target = np.dtype(dtype)
    checks_numbers = target.kind in "iuf"

    padded = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return padded
    for position, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        if checks_numbers:
            kept = _numeric_items(kept, position, target)
        else:
            kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {position} is different "
                f"from expected shape {sample_shape}"
            )
        if padding == "post":
            padded[position, :len(kept)] = kept
        else:
            padded[position, -len(kept):] = kept
    return padded


def _preview(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _item_shape(sequence, position):
    """The shape of one item of ``sequence`` (``()`` for a list of numbers)."""
    try:
        return np.asarray(sequence).shape[1:]
    except ValueError:
        raise ValueError(
            f"The sequence at position {position} is ragged: its items have different shapes "
            f"({_preview(sequence)}). pad_sequences pads lists of integers (or of equally shaped "
            "arrays); pad the inner lists first, or flatten them."
        ) from None


def _numeric_items(items, position, target):
    """``items`` as an array of ``target`` dtype, refusing what a cast would silently mangle."""
    try:
        array = np.asarray(items)
    except ValueError:
        raise ValueError(
            f"The sequence at position {position} is ragged: its items have different shapes "
            f"({_preview(items)}). pad_sequences pads lists of integers (or of equally shaped "
            "arrays); pad the inner lists first, or flatten them."
        ) from None
    kind = array.dtype.kind
    if kind in "USV":
        what = f"{_preview(array.reshape(-1)[0].item())} ({type(array.reshape(-1)[0].item()).__name__})"
    elif kind == "O":
        bad = [item for item in array.reshape(-1)
               if item is None or not isinstance(item, (numbers.Number, np.number))]
        what = None
        if bad:
            what = "None" if bad[0] is None else f"{_preview(bad[0])} ({type(bad[0]).__name__})"
        else:
            array = array.astype("float64" if target.kind == "f" else "int64")
            kind = array.dtype.kind
    if kind in "OUSV" and what is not None:
        raise ValueError(
            f"pad_sequences expects sequences of numbers, but the sequence at position {position} holds "
            f"{what}. Map every token to an integer id first (e.g. with Tokenizer.texts_to_sequences), "
            "drop missing values, or pass dtype=object to pad other values."
        )
    if target.kind in "iu" and kind == "f":
        fractional = ~np.isfinite(array) | (array != np.round(array))
        if fractional.any():
            bad = array.reshape(-1)[np.flatnonzero(fractional.reshape(-1))[0]]
            raise ValueError(
                f"pad_sequences with dtype='{target.name}' got the value {bad.item()!r} in the sequence at "
                f"position {position}, which is not a whole number; casting would silently change it. "
                "Pass dtype='float32' to keep such values, or convert the sequences to integer ids."
            )
    return array.astype(target, copy=False)


__all__ = ["pad_sequences"]
