"""layerwise.tuning.find_learning_rate: the learning-rate range test."""

import math

import matplotlib
import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.tuning import LearningRateFinderResult, find_learning_rate
from layerwise.tuning.lr_finder import _smooth, _steepest_index, _valley_index

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Dense = keras.layers.Dense


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def mnist_like(samples=4096, seed=0):
    """MNIST-shaped data with learnable structure: noisy, sparse 784-pixel prototypes of 10 classes in [0, 1]."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 1, size=(10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)
    labels = rng.integers(0, 10, size=samples)
    images = np.clip(prototypes[labels] + rng.normal(scale=0.3, size=(samples, 784)), 0, 1)
    return images.astype("float32"), labels.astype("int64")


def mnist_mlp(optimizer="adam"):
    model = keras.Sequential([keras.Input((784,)), Dense(50, activation="relu"), Dense(50, activation="relu"),
                              Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def optimizer_state(optimizer):
    return [v.numpy().copy() for v in optimizer.variables]


def test_mnist_shaped_mlp_with_adam_gets_a_rate_within_10x_of_1e_3():
    x, y = mnist_like()
    model = mnist_mlp()
    result = find_learning_rate(model, x, y, verbose=0)
    assert result.method == "valley"
    assert 1e-4 <= result.suggestion <= 1e-2
    assert result.suggestion == result.learning_rates[result.suggestion_index]


def test_model_weights_optimizer_state_and_later_training_are_unchanged():
    x, y = mnist_like(1024)
    model = mnist_mlp()
    model.fit(x, y, epochs=1, verbose=0)  # so that Adam has moments and an iteration count
    weights = [w.copy() for w in model.get_weights()]
    state = optimizer_state(model.optimizer)
    iterations = int(model.optimizer.iterations)
    grads = [p.grad.clone() for p in model.trainable_weights]
    twin = mnist_mlp()
    twin.fit(x[:32], y[:32], epochs=1, verbose=0, shuffle=False)  # build its optimizer ...
    twin.set_weights(weights)  # ... then give it the same weights and optimizer state
    twin.optimizer.set_weights(state)

    result = find_learning_rate(model, x, y, steps=60, verbose=0)
    assert len(result.losses) > 10

    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert int(model.optimizer.iterations) == iterations == 32
    for before, after in zip(state, optimizer_state(model.optimizer)):
        np.testing.assert_array_equal(before, after)
    for before, param in zip(grads, model.trainable_weights):
        torch.testing.assert_close(param.grad, before, rtol=0, atol=0)
    # Training afterwards goes exactly as without the test (same weights, optimizer and shuffling).
    keras.utils.set_random_seed(5)
    model.fit(x, y, epochs=1, verbose=0)
    keras.utils.set_random_seed(5)
    twin.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_random_state_is_restored():
    x, y = mnist_like(512)
    model = mnist_mlp()
    keras.utils.set_random_seed(3)
    expected = torch.rand(4)
    keras.utils.set_random_seed(3)
    find_learning_rate(model, x, y, steps=20, verbose=0)
    torch.testing.assert_close(torch.rand(4), expected, rtol=0, atol=0)


def test_batch_normalization_statistics_are_restored():
    x, y = mnist_like(512)
    model = keras.Sequential([keras.Input((784,)), Dense(32), keras.layers.BatchNormalization(),
                              keras.layers.Activation("relu"), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    find_learning_rate(model, x, y, steps=30, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_curve_grows_exponentially_and_stops_when_the_loss_diverges():
    x, y = mnist_like(1024)
    result = find_learning_rate(mnist_mlp(), x, y, start=1e-5, end=100.0, steps=80, verbose=0)
    rates = result.learning_rates
    assert rates[0] == pytest.approx(1e-5)
    np.testing.assert_allclose(rates[1:] / rates[:-1], (100.0 / 1e-5) ** (1 / 79), rtol=1e-9)
    assert result.diverged and len(rates) < 80
    assert len(result.losses) == len(rates) == len(result.smoothed_losses)
    smoothed = result.smoothed_losses
    last = smoothed[-1]
    assert (not math.isfinite(result.losses[-1])) or last > 4 * smoothed[:-1].min()
    assert all(s <= 4 * smoothed[:i + 1].min() for i, s in enumerate(smoothed[:-1]))


def test_runs_all_steps_when_the_loss_does_not_diverge():
    x, y = mnist_like(1024)
    result = find_learning_rate(mnist_mlp(), x, y, start=1e-6, end=1e-3, steps=25, verbose=0)
    assert not result.diverged
    assert len(result.losses) == 25
    assert result.learning_rates[-1] == pytest.approx(1e-3)


def test_smoothing_and_the_suggestion_rules():
    losses = [2.0, 1.0, 3.0]
    # beta = 0.5: averages 1.0, 1.0, 2.0 corrected by 0.5, 0.75, 0.875.
    assert _smooth(losses, 0.5) == pytest.approx([2.0, 1.0 / 0.75 * 1.0, 2.0 / 0.875])
    curve = [2.0] * 5 + [1.9 - 0.1 * i for i in range(10)] + [1.5, 3.0, 5.0]
    # The longest strictly falling stretch runs from index 4 (the last 2.0) to 14 (1.0): halfway is 9.
    assert _valley_index(curve) == 9
    rates = 10.0 ** np.arange(len(curve))
    slopes = np.gradient(np.array(curve), np.log10(rates))
    assert _steepest_index(rates, curve) == int(np.argmin(slopes))
    result = LearningRateFinderResult(rates, curve, 0.0, "valley", diverged=False)
    assert result.suggestion == rates[9]
    assert result.suggest("minimum") == rates[int(np.argmin(curve))] / 10
    assert result.suggest("steepest") == rates[int(np.argmin(slopes))]


def test_methods_can_be_chosen():
    x, y = mnist_like(1024)
    result = find_learning_rate(mnist_mlp(), x, y, start=1e-5, steps=40, method="minimum", verbose=0)
    assert result.method == "minimum"
    usable = result.smoothed_losses[: len(result.smoothed_losses) - (1 if result.diverged else 0)]
    assert result.suggestion == pytest.approx(result.learning_rates[int(np.argmin(usable))] / 10)


def test_model_method_delegates(capsys):
    x, y = mnist_like(512)
    model = mnist_mlp()
    keras.utils.set_random_seed(1)
    by_method = model.find_learning_rate(x, y, steps=30)
    out = capsys.readouterr().out
    keras.utils.set_random_seed(1)
    by_function = find_learning_rate(model, x, y, steps=30, verbose=0)
    np.testing.assert_array_equal(by_method.losses, by_function.losses)
    assert out.startswith("Learning-rate range test: ")
    assert f"suggested learning rate {by_method.suggestion:.3g} (valley)." in out


def test_uncompiled_model_with_optimizer_and_loss_and_a_data_loader():
    x, y = mnist_like(512)
    model = keras.Sequential([keras.Input((784,)), Dense(32, activation="relu"), Dense(10)])
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    result = find_learning_rate(model, loader, optimizer="sgd", loss=loss, steps=20, end=1.0, verbose=0)
    assert len(result.losses) == 20  # the loader (8 batches) is cycled through
    assert not model.compiled


def test_the_optimizer_given_is_not_touched():
    x, y = mnist_like(512)
    model = mnist_mlp()
    mine = keras.optimizers.Adam(learning_rate=0.01)
    find_learning_rate(model, x, y, optimizer=mine, steps=10, verbose=0)
    assert not mine.built and float(mine.learning_rate) == pytest.approx(0.01)


def test_plot_has_a_log_axis_and_marks_the_suggestion(tmp_path):
    x, y = mnist_like(1024)
    result = find_learning_rate(mnist_mlp(), x, y, steps=60, verbose=0)
    path = tmp_path / "lr_finder.png"
    figure = result.plot(to_file=str(path))
    assert path.stat().st_size > 0
    axis = figure.axes[0]
    assert axis.get_xscale() == "log"
    assert axis.get_title() == "Learning-rate range test"
    assert axis.get_xlabel() == "learning rate (log scale)" and axis.get_ylabel() == "loss"
    lines = {line.get_label(): line for line in axis.get_lines()}
    np.testing.assert_array_equal(lines["loss"].get_xdata(), result.learning_rates)
    np.testing.assert_array_equal(lines["loss"].get_ydata(), result.losses)
    np.testing.assert_array_equal(lines["smoothed loss"].get_ydata(), result.smoothed_losses)
    marker = lines[f"suggested: {result.suggestion:.2e} (valley)"]
    assert list(marker.get_xdata()) == [result.suggestion]
    assert list(marker.get_ydata()) == [result.smoothed_losses[result.suggestion_index]]
    assert [t.get_text() for t in axis.get_legend().get_texts()] == [
        "loss", "smoothed loss", f"suggested: {result.suggestion:.2e} (valley)"]


@pytest.mark.parametrize("kwargs, message", [
    ({"start": 0}, "find_learning_rate: `start` must be a finite number > 0; got start=0."),
    ({"end": float("inf")}, "find_learning_rate: `end` must be a finite number > 0; got end=inf."),
    ({"start": 1.0, "end": 0.1}, "find_learning_rate: `end` must be larger than `start`; got start=1.0, end=0.1."),
    ({"steps": 1}, "find_learning_rate: `steps` must be an integer >= 2; got steps=1."),
    ({"batch_size": 0}, "find_learning_rate: `batch_size` must be an integer >= 1; got batch_size=0."),
    ({"method": "best"},
     "find_learning_rate: `method` must be one of 'valley', 'steepest', 'minimum'; got method='best'."),
    ({"smoothing": 1.0}, "find_learning_rate: `smoothing` must be a number in [0, 1); got smoothing=1.0."),
    ({"divergence_factor": 1.0},
     "find_learning_rate: `divergence_factor` must be a number > 1; got divergence_factor=1.0."),
])
def test_bad_arguments_are_refused_with_the_argument_named(kwargs, message):
    x, y = mnist_like(64)
    with pytest.raises(ValueError) as error:
        find_learning_rate(mnist_mlp(), x, y, verbose=0, **kwargs)
    assert str(error.value) == message


def test_uncompiled_model_without_optimizer_is_refused():
    x, y = mnist_like(64)
    model = keras.Sequential([keras.Input((784,)), Dense(10)])
    with pytest.raises(ValueError) as error:
        find_learning_rate(model, x, y, verbose=0)
    assert str(error.value) == (
        "find_learning_rate needs the optimizer to test: compile the model first "
        "(model.compile(optimizer='adam', loss=...)) or pass optimizer= and loss=.")
    with pytest.raises(ValueError) as error:
        find_learning_rate(model, x, y, optimizer="adam", verbose=0)
    assert str(error.value) == (
        "find_learning_rate needs a loss: compile the model first (model.compile(optimizer='adam', "
        "loss=...)) or pass loss=.")


def test_labels_outside_the_classes_are_refused_before_any_step():
    x, y = mnist_like(64)
    y[3] = 12
    model = mnist_mlp()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="12"):
        find_learning_rate(model, x, y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
