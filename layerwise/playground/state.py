"""The Playground's settings and their URL form.

The original page keeps its whole set-up in the URL's fragment
(``#activation=tanh&batchSize=10&dataset=circle&...``) so that a link
reproduces it; lessons hand out such links. This module reads and writes
that fragment with the original's keys and value spellings, and checks every
value against the range the page offers. A key it does not know, or a value
out of range, falls back to the default for that key and adds a notice that
the page shows, instead of failing.

Example:

>>> state, notices = parse_hash("dataset=xor&networkShape=&learningRate=99&colour=red")
>>> state["dataset"], state["networkShape"], state["learningRate"]
('xor', [], 0.03)
>>> notices
['learningRate=99 is out of range (0.00001 to 10); using 0.03.', "Unknown setting 'colour' ignored."]
>>> serialize(state).startswith("activation=tanh&regularization=none&batchSize=10&dataset=xor")
True
"""

import math
import random
import re
import urllib.parse

import numpy as np

from layerwise.playground import data

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
PROBLEMS = ("classification", "regression")
#: The learning rates and regularization rates the page's menus offer (the original's lists).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 8
#: Input features in the page's order (keys of the original's URL).
FEATURE_KEYS = tuple(data.FEATURES)
#: Controls that a classroom link can hide with ``<name>_hide=true`` (the original's list).
HIDABLE_CONTROLS = (
    ("showTestData", "Show test data"), ("discretize", "Discretize output"), ("playButton", "Play button"),
    ("stepButton", "Step button"), ("resetButton", "Reset button"), ("learningRate", "Learning rate"),
    ("activation", "Activation"), ("regularization", "Regularization"),
    ("regularizationRate", "Regularization rate"), ("problem", "Problem type"), ("dataset", "Which dataset"),
    ("percTrainData", "Ratio train data"), ("noise", "Noise level"), ("batchSize", "Batch size"),
    ("numHiddenLayers", "# of hidden layers"),
)
HIDE_SUFFIX = "_hide"
_SEED_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,40}$")

# (key, kind, default, allowed): the original's properties, in the order it writes them.
PROPERTIES = (
    ("activation", "choice", "tanh", ACTIVATIONS),
    ("regularization", "choice", "none", REGULARIZATIONS),
    ("batchSize", "integer", 10, (1, 30)),
    ("dataset", "choice", "circle", tuple(data.CLASSIFICATION_DATASETS)),
    ("regDataset", "choice", "reg-plane", tuple(data.REGRESSION_DATASETS)),
    ("learningRate", "number", 0.03, (0.00001, 10)),
    ("regularizationRate", "number", 0, (0, 10)),
    ("noise", "number", 0, (0, 50)),
    ("networkShape", "shape", (4, 2), None),
    ("seed", "seed", None, None),
    ("showTestData", "boolean", False, None),
    ("discretize", "boolean", False, None),
    ("percTrainData", "number", 50, (10, 90)),
    ("x", "boolean", True, None),
    ("y", "boolean", True, None),
    ("xTimesY", "boolean", False, None),
    ("xSquared", "boolean", False, None),
    ("ySquared", "boolean", False, None),
    ("cosX", "boolean", False, None),
    ("sinX", "boolean", False, None),
    ("cosY", "boolean", False, None),
    ("sinY", "boolean", False, None),
    ("collectStats", "boolean", False, None),
    ("tutorial", "text", None, None),
    ("problem", "choice", "classification", PROBLEMS),
    ("initZero", "boolean", False, None),
    ("hideText", "boolean", False, None),
)
_BY_KEY = {prop[0]: prop for prop in PROPERTIES}
# Hide flags for controls and for input features (the original drops a hidden feature from the page).
HIDABLE = tuple(name for name, _ in HIDABLE_CONTROLS) + FEATURE_KEYS


def format_number(value):
    """A number as JavaScript prints it in the original's URL (``0.00001``, ``0.03``, ``10``)."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return np.format_float_positional(value, trim="-")


def random_seed():
    """A fresh seed in the original's form, ``Math.random().toFixed(5)``."""
    return f"{random.random():.5f}"


def defaults():
    """The original's default set-up (a circle, two hidden layers of 4 and 2 tanh neurons, ...)."""
    state = {}
    for key, kind, default, _ in PROPERTIES:
        state[key] = list(default) if kind == "shape" else default
    state["seed"] = random_seed()
    return state


def _describe_range(low, high):
    return f"{format_number(low)} to {format_number(high)}"


def _default_text(key, default):
    if isinstance(default, (list, tuple)):
        return ",".join(str(v) for v in default) or "(no hidden layers)"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, (int, float)):
        return format_number(default)
    return str(default)


class SettingError(ValueError):
    """A value that does not fit a setting; the message says what is allowed."""


def parse_value(key, text):
    """The value of setting ``key`` written as ``text`` in a URL; :class:`SettingError` if it does not fit.

    Example:

    >>> parse_value("networkShape", "8,8")
    [8, 8]
    >>> parse_value("batchSize", "50")
    Traceback (most recent call last):
    ...
    layerwise.playground.state.SettingError: batchSize=50 is out of range (1 to 30)
    """
    if key.endswith(HIDE_SUFFIX):
        if key[: -len(HIDE_SUFFIX)] not in HIDABLE:
            raise SettingError(f"Unknown setting '{key}'")
        return _parse_boolean(key, text)
    if key not in _BY_KEY:
        raise SettingError(f"Unknown setting '{key}'")
    _, kind, _, allowed = _BY_KEY[key]
    text = "" if text is None else str(text).strip()
    if kind == "choice":
        if text not in allowed:
            raise SettingError(f"{key}={text} is not one of {', '.join(allowed)}")
        return text
    if kind == "boolean":
        return _parse_boolean(key, text)
    if kind in ("number", "integer"):
        try:
            value = float(text)
        except ValueError:
            raise SettingError(f"{key}={text} is not a number") from None
        low, high = allowed
        if not math.isfinite(value) or not low <= value <= high:
            raise SettingError(f"{key}={text} is out of range ({_describe_range(low, high)})")
        if kind == "integer":
            if not value.is_integer():
                raise SettingError(f"{key}={text} is not a whole number")
            return int(value)
        return int(value) if value.is_integer() else value
    if kind == "shape":
        parts = [] if text == "" else text.split(",")
        if len(parts) > MAX_HIDDEN_LAYERS:
            raise SettingError(f"{key}={text} has {len(parts)} hidden layers; the most is {MAX_HIDDEN_LAYERS}")
        shape = []
        for part in parts:
            if not part.strip().isdigit() or not 1 <= int(part) <= MAX_NEURONS:
                raise SettingError(f"{key}={text}: each layer needs 1 to {MAX_NEURONS} neurons")
            shape.append(int(part))
        return shape
    if kind == "seed":
        if not _SEED_PATTERN.match(text):
            raise SettingError(f"{key}={text} is not a seed (letters, digits, '.', '_' or '-', at most 40)")
        return text
    # "text": the tutorial key; the layerwise Playground has no tutorial pages.
    return text or None


def _parse_boolean(key, text):
    text = "" if text is None else str(text).strip()
    if text in ("true", "false"):
        return text == "true"
    raise SettingError(f"{key}={text} is not true or false")


def parse_hash(fragment):
    """Read a URL fragment into ``(state, notices)``.

    Every known key with a valid value is taken; anything else falls back to
    the default and adds a notice. Keys missing from the fragment take their
    defaults silently (a missing ``seed`` gets a fresh random seed, as in the
    original). At least one input feature stays on.
    """
    state = defaults()
    notices = []
    fragment = (fragment or "").lstrip("#")
    entries = {}
    for item in fragment.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        entries[urllib.parse.unquote(name)] = urllib.parse.unquote(value)
    for name, text in entries.items():
        if len(name) > 64:
            notices.append("A setting with an over-long name was ignored.")
            continue
        try:
            value = parse_value(name, text)
        except SettingError as error:
            if str(error).startswith("Unknown setting"):
                notices.append(f"{error} ignored.")
            else:
                default = _BY_KEY[name][2] if name in _BY_KEY else False
                shown = "a new random seed" if name == "seed" else _default_text(name, default)
                notices.append(f"{error}; using {shown}.")
            continue
        if name == "tutorial" and value:
            notices.append(f"tutorial={value}: the layerwise Playground has no tutorial pages; ignored.")
            value = None
        state[name] = value
    if not active_feature_keys(state):
        # A network needs an input; the original would build one without any.
        notices.append("No input feature was selected; using X1 and X2.")
        for key in ("x", "y"):
            state[key] = True
            state.pop(key + HIDE_SUFFIX, None)
    return state, notices


def serialize(state):
    """The URL fragment (without ``#``) for ``state``: the original's keys, in its order."""
    parts = []
    for key, kind, _, _ in PROPERTIES:
        value = state.get(key)
        if value is None:
            continue
        if kind == "shape":
            text = ",".join(str(v) for v in value)
        elif kind == "boolean":
            text = "true" if value else "false"
        elif kind in ("number", "integer"):
            text = format_number(value)
        else:
            text = str(value)
        parts.append(f"{key}={text}")
    for key in sorted(k for k in state if k.endswith(HIDE_SUFFIX)):
        parts.append(f"{key}={'true' if state[key] else 'false'}")
    return "&".join(parts)


def visible_feature_keys(state):
    """The features the page shows (those not hidden by ``<feature>_hide=true``)."""
    return [key for key in FEATURE_KEYS if not state.get(key + HIDE_SUFFIX, False)]


def active_feature_keys(state, include_hidden=False):
    """The features fed to the network, in the page's order."""
    keys = FEATURE_KEYS if include_hidden else visible_feature_keys(state)
    return [key for key in keys if state.get(key)]


def current_dataset(state):
    """The data set in use: ``dataset`` for classification, ``regDataset`` for regression."""
    return state["regDataset"] if state["problem"] == "regression" else state["dataset"]
