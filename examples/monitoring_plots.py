"""Example PNGs of the monitoring tools: ``python examples/monitoring_plots.py [--out DIR]``.

Writes, into ``DIR`` (default ``monitoring_plots/``):

* ``lr_finder.png``: the learning-rate range test of the course's MNIST MLP
  (784-50-50-10, Adam) on MNIST (the idx files in the shared data folder, or
  ``--mnist DIR``; MNIST-shaped synthetic digits when they are not there),
  with the suggested rate marked;
* ``diagnostics_report.png``: ``fit(..., diagnose=True)`` on the weather
  lesson's MLP, trained long enough to overfit (the loss curves with the
  overfitting onset, the gradient norm per layer, the dead ReLU units), and
  its text report on the terminal;
* ``history.png``: the same run's loss curves with ``layerwise.utils.plot_history``.

It also prints the weather model's test RMSE beside the "tomorrow = today"
baseline. Takes about a minute on a laptop CPU.
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MNIST = os.path.join(HERE, "..", "..", "shared", "data", "mnist")


def mnist_test_set(folder):
    """MNIST's 10,000 test images (flattened, in [0, 1]) and labels, or None if the files are not there."""
    from layerwise.datasets.mnist import load_idx

    images = os.path.join(folder, "t10k-images-idx3-ubyte.gz")
    labels = os.path.join(folder, "t10k-labels-idx1-ubyte.gz")
    if not (os.path.exists(images) and os.path.exists(labels)):
        return None
    return (load_idx(images).reshape(-1, 784).astype("float32") / 255.0,
            load_idx(labels).astype("int64"))


def synthetic_digits(samples=10000, seed=0):
    """MNIST-shaped stand-in: noisy, sparse 784-pixel prototypes of 10 classes."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 1, size=(10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)
    labels = rng.integers(0, 10, size=samples)
    images = np.clip(prototypes[labels] + rng.normal(scale=0.3, size=(samples, 784)), 0, 1)
    return images.astype("float32"), labels.astype("int64")


def lr_finder_plot(out, mnist_folder):
    import layerwise as keras

    data = mnist_test_set(mnist_folder)
    source = "MNIST test images"
    if data is None:
        data, source = synthetic_digits(), "synthetic MNIST-shaped digits (MNIST files not found)"
    x, y = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(50, activation="relu"),
                              keras.layers.Dense(50, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Learning-rate range test on {source}:")
    result = model.find_learning_rate(x, y)
    path = os.path.join(out, "lr_finder.png")
    result.plot(to_file=path)
    print(f"  -> {path}")


def diagnostics_plots(out, epochs):
    import layerwise as keras
    from layerwise.demo import build_model, load_lesson_data, split

    keras.utils.set_random_seed(0)
    x, y, features = load_lesson_data()
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = split(x, y, 0)
    model = build_model()
    print(f"\nThe weather MLP, {epochs} epochs with diagnose=True:")
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_data=(x_val, y_val),
                        verbose=0, diagnose=True)
    print(history.diagnostics.report())
    path = os.path.join(out, "diagnostics_report.png")
    history.diagnostics.plot(to_file=path)
    print(f"  -> {path}")
    plot_history = getattr(keras.utils, "plot_history", None)
    if plot_history is not None:
        path = os.path.join(out, "history.png")
        plot_history(history, to_file=path)
        print(f"  -> {path}")
    print("\nTest set, against the baseline 'tomorrow = today':")
    model.evaluate_against_baseline(x_test, y_test, x_test[:, features.index("BASEL_sunshine")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="monitoring_plots", help="folder for the PNGs (default monitoring_plots)")
    parser.add_argument("--mnist", default=DEFAULT_MNIST, help="folder with MNIST's t10k idx files")
    parser.add_argument("--epochs", type=int, default=60, help="epochs for the weather run (default 60)")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(args.out, exist_ok=True)
    lr_finder_plot(args.out, args.mnist)
    diagnostics_plots(args.out, args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
