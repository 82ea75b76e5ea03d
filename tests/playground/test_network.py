"""The Playground's network: a layerwise Sequential that makes the original's updates.

The reference below is the original page's training code (nn.ts: forwardProp,
backProp and updateWeights, one point at a time, derivatives accumulated over
a batch), written out in float64 numpy. One epoch of layerwise ``fit`` on the
model from ``network.build_model`` must land on the same weights.
"""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.playground import data, network

ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, out: 1 - out * out),
    "relu": (lambda z: np.maximum(0, z), lambda z, out: (z > 0).astype(float)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, out: out * (1 - out)),
    "linear": (lambda z: z, lambda z, out: np.ones_like(z)),
}


def original_epoch(kernels, biases, x, y, activation, output_activation, learning_rate, batch_size,
                   regularization="none", rate=0.0):
    """One epoch of the original Playground (nn.ts), in float64. Returns new kernels and biases."""
    kernels = [k.astype(np.float64).copy() for k in kernels]
    biases = [b.astype(np.float64).copy() for b in biases]
    last = len(kernels) - 1
    acc_w = [np.zeros_like(k) for k in kernels]
    acc_b = [np.zeros_like(b) for b in biases]
    count = 0
    for i, (point, target) in enumerate(zip(x.astype(np.float64), y.astype(np.float64))):
        outputs, totals = [point], []
        for layer, (kernel, bias) in enumerate(zip(kernels, biases)):
            total = outputs[-1] @ kernel + bias
            function = ACTIVATIONS[output_activation if layer == last else activation][0]
            totals.append(total)
            outputs.append(function(total))
        output_der = outputs[-1] - target  # d/d(output) of 0.5 * (output - target)²
        for layer in range(last, -1, -1):
            derivative = ACTIVATIONS[output_activation if layer == last else activation][1]
            input_der = output_der * derivative(totals[layer], outputs[layer + 1])
            acc_b[layer] += input_der
            acc_w[layer] += np.outer(outputs[layer], input_der)
            output_der = kernels[layer] @ input_der
        count += 1
        if (i + 1) % batch_size == 0:
            for layer in range(last + 1):
                biases[layer] -= learning_rate * acc_b[layer] / count
                if regularization == "L1":
                    regular_der = np.sign(kernels[layer])
                elif regularization == "L2":
                    regular_der = kernels[layer].copy()
                else:
                    regular_der = np.zeros_like(kernels[layer])
                kernels[layer] = kernels[layer] - learning_rate / count * acc_w[layer]
                kernels[layer] = kernels[layer] - learning_rate * rate * regular_der
                acc_w[layer][:] = 0
                acc_b[layer][:] = 0
            count = 0
    return kernels, biases


def _weights(model):
    values = model.get_weights()
    return values[0::2], values[1::2]


@pytest.mark.parametrize("activation, problem, hidden, regularization, rate, batch_size", [
    ("tanh", "classification", [4, 2], "none", 0, 10),
    ("relu", "classification", [5], "L2", 0.01, 5),
    ("sigmoid", "regression", [3, 3], "L1", 0.001, 25),
    ("linear", "regression", [], "L2", 0.1, 1),
    ("tanh", "classification", [8, 8], "L1", 0.003, 10),
])
def test_one_epoch_makes_the_originals_updates(activation, problem, hidden, regularization, rate, batch_size):
    dataset = "circle" if problem == "classification" else "reg-gauss"
    split = data.make_dataset(dataset, noise=10, percent_train=10, seed="0.25")
    x = data.features(split.train_points, ["x", "y", "xSquared"])[:50]
    y = split.train_labels[:50].astype("float32")
    model = network.build_model(3, hidden, activation=activation, problem=problem, learning_rate=0.03,
                                regularization=regularization, regularization_rate=rate,
                                rng=data.SeedRandom("w"))
    kernels, biases = _weights(model)
    expected_k, expected_b = original_epoch(kernels, biases, x, y, activation,
                                            network.OUTPUT_ACTIVATION[problem], 0.03, batch_size,
                                            regularization, rate)
    model.fit(x, y.reshape(-1, 1), batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    got_k, got_b = _weights(model)
    for got, expected in zip(got_k + got_b, expected_k + expected_b):
        np.testing.assert_allclose(got, expected, atol=2e-5, rtol=1e-4)


def test_initial_weights_come_from_the_stream_in_the_originals_order():
    model = network.build_model(2, [3], rng=data.SeedRandom("init"))
    stream = data.SeedRandom("init")
    first = np.zeros((2, 3))
    for dest in range(3):  # each neuron's incoming links in turn
        for source in range(2):
            first[source, dest] = stream.random() - 0.5
    second = np.array([[stream.random() - 0.5] for _ in range(3)])
    kernels, biases = _weights(model)
    np.testing.assert_allclose(kernels[0], first, atol=1e-7)
    np.testing.assert_allclose(kernels[1], second, atol=1e-7)
    assert all(np.all(b == np.float32(0.1)) for b in biases)


def test_init_zero_still_draws_from_the_stream():
    rng = data.SeedRandom("z")
    model = network.build_model(2, [2], init_zero=True, rng=rng)
    assert all(np.all(w == 0) for w in model.get_weights())
    reference = data.SeedRandom("z")
    for _ in range(2 * 2 + 2 * 1):
        reference.random()
    assert rng.random() == reference.random()


def test_the_model_is_plain_keras():
    model = network.build_model(2, [4, 2], activation="relu", problem="regression", learning_rate=0.1,
                                regularization="L2", regularization_rate=0.01)
    hidden, output = model.layers[0].get_config(), model.layers[-1].get_config()
    assert hidden["activation"] == "relu" and output["activation"] == "linear"
    assert hidden["kernel_initializer"]["class_name"] == "RandomUniform"
    assert hidden["kernel_initializer"]["config"]["minval"] == -0.5
    assert hidden["kernel_initializer"]["config"]["maxval"] == 0.5
    assert hidden["bias_initializer"]["class_name"] == "Constant"
    assert hidden["bias_initializer"]["config"]["value"] == 0.1
    assert hidden["kernel_regularizer"]["config"] == {"l2": 0.005}
    assert hidden["bias_regularizer"] is None
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    assert model.optimizer.momentum == 0.0
    assert [layer.units for layer in model.layers] == [4, 2, 1]


def test_the_shown_loss_is_half_the_mean_squared_error():
    model = network.build_model(2, [], rng=data.SeedRandom("l"))
    x = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]])
    labels = torch.tensor([1.0, -1.0, 1.0])
    output = model.predict(x.numpy(), verbose=0)[:, 0]
    expected = np.mean(0.5 * (output - labels.numpy()) ** 2)
    assert network.playground_loss(model, x, labels) == pytest.approx(expected, rel=1e-6)


def test_regularizers_map_both_ways():
    assert network.kernel_regularizer("none", 0.3) is None
    assert network.kernel_regularizer("L1", 0.3).get_config() == {"l1": 0.3}
    assert network.kernel_regularizer("L2", 0.3).get_config() == {"l2": 0.15}
    assert network.playground_rate(keras.regularizers.L2(0.15)) == ("L2", 0.3)
    assert network.playground_rate(keras.regularizers.L1(0.3)) == ("L1", 0.3)
    assert network.playground_rate(None) == ("none", 0)
    with pytest.raises(ValueError, match=r"^regularization must be 'none', 'L1' or 'L2', got 'L3'.$"):
        network.kernel_regularizer("L3", 1)
    with pytest.raises(ValueError, match=r"^the Playground knows L1 and L2 kernel regularizers; got L1L2.$"):
        network.playground_rate(keras.regularizers.L1L2(0.1, 0.1))


def test_describe_reads_back_a_playground_model():
    model = network.build_model(3, [5, 2], activation="sigmoid", problem="regression",
                                regularization="L1", regularization_rate=0.03)
    assert network.describe(model) == (3, [5, 2], "sigmoid", "regression", "L1", 0.03)
    bare = network.build_model(2, [], problem="classification")
    assert network.describe(bare) == (2, [], "tanh", "classification", "none", 0)


def _dense_model(*layers, inputs=2):
    return keras.Sequential([keras.Input(shape=(inputs,)), *layers])


@pytest.mark.parametrize("build, message", [
    (lambda: _dense_model(keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2, activation="tanh")),
     "The output layer 'dense_1' has 2 units; the Playground's has 1."),
    (lambda: _dense_model(keras.layers.Dense(1, activation="relu")),
     "The output layer 'dense' uses relu; the Playground's output is tanh (classification) or linear (regression)."),
    (lambda: _dense_model(keras.layers.Dense(9, activation="tanh"), keras.layers.Dense(1, activation="tanh")),
     "Dense 'dense' has 9 neurons; the Playground shows at most 8."),
    (lambda: _dense_model(*[keras.layers.Dense(2, activation="tanh") for _ in range(7)],
                          keras.layers.Dense(1, activation="tanh")),
     "The model has 7 hidden layers; the Playground shows at most 6."),
    (lambda: _dense_model(keras.layers.Dense(2, activation="tanh"), keras.layers.Dense(2, activation="relu"),
                          keras.layers.Dense(1, activation="tanh")),
     "The hidden layers use relu and tanh; the Playground uses one activation for all."),
    (lambda: _dense_model(keras.layers.Dense(2, activation="elu"), keras.layers.Dense(1, activation="tanh")),
     "The hidden layers use elu; the Playground offers relu, tanh, sigmoid, linear."),
    (lambda: _dense_model(keras.layers.Dense(2, activation="tanh", use_bias=False),
                          keras.layers.Dense(1, activation="tanh")),
     "Dense 'dense' has no bias; every Playground neuron has one."),
    (lambda: _dense_model(keras.layers.Dense(2, activation="tanh", kernel_regularizer="l2"),
                          keras.layers.Dense(1, activation="tanh")),
     "The layers use different kernel regularizers; the Playground uses one for all."),
    (lambda: _dense_model(keras.layers.Dense(2, activation="tanh", bias_regularizer="l2"),
                          keras.layers.Dense(1, activation="tanh")),
     "Dense 'dense' regularizes its bias or its output; the Playground regularizes weights only."),
    (lambda: _dense_model(keras.layers.Dense(2, activation="tanh"), keras.layers.Dropout(0.5),
                          keras.layers.Dense(1, activation="tanh")),
     "The Playground draws networks of Dense layers only; this model has dropout (Dropout)."),
])
def test_describe_refuses_what_the_playground_cannot_draw(build, message):
    model = build()
    with pytest.raises(ValueError) as error:
        network.describe(model)
    assert str(error.value) == message
