"""The Playground's data sets: the original's random stream, generators, noise, shuffle and split."""

import math

import numpy as np
import pytest

from layerwise.playground import data

# ------------------------------------------------------------------ seedrandom


def test_seedrandom_matches_the_librarys_published_values():
    # seedrandom's documentation: Math.seedrandom('hello.') then Math.random() twice.
    rng = data.SeedRandom("hello.")
    assert rng.random() == 0.9282578795792454
    assert rng.random() == 0.3752569768646784


def test_seedrandom_is_deterministic_and_seed_dependent():
    first = data.SeedRandom("0.14370")
    second = data.SeedRandom("0.14370")
    other = data.SeedRandom("0.14371")
    draws = [first.random() for _ in range(50)]
    assert draws == [second.random() for _ in range(50)]
    assert draws != [other.random() for _ in range(50)]
    assert all(0 <= v < 1 for v in draws)


def test_seedrandom_doubles_cover_the_unit_interval():
    rng = data.SeedRandom("bits")
    values = np.array([rng.random() for _ in range(4000)])
    assert values.min() >= 0 and values.max() < 1
    assert abs(values.mean() - 0.5) < 0.02
    assert len(np.unique(values)) == len(values)


def test_seedrandom_refuses_a_non_string_seed():
    with pytest.raises(TypeError, match=r"SeedRandom: seed must be a string such as '0.14370', got 0.5."):
        data.SeedRandom(0.5)


def test_new_seed_has_the_originals_form():
    seed = data.SeedRandom("x").new_seed()
    assert len(seed) == 7 and seed.startswith("0.") and seed[2:].isdigit()
    # toFixed(5) of the next random number of the stream.
    expected = data.SeedRandom("x").random()
    assert abs(float(seed) - expected) <= 0.000005


def test_uniform_and_normal_follow_the_originals_formulas():
    rng, reference = data.SeedRandom("f"), data.SeedRandom("f")
    assert rng.uniform(-5, 5) == reference.random() * 10 - 5
    # Marsaglia polar method: two uniforms in [-1, 1) until inside the unit disc.
    value = rng.normal(2, 4)
    while True:
        v1, v2 = 2 * reference.random() - 1, 2 * reference.random() - 1
        s = v1 * v1 + v2 * v2
        if s <= 1:
            break
    assert value == 2 + 2 * math.sqrt(-2 * math.log(s) / s) * v1


def test_shuffle_is_fisher_yates_on_the_stream():
    items = list(range(10))
    data.SeedRandom("s").shuffle(items)
    reference = data.SeedRandom("s")
    expected = list(range(10))
    for counter in range(10, 0, -1):
        index = math.floor(reference.random() * counter)
        expected[counter - 1], expected[index] = expected[index], expected[counter - 1]
    assert items == expected
    assert sorted(items) == list(range(10))


# ------------------------------------------------------------------ generators


def test_circle_draws_radius_angle_then_noise_per_point():
    rng, reference = data.SeedRandom("c"), data.SeedRandom("c")
    points = data.classify_circle(rng, 4, 0.0)
    r = reference.random() * 2.5
    angle = reference.random() * 2 * math.pi
    reference.random(), reference.random()  # the noise draws, multiplied by 0
    assert points[0] == (r * math.sin(angle), r * math.cos(angle), 1)
    assert len(points) == 4 and [p[2] for p in points] == [1, 1, -1, -1]


def test_xor_pads_points_away_from_the_axes():
    rng, reference = data.SeedRandom("x"), data.SeedRandom("x")
    x, y, label = data.classify_xor(rng, 1, 0.0)[0]
    rx = reference.random() * 10 - 5
    ry = reference.random() * 10 - 5
    assert x == rx + (0.3 if rx > 0 else -0.3)
    assert y == ry + (0.3 if ry > 0 else -0.3)
    assert label == (1 if x * y >= 0 else -1)


def test_spiral_points_follow_the_two_arms():
    points = data.classify_spiral(data.SeedRandom("sp"), 500, 0.0)
    assert len(points) == 500
    first, second = points[:250], points[250:]
    for i in (0, 10, 100, 249):
        r = i / 250 * 5
        t = 1.75 * i / 250 * 2 * math.pi
        assert first[i][:2] == pytest.approx((r * math.sin(t), r * math.cos(t)), abs=1e-12)
        assert second[i][:2] == pytest.approx((r * math.sin(t + math.pi), r * math.cos(t + math.pi)), abs=1e-12)
    assert {p[2] for p in first} == {1} and {p[2] for p in second} == {-1}


@pytest.mark.parametrize("name, count, train", [
    ("circle", 500, 250), ("xor", 500, 250), ("gauss", 500, 250), ("spiral", 500, 250),
    ("reg-plane", 1200, 600), ("reg-gauss", 1200, 600),
])
def test_make_dataset_shapes_and_label_ranges(name, count, train):
    split = data.make_dataset(name, noise=0, percent_train=50, seed="0.14370")
    assert split.train_points.shape == (train, 2) and split.test_points.shape == (count - train, 2)
    assert split.train_labels.shape == (train,) and split.test_labels.shape == (count - train,)
    labels = np.concatenate([split.train_labels, split.test_labels])
    if split.problem == "classification":
        assert set(np.unique(labels)) == {-1.0, 1.0}
    elif name == "reg-plane":
        # (x + y) / 10 over [-6, 6]²: the original's scale is not clamped.
        assert labels.min() >= -1.2 and labels.max() <= 1.2 and np.abs(labels).max() > 1
    else:
        assert labels.min() >= -1 and labels.max() <= 1
    points = np.concatenate([split.train_points, split.test_points])
    assert np.abs(points).max() <= (6 if name != "gauss" else 10)


@pytest.mark.parametrize("percent, train", [(10, 50), (30, 150), (90, 450)])
def test_split_takes_the_floor_of_the_ratio(percent, train):
    split = data.make_dataset("xor", noise=0, percent_train=percent, seed="1")
    assert len(split.train_labels) == train and len(split.test_labels) == 500 - train


def test_make_dataset_is_generate_then_shuffle_then_split():
    rng = data.SeedRandom("0.5")
    points = data.generate("spiral", 500, 20, rng)
    rng.shuffle(points)
    split = data.make_dataset("spiral", noise=20, percent_train=70, seed="0.5")
    assert np.array_equal(split.train_points, np.array([p[:2] for p in points[:350]]))
    assert np.array_equal(split.test_labels, np.array([p[2] for p in points[350:]], dtype=float))


def test_same_seed_same_points_and_another_seed_other_points():
    a = data.make_dataset("circle", seed="0.1")
    b = data.make_dataset("circle", seed="0.1")
    c = data.make_dataset("circle", seed="0.2")
    assert np.array_equal(a.train_points, b.train_points) and np.array_equal(a.test_labels, b.test_labels)
    assert not np.array_equal(a.train_points, c.train_points)


# ------------------------------------------------------------------ noise semantics


def test_circle_without_noise_labels_by_radius():
    split = data.make_dataset("circle", noise=0, seed="0.3")
    radius = np.hypot(split.train_points[:, 0], split.train_points[:, 1])
    assert np.all((radius < 2.5) == (split.train_labels == 1))
    assert radius.max() <= 5 and np.all((radius <= 2.5) | (radius >= 3.5))


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_classification_noise_flips_labels_without_moving_points(name):
    # The original draws the noise offsets whatever the noise, so the same seed gives the same
    # points; noise moves the place the label is read at, not the point.
    quiet = data.make_dataset(name, noise=0, seed="0.7")
    noisy = data.make_dataset(name, noise=50, seed="0.7")
    assert np.array_equal(quiet.train_points, noisy.train_points)
    flipped = np.mean(quiet.train_labels != noisy.train_labels)
    assert 0.05 < flipped < 0.5


def test_xor_without_noise_labels_by_quadrant():
    split = data.make_dataset("xor", noise=0, seed="0.9")
    x, y = split.train_points[:, 0], split.train_points[:, 1]
    assert np.all(np.where(x * y >= 0, 1, -1) == split.train_labels)
    assert np.abs(x).min() >= 0.3 and np.abs(x).max() <= 5.3


def test_gauss_noise_widens_the_blobs():
    quiet = data.make_dataset("gauss", noise=0, seed="0.4")
    noisy = data.make_dataset("gauss", noise=50, seed="0.4")
    def spread(split):
        blue = split.train_points[split.train_labels == 1]
        return blue.std(axis=0).mean()
    # variance 0.5 at noise 0 and 4 at noise 50: standard deviations sqrt(0.5) and 2.
    assert spread(quiet) == pytest.approx(math.sqrt(0.5), rel=0.2)
    assert spread(noisy) == pytest.approx(2.0, rel=0.2)
    assert np.all(quiet.train_points[quiet.train_labels == 1].mean(axis=0) > 1.5)


def test_spiral_noise_jitters_points_by_at_most_the_noise():
    quiet = data.generate("spiral", 500, 0, data.SeedRandom("j"))
    noisy = data.generate("spiral", 500, 50, data.SeedRandom("j"))
    offsets = np.abs(np.array([p[:2] for p in noisy]) - np.array([p[:2] for p in quiet]))
    assert offsets.max() <= 0.5 and offsets.max() > 0.4


def test_plane_label_is_x_plus_y_over_ten():
    split = data.make_dataset("reg-plane", noise=0, seed="0.2")
    expected = (split.train_points[:, 0] + split.train_points[:, 1]) / 10
    assert np.allclose(split.train_labels, expected, atol=1e-12)
    noisy = data.make_dataset("reg-plane", noise=30, seed="0.2")
    assert np.array_equal(split.train_points, noisy.train_points)
    difference = np.abs(noisy.train_labels - split.train_labels)
    # noise shifts x and y by up to 6 * 0.3 each: the label by up to 0.36
    assert difference.max() <= 0.36 + 1e-12 and difference.mean() > 0.05


def test_multi_gaussian_label_is_the_strongest_bump():
    split = data.make_dataset("reg-gauss", noise=0, seed="0.6")
    centres = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    for (x, y), label in zip(split.train_points[:50], split.train_labels[:50]):
        best = 0.0
        for cx, cy, sign in centres:
            value = sign * min(1.0, max(0.0, 1 - math.hypot(x - cx, y - cy) / 2))
            if abs(value) > abs(best):
                best = value
        assert label == pytest.approx(best, abs=1e-12)


# ------------------------------------------------------------------ features and errors


def test_features_in_the_requested_order_as_float32():
    points = np.array([[1.0, 2.0], [-3.0, 0.5]])
    columns = data.features(points, ["ySquared", "x", "xTimesY", "sinX", "sinY", "xSquared", "y"])
    assert columns.dtype == np.float32
    expected = np.array([[4, 1, 2, math.sin(1), math.sin(2), 1, 2],
                         [0.25, -3, -1.5, math.sin(-3), math.sin(0.5), 9, 0.5]], dtype=np.float32)
    assert np.allclose(columns, expected)


def test_features_errors():
    with pytest.raises(ValueError, match=r"features: unknown feature\(s\) \['cosX'\]; choose from "
                                         r"\['x', 'y', 'xSquared', 'ySquared', 'xTimesY', 'sinX', 'sinY'\]."):
        data.features(np.zeros((1, 2)), ["cosX"])
    with pytest.raises(ValueError, match=r"features: points must have shape \(n, 2\), got \(3,\)."):
        data.features(np.zeros(3), ["x"])
    with pytest.raises(ValueError, match=r"features: at least one feature is needed, e.g. \['x', 'y'\]."):
        data.features(np.zeros((1, 2)), [])


def test_make_dataset_errors():
    with pytest.raises(ValueError, match=r"Unknown Playground data set 'moons'; choose one of \['circle', 'xor', "
                                         r"'gauss', 'spiral', 'reg-plane', 'reg-gauss'\]."):
        data.make_dataset("moons")
    with pytest.raises(ValueError, match=r"make_dataset: noise must be between 0 and 50, got 60."):
        data.make_dataset("circle", noise=60)
    with pytest.raises(ValueError, match=r"make_dataset: percent_train must be between 10 and 90, got 95."):
        data.make_dataset("circle", percent_train=95)
