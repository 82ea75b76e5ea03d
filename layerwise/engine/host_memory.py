"""Keep freed host memory for the next training step instead of handing it back to the OS.

Why: a training step on the CPU allocates the same large tensors every step
(a Conv2D activation of a CIFAR batch is ~6 MB) and frees them a moment
later. glibc's ``malloc`` serves blocks that large with fresh ``mmap``
pages and returns them to the kernel on ``free`` (or trims the top of its
heap), so every step pays thousands of page faults and zeroes every page
again: on the benchmarks' CIFAR-shaped CNN that was ~5,000 faults (21 MB)
and about a quarter of the step. ``mallopt`` with a fixed mmap threshold
and a high trim threshold makes ``malloc`` reuse the freed blocks, as
PyTorch's own caching allocator does on GPUs and as the usual advice to
preload jemalloc or tcmalloc does on CPUs.

The setting is process-wide, so it is applied once, only when layerwise
starts running batches (``fit``, ``evaluate``, ``predict``,
``train_on_batch``, ``test_on_batch``), never at import. It leaves the
process alone when:

* the C library is not glibc (macOS, Windows, musl): nothing to tune;
* the user tuned ``malloc`` already (``GLIBC_TUNABLES`` naming a malloc
  setting, or ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``);
* ``LAYERWISE_KEEP_HOST_MEMORY=0`` is set.

The cost: memory the process freed stays in its heap for reuse, so its
resident size stays near its peak rather than shrinking between steps.

Example:

>>> from layerwise.engine import host_memory
>>> host_memory.keep_freed_memory()   # what fit() does before its first batch
True
"""

import os

# mallopt's parameter numbers, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# Blocks up to this size come from the reusable heap. 32 MiB is the largest
# value glibc accepts on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
# Free memory at the top of the heap is returned to the OS only beyond this.
TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024

_USER_MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")

_decision = None  # None until decided; then True (applied) or False (left alone) for the process


def tuning_wanted(environ):
    """Whether to tune ``malloc`` in a process with environment ``environ`` (see the module's list).

    Example:

    >>> tuning_wanted({"LAYERWISE_KEEP_HOST_MEMORY": "0"})
    False
    """
    if environ.get("LAYERWISE_KEEP_HOST_MEMORY", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if any(name in environ for name in _USER_MALLOC_VARIABLES):
        return False
    if "glibc.malloc." in environ.get("GLIBC_TUNABLES", ""):
        return False
    import platform  # imported on first use: `import layerwise` stays as fast as it was

    return platform.libc_ver()[0] == "glibc"


def _apply():
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    # mallopt returns 1 on success and 0 for a value the C library refuses.
    applied = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1 and applied


def keep_freed_memory():
    """Tune glibc's ``malloc`` once per process so freed tensors' memory is reused.

    Returns whether the tuning is in effect for this process: the first
    call decides from ``os.environ`` (see ``tuning_wanted``); later calls
    return the same answer without touching anything.
    """
    global _decision
    if _decision is None:
        _decision = tuning_wanted(os.environ) and _apply()
    return _decision
