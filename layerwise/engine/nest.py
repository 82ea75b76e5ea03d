"""Walking the nested inputs Keras accepts: a tensor, or lists, tuples and dicts of them."""


def flatten(structure):
    """The leaves of ``structure`` in order (dicts in insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with every leaf replaced by ``fn(leaf)``; lists, tuples and dicts kept."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


def pack_like(structure, flat):
    """Rebuild ``structure`` with the leaves taken in order from ``flat``."""
    leaves = iter(flat)
    return map_structure(lambda _: next(leaves), structure)
