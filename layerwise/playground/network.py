"""The Playground's network as a layerwise model, with the original's semantics.

The TensorFlow Playground trains its own small JavaScript network. Here the
same network is a layerwise ``Sequential`` of ``Dense`` layers, compiled so
that one ``fit`` epoch makes the updates the original makes:

- hidden layers use the chosen activation; the output neuron is ``tanh``
  for classification and linear for regression;
- weights start uniform in [-0.5, 0.5) and biases at 0.1 (``initZero``:
  all zeros). The page draws the initial weights from the same seeded
  stream as the original, in the original's order, so a link gives the same
  starting network; exported code uses the equivalent Keras initializers;
- the loss is half the squared error averaged over the batch, the
  original's ``0.5 * (output - target)²`` (``mean_squared_error`` with
  ``loss_weights=0.5``), minimised by plain ``SGD`` at the page's learning
  rate;
- L1/L2 regularization applies to the kernels only, never to biases. The
  original subtracts ``learning_rate * rate * d/dw`` of ``|w|`` (L1) or
  ``w²/2`` (L2) per update; Keras's ``L1(rate)`` and ``L2(rate / 2)``
  penalties have exactly these gradients.

The loss the page shows is the original's: the mean of
``0.5 * (output - label)²`` over all training (or test) points, without
the regularization penalty.

Example:

>>> from layerwise.playground import network
>>> model = network.build_model(feature_count=2, hidden=[4, 2], activation="tanh",
...                             problem="classification", learning_rate=0.03)
>>> [layer.units for layer in model.layers]
[4, 2, 1]
"""

import torch

OUTPUT_ACTIVATION = {"classification": "tanh", "regression": "linear"}
INITIAL_BIAS = 0.1
INITIAL_WEIGHT_RANGE = 0.5


def kernel_regularizer(regularization, rate):
    """The Keras regularizer giving the original's weight penalty (``None`` for ``'none'``).

    Example:

    >>> kernel_regularizer("L2", 0.01).get_config()
    {'l2': 0.005}
    """
    from layerwise import regularizers

    if regularization == "none":
        return None
    if regularization == "L1":
        return regularizers.L1(float(rate))
    if regularization == "L2":
        return regularizers.L2(float(rate) / 2)
    raise ValueError(f"regularization must be 'none', 'L1' or 'L2', got {regularization!r}.")


def playground_rate(regularizer):
    """``(regularization, rate)`` of the page for a Keras kernel regularizer (inverse of the above)."""
    from layerwise import regularizers

    if regularizer is None:
        return "none", 0
    if type(regularizer) is regularizers.L1:
        return "L1", regularizer.l1
    if type(regularizer) is regularizers.L2:
        return "L2", regularizer.l2 * 2
    raise ValueError(
        f"the Playground knows L1 and L2 kernel regularizers; got {type(regularizer).__name__}."
    )


def build_model(feature_count, hidden, activation="tanh", problem="classification", learning_rate=0.03,
                regularization="none", regularization_rate=0.0, init_zero=False, rng=None):
    """A compiled ``Sequential`` for a Playground network.

    Args:
        feature_count: number of input features (X1, X2, X1², ...).
        hidden: neurons per hidden layer, e.g. ``[4, 2]`` (``[]`` for none).
        activation: ``'relu'``, ``'tanh'``, ``'sigmoid'`` or ``'linear'`` for hidden layers.
        problem: ``'classification'`` (tanh output) or ``'regression'`` (linear output).
        learning_rate: SGD's learning rate.
        regularization: ``'none'``, ``'L1'`` or ``'L2'`` (on kernels only).
        regularization_rate: the page's regularization rate.
        init_zero: start every weight and bias at 0 (the original's ``initZero``).
        rng: a :class:`~layerwise.playground.data.SeedRandom`; when given, the
            initial weights are drawn from it in the original's order
            (layer by layer, each neuron's incoming links in turn).
    """
    import layerwise as keras

    if problem not in OUTPUT_ACTIVATION:
        raise ValueError(f"problem must be 'classification' or 'regression', got {problem!r}.")
    if init_zero:
        kernel_init, bias_init = keras.initializers.Zeros(), keras.initializers.Zeros()
    else:
        kernel_init = keras.initializers.RandomUniform(minval=-INITIAL_WEIGHT_RANGE, maxval=INITIAL_WEIGHT_RANGE)
        bias_init = keras.initializers.Constant(INITIAL_BIAS)
    regularizer = kernel_regularizer(regularization, regularization_rate)
    layers = [keras.Input(shape=(feature_count,))]
    sizes = list(hidden) + [1]
    for index, units in enumerate(sizes):
        last = index == len(sizes) - 1
        layers.append(keras.layers.Dense(
            units, activation=OUTPUT_ACTIVATION[problem] if last else activation,
            kernel_initializer=kernel_init, bias_initializer=bias_init, kernel_regularizer=regularizer,
            name="output" if last else f"hidden_{index + 1}",
        ))
    model = keras.Sequential(layers, name="playground")
    compile_model(model, learning_rate)
    if rng is not None:
        set_original_initial_weights(model, rng, init_zero)
    return model


def compile_model(model, learning_rate):
    """SGD on half the mean squared error: the original's update rule."""
    import layerwise as keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mean_squared_error",
                  loss_weights=0.5)


def set_original_initial_weights(model, rng, init_zero=False):
    """Draw the kernels from ``rng`` as the original's ``buildNetwork`` draws its links' weights.

    The original creates the links layer by layer, for each neuron its
    incoming links from every neuron of the layer below, each with
    ``Math.random() - 0.5``; ``initZero`` still draws (the field initialiser
    runs) and then sets 0. Biases start at 0.1 (0 with ``initZero``).
    """
    with torch.no_grad():
        for layer in model.layers:
            inputs, units = layer.kernel.shape
            values = torch.empty(inputs, units, dtype=torch.float64)
            for dest in range(units):
                for source in range(inputs):
                    values[source, dest] = rng.random() - 0.5
            if init_zero:
                values.zero_()
            layer.kernel.copy_(values.to(layer.kernel.dtype))
            layer.bias.fill_(0.0 if init_zero else INITIAL_BIAS)


def layer_outputs(model, inputs):
    """Every Dense layer's output for ``inputs`` (a float32 tensor), without gradients."""
    outputs = []
    with torch.no_grad():
        hidden = inputs
        for layer in model.layers:
            hidden = layer(hidden)
            outputs.append(hidden)
    return outputs


def playground_loss(model, inputs, labels):
    """The loss the original shows: mean of ``0.5 * (output - label)²``, as a Python float."""
    with torch.no_grad():
        output = model(inputs, training=False)[:, 0]
        return float(torch.mean(0.5 * torch.square(output.double() - labels.double())))


def describe(model):
    """``(feature_count, hidden, activation, problem, regularization, rate)`` of a Playground-shaped model.

    Accepts a ``Sequential`` (or a single-input Functional chain) of ``Dense``
    layers with bias: one activation shared by the hidden layers (relu, tanh,
    sigmoid or linear), at most 6 hidden layers of at most 8 neurons, and one
    output neuron that is tanh (classification) or linear (regression).
    Raises ``ValueError`` saying what does not fit.
    """
    from layerwise import activations
    from layerwise.layers import Dense
    from layerwise.playground.state import ACTIVATIONS, MAX_HIDDEN_LAYERS, MAX_NEURONS

    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    others = [f"{layer.name} ({type(layer).__name__})" for layer in layers if not isinstance(layer, Dense)]
    if not layers or others:
        raise ValueError(
            "The Playground draws networks of Dense layers only; this model has "
            + (", ".join(others) if others else "no layers") + "."
        )
    inputs = getattr(model, "inputs", None)
    if inputs is not None and len(inputs) != 1:
        raise ValueError(f"The Playground's networks have one input tensor; this model has {len(inputs)}.")
    names = []
    for layer in layers:
        name = activations.serialize(layer.activation)
        if not layer.use_bias:
            raise ValueError(f"Dense '{layer.name}' has no bias; every Playground neuron has one.")
        names.append(name)
    hidden, output = layers[:-1], layers[-1]
    if output.units != 1:
        raise ValueError(f"The output layer '{output.name}' has {output.units} units; the Playground's has 1.")
    problem = {"tanh": "classification", "linear": "regression"}.get(names[-1])
    if problem is None:
        raise ValueError(
            f"The output layer '{output.name}' uses {names[-1]}; the Playground's output is tanh "
            "(classification) or linear (regression)."
        )
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"The model has {len(hidden)} hidden layers; the Playground shows at most {MAX_HIDDEN_LAYERS}.")
    for layer in hidden:
        if layer.units > MAX_NEURONS:
            raise ValueError(
                f"Dense '{layer.name}' has {layer.units} neurons; the Playground shows at most {MAX_NEURONS}."
            )
    hidden_names = sorted(set(names[:-1]))
    if len(hidden_names) > 1:
        raise ValueError(
            f"The hidden layers use {' and '.join(hidden_names)}; the Playground uses one activation for all."
        )
    activation = hidden_names[0] if hidden_names else "tanh"
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"The hidden layers use {activation}; the Playground offers {', '.join(ACTIVATIONS)}."
        )
    if len({_regularizer_key(layer.kernel_regularizer) for layer in layers}) > 1:
        raise ValueError("The layers use different kernel regularizers; the Playground uses one for all.")
    regularization, rate = playground_rate(layers[0].kernel_regularizer)
    for layer in layers:
        if layer.bias_regularizer is not None or layer.activity_regularizer is not None:
            raise ValueError(
                f"Dense '{layer.name}' regularizes its bias or its output; the Playground regularizes "
                "weights only."
            )
    feature_count = int(layers[0].kernel.shape[0])
    return feature_count, [layer.units for layer in hidden], activation, problem, regularization, rate


def _regularizer_key(regularizer):
    if regularizer is None:
        return None
    return type(regularizer).__name__, tuple(sorted(regularizer.get_config().items()))
