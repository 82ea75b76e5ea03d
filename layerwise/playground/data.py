"""The Playground's data sets, generated exactly as the TensorFlow Playground generates them.

The original page seeds JavaScript's ``Math.random`` with the ``seedrandom``
library (RC4-based) from the ``seed`` in its URL, draws the points of the
chosen data set, shuffles them and splits them into training and test
points. This module reimplements that random number generator and every
generator's arithmetic, so that the same seed and settings give the same
points (to the last bit of ``sin``/``cos``/``log``) as the original — the
link from a lesson (``...&dataset=spiral&seed=0.14370&noise=0...``) shows
the same data here.

Data sets (keys as in the original's URL):

- classification: ``circle``, ``xor``, ``gauss`` (two Gaussians), ``spiral``;
  labels are +1 (blue) and -1 (orange);
- regression: ``reg-plane`` and ``reg-gauss`` (multi-Gaussian); labels lie
  in [-1, 1].

Classification draws 500 points, regression 1200. ``noise`` is the page's
0-50 slider value; generators receive ``noise / 100`` as the original does.

Example:

>>> from layerwise.playground import data
>>> split = data.make_dataset("circle", noise=0, percent_train=50, seed="0.14370")
>>> split.train_points.shape, split.test_labels.shape
((250, 2), (250,))
>>> x_train = data.features(split.train_points, ["x", "y", "xSquared"])
>>> x_train.shape
(250, 3)
"""

import decimal
import math

import numpy as np

NUM_SAMPLES_CLASSIFY = 500
NUM_SAMPLES_REGRESS = 1200

# ---------------------------------------------------------------------------------------------
# seedrandom: the RC4-based generator the original installs as Math.random
# ---------------------------------------------------------------------------------------------

_WIDTH = 256  # each RC4 output is a byte
_MASK = _WIDTH - 1
_CHUNKS = 6  # a double starts from six RC4 outputs (48 bits)
_START_DENOM = _WIDTH ** _CHUNKS
_SIGNIFICANCE = 2 ** 52
_OVERFLOW = 2 ** 53


def _mix_key(seed, key):
    """Fold the seed string into the key bytes, as seedrandom's ``mixkey`` does.

    ``smear`` starts as JavaScript's ``undefined`` and a key slot not yet set
    multiplies to ``NaN``; both become 0 under ``^``, which is what the
    ``None`` cases below reproduce.
    """
    smear = 0
    for j, char in enumerate(seed):
        slot = j & _MASK
        previous = key[slot] if slot < len(key) else None
        smear ^= previous * 19 if previous is not None else 0
        value = _MASK & (smear + ord(char))
        if slot < len(key):
            key[slot] = value
        else:
            key.append(value)
    return key


class SeedRandom:
    """JavaScript's ``Math.seedrandom(seed)`` followed by ``Math.random()`` calls.

    The seed is a string (the original's URL stores it as text, e.g.
    ``"0.14370"``). ``random()`` returns the same sequence of doubles in
    [0, 1) as the seedrandom library does for that seed.

    Example:

    >>> rng = SeedRandom("hello.")
    >>> rng.random()
    0.9282578795792454
    """

    def __init__(self, seed):
        if not isinstance(seed, str):
            raise TypeError(f"SeedRandom: seed must be a string such as '0.14370', got {seed!r}.")
        key = _mix_key(seed, [])
        if not key:
            key = [0]  # the empty key is treated as [0]
        state = list(range(_WIDTH))
        j = 0
        for i in range(_WIDTH):
            t = state[i]
            j = _MASK & (j + key[i % len(key)] + t)
            state[i] = state[j]
            state[j] = t
        self._state = state
        self._i = 0
        self._j = 0
        self._bytes(_WIDTH)  # RC4-drop[256]: the first 256 outputs are discarded

    def _bytes(self, count):
        """The next ``count`` RC4 outputs concatenated into one integer (the library's ``g``)."""
        state, i, j = self._state, self._i, self._j
        result = 0
        for _ in range(count):
            i = _MASK & (i + 1)
            t = state[i]
            j = _MASK & (j + t)
            state[i] = state[j]
            state[j] = t
            result = result * _WIDTH + state[_MASK & (state[i] + t)]
        self._i, self._j = i, j
        return result

    def random(self):
        """A double in [0, 1) with 52 random bits, built exactly as seedrandom builds it."""
        numerator = self._bytes(_CHUNKS)
        denominator = _START_DENOM
        extra = 0
        while numerator < _SIGNIFICANCE:
            numerator = (numerator + extra) * _WIDTH
            denominator *= _WIDTH
            extra = self._bytes(1)
        while numerator >= _OVERFLOW:
            # The library halves doubles here; these are even integers, so // is exact.
            numerator //= 2
            denominator //= 2
            extra >>= 1
        return (numerator + extra) / denominator

    def uniform(self, a, b):
        """``randUniform(a, b)`` of the original: ``random() * (b - a) + a``."""
        return self.random() * (b - a) + a

    def normal(self, mean=0.0, variance=1.0):
        """``normalRandom(mean, variance)`` of the original: the Marsaglia polar method."""
        while True:
            v1 = 2 * self.random() - 1
            v2 = 2 * self.random() - 1
            s = v1 * v1 + v2 * v2
            if not s > 1:
                break
        result = math.sqrt(-2 * math.log(s) / s) * v1
        return mean + math.sqrt(variance) * result

    def shuffle(self, items):
        """Fisher-Yates shuffle in place, drawing indices as the original's ``shuffle`` does."""
        counter = len(items)
        while counter > 0:
            index = math.floor(self.random() * counter)
            counter -= 1
            items[counter], items[index] = items[index], items[counter]

    def new_seed(self):
        """``Math.random().toFixed(5)``: how the original picks the next seed ("Regenerate")."""
        value = decimal.Decimal(self.random()).quantize(decimal.Decimal("0.00001"),
                                                       rounding=decimal.ROUND_HALF_UP)
        return f"{value:.5f}"


# ---------------------------------------------------------------------------------------------
# d3's linear scale (d3 v3), used by the original to map noise and distances
# ---------------------------------------------------------------------------------------------


def _linear_scale(domain, value_range, clamp=False):
    d0, d1 = float(domain[0]), float(domain[1])
    r0, r1 = float(value_range[0]), float(value_range[1])
    width = (d1 - d0) or 1 / (d1 - d0)

    def scale(x):
        t = (x - d0) / width
        if clamp:
            t = max(0.0, min(1.0, t))
        return r0 * (1 - t) + r1 * t

    return scale


def _dist(ax, ay, bx, by):
    dx = ax - bx
    dy = ay - by
    return math.sqrt(dx * dx + dy * dy)


# ---------------------------------------------------------------------------------------------
# the generators: (rng, num_samples, noise in [0, 0.5]) -> list of (x, y, label)
# ---------------------------------------------------------------------------------------------


def classify_two_gauss(rng, num_samples, noise):
    """Two Gaussian blobs at (2, 2) (label +1) and (-2, -2) (label -1); noise widens them."""
    variance = _linear_scale([0, 0.5], [0.5, 4])(noise)
    points = []
    for cx, cy, label in ((2, 2, 1), (-2, -2, -1)):
        i = 0
        while i < num_samples / 2:
            x = rng.normal(cx, variance)
            y = rng.normal(cy, variance)
            points.append((x, y, label))
            i += 1
    return points


def regress_plane(rng, num_samples, noise):
    """Label ``(x + y) / 10`` on [-6, 6]²; noise shifts the point the label is read at."""
    radius = 6
    label_scale = _linear_scale([-10, 10], [-1, 1])
    points = []
    for _ in range(num_samples):
        x = rng.uniform(-radius, radius)
        y = rng.uniform(-radius, radius)
        noise_x = rng.uniform(-radius, radius) * noise
        noise_y = rng.uniform(-radius, radius) * noise
        points.append((x, y, label_scale(x + noise_x + (y + noise_y))))
    return points


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def regress_gaussian(rng, num_samples, noise):
    """Six bumps of alternating sign; the label is the bump with the largest absolute value."""
    label_scale = _linear_scale([0, 2], [1, 0], clamp=True)

    def get_label(x, y):
        label = 0.0
        for cx, cy, sign in _GAUSSIANS:
            candidate = sign * label_scale(_dist(x, y, cx, cy))
            if abs(candidate) > abs(label):
                label = candidate
        return label

    radius = 6
    points = []
    for _ in range(num_samples):
        x = rng.uniform(-radius, radius)
        y = rng.uniform(-radius, radius)
        noise_x = rng.uniform(-radius, radius) * noise
        noise_y = rng.uniform(-radius, radius) * noise
        points.append((x, y, get_label(x + noise_x, y + noise_y)))
    return points


def classify_spiral(rng, num_samples, noise):
    """Two interleaved spirals (+1 and -1); noise jitters each point by up to ``noise`` per axis."""
    points = []
    n = num_samples / 2
    for delta_t, label in ((0.0, 1), (math.pi, -1)):
        i = 0
        while i < n:
            r = i / n * 5
            t = 1.75 * i / n * 2 * math.pi + delta_t
            x = r * math.sin(t) + rng.uniform(-1, 1) * noise
            y = r * math.cos(t) + rng.uniform(-1, 1) * noise
            points.append((x, y, label))
            i += 1
    return points


def classify_circle(rng, num_samples, noise):
    """A disc of radius 2.5 (+1) inside a ring from 3.5 to 5 (-1).

    Noise does not move the points: the label is read at a shifted position,
    so noisy points near the boundary carry the other class's label.
    """
    radius = 5
    points = []
    for r_low, r_high in ((0, radius * 0.5), (radius * 0.7, radius)):
        i = 0
        while i < num_samples / 2:
            r = rng.uniform(r_low, r_high)
            angle = rng.uniform(0, 2 * math.pi)
            x = r * math.sin(angle)
            y = r * math.cos(angle)
            noise_x = rng.uniform(-radius, radius) * noise
            noise_y = rng.uniform(-radius, radius) * noise
            label = 1 if _dist(x + noise_x, y + noise_y, 0, 0) < radius * 0.5 else -1
            points.append((x, y, label))
            i += 1
    return points


def classify_xor(rng, num_samples, noise):
    """Points in [-5.3, 5.3]² away from the axes, labelled by the sign of ``x * y``.

    As for the circle, noise shifts where the label is read, not the point.
    """
    padding = 0.3
    points = []
    for _ in range(num_samples):
        x = rng.uniform(-5, 5)
        x += padding if x > 0 else -padding
        y = rng.uniform(-5, 5)
        y += padding if y > 0 else -padding
        noise_x = rng.uniform(-5, 5) * noise
        noise_y = rng.uniform(-5, 5) * noise
        label = 1 if (x + noise_x) * (y + noise_y) >= 0 else -1
        points.append((x, y, label))
    return points


CLASSIFICATION_DATASETS = {
    "circle": classify_circle,
    "xor": classify_xor,
    "gauss": classify_two_gauss,
    "spiral": classify_spiral,
}
REGRESSION_DATASETS = {
    "reg-plane": regress_plane,
    "reg-gauss": regress_gaussian,
}
DATASET_TITLES = {
    "circle": "Circle", "xor": "Exclusive or", "gauss": "Gaussian", "spiral": "Spiral",
    "reg-plane": "Plane", "reg-gauss": "Multi gaussian",
}

# ---------------------------------------------------------------------------------------------
# input features
# ---------------------------------------------------------------------------------------------

#: The features the page offers, in the original's order: URL key -> (label, function of x, y).
FEATURES = {
    "x": ("X1", lambda x, y: x),
    "y": ("X2", lambda x, y: y),
    "xSquared": ("X1²", lambda x, y: x * x),
    "ySquared": ("X2²", lambda x, y: y * y),
    "xTimesY": ("X1X2", lambda x, y: x * y),
    "sinX": ("sin(X1)", lambda x, y: np.sin(x)),
    "sinY": ("sin(X2)", lambda x, y: np.sin(y)),
}


def features(points, names):
    """The feature columns ``names`` (keys of :data:`FEATURES`) for ``(n, 2)`` points, as float32.

    Example:

    >>> features(np.array([[1.0, 2.0]]), ["x", "xTimesY"])
    array([[1., 2.]], dtype=float32)
    """
    points = np.asarray(points, dtype="float64")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"features: points must have shape (n, 2), got {points.shape}.")
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise ValueError(f"features: unknown feature(s) {unknown}; choose from {list(FEATURES)}.")
    if not names:
        raise ValueError("features: at least one feature is needed, e.g. ['x', 'y'].")
    x, y = points[:, 0], points[:, 1]
    columns = [FEATURES[name][1](x, y) for name in names]
    return np.stack(columns, axis=1).astype("float32")


# ---------------------------------------------------------------------------------------------
# a whole data set: generate, shuffle, split (the original's generateData)
# ---------------------------------------------------------------------------------------------


class DataSplit:
    """Training and test points of one generated data set.

    Attributes: ``train_points``/``test_points`` (``(n, 2)`` float64 x, y
    coordinates), ``train_labels``/``test_labels`` (``(n,)`` float64),
    ``dataset``, ``problem``, ``noise``, ``percent_train``, ``seed``.
    """

    def __init__(self, dataset, problem, noise, percent_train, seed, train, test):
        self.dataset = dataset
        self.problem = problem
        self.noise = noise
        self.percent_train = percent_train
        self.seed = seed
        self.train_points = np.array([p[:2] for p in train], dtype="float64").reshape(-1, 2)
        self.train_labels = np.array([p[2] for p in train], dtype="float64")
        self.test_points = np.array([p[:2] for p in test], dtype="float64").reshape(-1, 2)
        self.test_labels = np.array([p[2] for p in test], dtype="float64")

    def __repr__(self):
        return (f"DataSplit(dataset={self.dataset!r}, noise={self.noise}, percent_train={self.percent_train}, "
                f"seed={self.seed!r}, train={len(self.train_labels)}, test={len(self.test_labels)})")


def problem_of(dataset):
    """``'classification'`` or ``'regression'`` for a data set key."""
    if dataset in CLASSIFICATION_DATASETS:
        return "classification"
    if dataset in REGRESSION_DATASETS:
        return "regression"
    raise ValueError(
        f"Unknown Playground data set {dataset!r}; choose one of "
        f"{list(CLASSIFICATION_DATASETS) + list(REGRESSION_DATASETS)}."
    )


def generate(dataset, num_samples, noise, rng):
    """Raw points ``[(x, y, label), ...]`` from one generator; ``noise`` is the 0-50 slider value."""
    problem_of(dataset)
    generator = CLASSIFICATION_DATASETS.get(dataset) or REGRESSION_DATASETS[dataset]
    return generator(rng, num_samples, noise / 100)


def make_dataset(dataset="circle", noise=0, percent_train=50, seed="0.50000", rng=None):
    """Generate, shuffle and split a data set as the original page does for ``seed``.

    Args:
        dataset: ``'circle'``, ``'xor'``, ``'gauss'``, ``'spiral'`` (classification,
            500 points) or ``'reg-plane'``, ``'reg-gauss'`` (regression, 1200 points).
        noise: the page's noise, 0 to 50.
        percent_train: the page's "ratio of training to test data", 10 to 90.
        seed: the page's seed string (its URL's ``seed=``).
        rng: a :class:`SeedRandom` to draw from instead of a fresh one seeded
            with ``seed`` (the page keeps drawing from one stream, so that the
            network's initial weights come after the data, as in the original).

    Returns:
        A :class:`DataSplit`.
    """
    problem = problem_of(dataset)
    if not 0 <= noise <= 50:
        raise ValueError(f"make_dataset: noise must be between 0 and 50, got {noise!r}.")
    if not 10 <= percent_train <= 90:
        raise ValueError(f"make_dataset: percent_train must be between 10 and 90, got {percent_train!r}.")
    if rng is None:
        rng = SeedRandom(seed)
    num_samples = NUM_SAMPLES_REGRESS if problem == "regression" else NUM_SAMPLES_CLASSIFY
    points = generate(dataset, num_samples, noise, rng)
    rng.shuffle(points)
    split_index = math.floor(len(points) * percent_train / 100)
    return DataSplit(dataset, problem, noise, percent_train, seed, points[:split_index], points[split_index:])
