"""The ``layerwise`` command line.

``layerwise demo`` builds the weather lesson's network (89 weather features
in, tomorrow's sunshine hours out), prints its Keras summary and runs it on
a few random rows (training on the real data set arrives with `fit`).
"""

import argparse
import sys


def _demo(args):
    import numpy as np

    import layerwise as keras

    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(89,)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(50, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1),
        ],
        name="weather_prediction",
    )
    model.summary()
    rows = np.random.default_rng(args.seed).normal(size=(4, 89)).astype("float32")
    predictions = keras.backend.convert_to_numpy(model(rows))
    print("Predictions of the untrained model for 4 random rows:", np.round(predictions[:, 0], 3))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="layerwise", description="The Keras API on PyTorch.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="build and summarise the weather lesson's model")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
