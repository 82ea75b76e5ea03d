"""Make the shared helper modules of the saving tests importable (pytest runs with importlib mode)."""

import importlib.util
import sys
from pathlib import Path


def load_helper(name):
    """Import ``tests/saving/<name>.py`` once, under ``name``."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


load_helper("saving_helpers")
load_helper("saving_layer_cases")
