"""Turn a Playground set-up into a runnable layerwise script.

The script builds the same network as a ``Sequential`` model, compiles it
with the Playground's loss and optimizer, generates the same data with
:mod:`layerwise.playground.data` (same data set, noise, split and seed) and
trains it with ``fit``. It needs nothing but layerwise.

Example:

>>> from layerwise.playground import export, state
>>> settings, _ = state.parse_hash("dataset=xor&networkShape=4&seed=0.5")
>>> source = export.script(settings, epochs=50)
>>> "keras.layers.Dense(4, activation=\\"tanh\\"" in source
True
"""

import json

from layerwise.playground import data
from layerwise.playground import state as state_module
from layerwise.playground.network import OUTPUT_ACTIVATION

DEFAULT_EPOCHS = 100


def _regularizer_lines(regularization, rate):
    if regularization == "none":
        return ["penalty = None  # no regularization"]
    rate_text = state_module.format_number(rate)
    if regularization == "L1":
        return [
            "# The Playground's L1 penalty is rate * sum(|w|): Keras's L1(rate), on weights only.",
            f"penalty = keras.regularizers.L1({rate_text})",
        ]
    half = state_module.format_number(rate / 2)
    return [
        "# The Playground's L2 penalty is rate * sum(w**2) / 2; Keras's L2(l2) is l2 * sum(w**2),",
        f"# so the page's rate {rate_text} is L2({half}). Weights only, never biases.",
        f"penalty = keras.regularizers.L2({half})",
    ]


def script(settings, epochs=None, filename="playground_model.py"):
    """Python source that rebuilds and trains the network described by ``settings`` (a state dict).

    Args:
        settings: the page's state, as :func:`layerwise.playground.state.parse_hash` returns it.
        epochs: default number of epochs of the script (``--epochs`` overrides it);
            ``None`` or 0 gives 100.
        filename: the name the script's usage text mentions.
    """
    dataset = state_module.current_dataset(settings)
    problem = settings["problem"]
    features = state_module.active_feature_keys(settings)
    hidden = list(settings["networkShape"])
    activation = settings["activation"]
    epochs = int(epochs) if epochs else DEFAULT_EPOCHS
    labels = ", ".join(data.FEATURES[key][0] for key in features)
    shape_text = " -> ".join([f"{len(features)} features ({labels})"] + [str(n) for n in hidden] + ["1"])
    regularization = settings["regularization"]
    rate = settings["regularizationRate"]
    reg_text = "no regularization" if regularization == "none" else (
        f"{regularization} regularization, rate {state_module.format_number(rate)}")
    fmt = state_module.format_number
    if settings.get("initZero"):
        init_lines = [
            "# initZero: every weight and bias starts at 0, as the page's initZero=true.",
            "weights = keras.initializers.Zeros()",
            "biases = keras.initializers.Zeros()",
        ]
    else:
        init_lines = [
            "# The Playground starts weights uniform in [-0.5, 0.5) and biases at 0.1.",
            "weights = keras.initializers.RandomUniform(minval=-0.5, maxval=0.5)",
            "biases = keras.initializers.Constant(0.1)",
        ]
    layer_lines = []
    for units in hidden + [1]:
        act = activation if len(layer_lines) < len(hidden) else OUTPUT_ACTIVATION[problem]
        layer_lines.append(
            f"        keras.layers.Dense({units}, activation=\"{act}\", kernel_initializer=weights,\n"
            f"                           bias_initializer=biases, kernel_regularizer=penalty),"
        )
    lines = [
        '"""A network built in the layerwise Playground, as a layerwise (Keras API) script.',
        "",
        (f"Data: {data.DATASET_TITLES[dataset]} ({problem}), noise {fmt(settings['noise'])}, "
         f"{fmt(settings['percTrainData'])}% training data, seed {settings['seed']}."),
        f"Network: {shape_text}; {activation} hidden layers, {OUTPUT_ACTIVATION[problem]} output.",
        (f"Training: SGD, learning rate {fmt(settings['learningRate'])}, batch size {settings['batchSize']}, "
         f"{reg_text}."),
        "",
        "Run it with layerwise installed:",
        "",
        f"    python {filename}                 # {epochs} epochs",
        f"    python {filename} --epochs 20",
        f"    python {filename} --save model.keras",
        "",
        "It prints the Playground's loss (the mean of 0.5 * (output - label)**2) on the",
        "training and the test points before and after training.",
        '"""',
        "",
        "import argparse",
        "",
        "import numpy as np",
        "",
        "import layerwise as keras",
        "from layerwise.playground import data",
        "",
        f"DATASET = \"{dataset}\"",
        f"NOISE = {fmt(settings['noise'])}",
        f"PERCENT_TRAIN = {fmt(settings['percTrainData'])}",
        f"SEED = \"{settings['seed']}\"",
        f"FEATURES = {json.dumps(features)}",
        f"LEARNING_RATE = {fmt(settings['learningRate'])}",
        f"BATCH_SIZE = {settings['batchSize']}",
        f"EPOCHS = {epochs}",
        "",
        "",
        "def playground_loss(model, x, y):",
        "    \"\"\"The loss the Playground shows: the mean of 0.5 * (output - label)**2.\"\"\"",
        "    output = model.predict(x, verbose=0)[:, 0]",
        "    return float(np.mean(0.5 * (output - y) ** 2))",
        "",
        "",
        "def main():",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        "    parser.add_argument(\"--epochs\", type=int, default=EPOCHS, help=f\"epochs to train (default {EPOCHS})\")",
        "    parser.add_argument(\"--save\", default=None, help=\"save the trained model to this .keras file\")",
        "    args = parser.parse_args()",
        "",
        "    # The same points as on the page: same data set, noise, split and seed.",
        "    split = data.make_dataset(DATASET, noise=NOISE, percent_train=PERCENT_TRAIN, seed=SEED)",
        "    x_train = data.features(split.train_points, FEATURES)",
        "    y_train = split.train_labels.astype(\"float32\")",
        "    x_test = data.features(split.test_points, FEATURES)",
        "    y_test = split.test_labels.astype(\"float32\")",
        "",
        "    keras.utils.set_random_seed(0)",
        *("    " + line for line in init_lines),
        *("    " + line for line in _regularizer_lines(regularization, rate)),
        "    model = keras.Sequential(",
        "        [",
        f"            keras.Input(shape=({len(features)},)),",
        *("    " + line.replace("\n", "\n    ") for line in layer_lines),
        "        ],",
        "        name=\"playground\",",
        "    )",
        "    # The Playground minimises half the squared error with plain gradient descent.",
        "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),",
        "                  loss=\"mean_squared_error\", loss_weights=0.5)",
        "    model.summary()",
        "",
        "    before = playground_loss(model, x_train, y_train), playground_loss(model, x_test, y_test)",
        "    # shuffle=False: the page visits the (already shuffled) points in the same order every epoch.",
        "    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=args.epochs, shuffle=False, verbose=0)",
        "    after = playground_loss(model, x_train, y_train), playground_loss(model, x_test, y_test)",
        "    print(f\"after {args.epochs} epochs: training loss {before[0]:.3f} -> {after[0]:.3f}, \"",
        "          f\"test loss {before[1]:.3f} -> {after[1]:.3f}\")",
        "    if args.save:",
        "        model.save(args.save)",
        "        print(f\"saved {args.save}\")",
        "",
        "",
        "if __name__ == \"__main__\":",
        "    main()",
        "",
    ]
    return "\n".join(lines)
