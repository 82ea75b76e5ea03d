"""The main job: the weather lesson, end to end.

Predict tomorrow's sunshine hours in Basel from today's weather in 11
European cities (the Carpentries deep-learning lesson): split the data
70/15/15 into train, validation and test sets, train a small dense network
with early stopping, and compare its test RMSE with the naive baseline
"tomorrow is like today". The loss curves go to a PNG.

Run it with ``layerwise demo`` (options: ``--epochs``, ``--seed``, ``--plot``).
"""

import os

import numpy as np

DAYS = 365 * 3  # the lesson uses the first three years


def load_lesson_data():
    """``(x, y, feature_names)``: today's 89 features and tomorrow's Basel sunshine hours."""
    from layerwise.datasets import weather_prediction

    columns, values = weather_prediction.load_shipped()
    features = [name for name in columns if name not in ("DATE", "MONTH")]
    feature_index = [columns.index(name) for name in features]
    x = values[:DAYS, feature_index].astype("float32")
    y = values[1:DAYS + 1, columns.index("BASEL_sunshine")].astype("float32")
    return x, y, features


def split(x, y, seed):
    """70% train, 15% validation, 15% test, after a seeded shuffle."""
    order = np.random.default_rng(seed).permutation(len(x))
    train_end, val_end = int(0.7 * len(x)), int(0.85 * len(x))
    parts = np.split(order, [train_end, val_end])
    return [(x[p], y[p]) for p in parts]


def build_model():
    import layerwise as keras

    model = keras.Sequential(
        [
            keras.Input(shape=(89,)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(50, activation="relu"),
            keras.layers.Dense(1),
        ],
        name="weather_prediction",
    )
    model.compile(optimizer="adam", loss="mse", metrics=[keras.metrics.RootMeanSquaredError()])
    return model


def run(epochs=200, seed=0, plot_path="weather_loss_curves.png", verbose=2):
    """Train and evaluate; returns a dict with the test RMSE, the baseline's and the epochs run."""
    import layerwise as keras

    keras.utils.set_random_seed(seed)
    x, y, features = load_lesson_data()
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = split(x, y, seed)
    model = build_model()
    model.summary()
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_data=(x_val, y_val),
                        callbacks=[stopper], verbose=verbose)
    test = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    sunshine_today = x_test[:, features.index("BASEL_sunshine")]
    baseline = float(np.sqrt(np.mean((sunshine_today - y_test) ** 2)))
    result = {
        "test_rmse": test["root_mean_squared_error"],
        "baseline_rmse": baseline,
        "epochs": len(history.epoch),
        "plot": None,
    }
    print(f"\nTrained for {result['epochs']} epochs (early stopping, best weights restored).")
    print(f"Test RMSE, neural network:             {result['test_rmse']:.3f} hours of sunshine")
    print(f"Test RMSE, baseline (tomorrow = today): {baseline:.3f} hours of sunshine")
    if plot_path:
        result["plot"] = _plot_losses(history, plot_path)
    return result


def _plot_losses(history, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("Install matplotlib (pip install 'layerwise[plot]') to get the loss curves as a PNG.")
        return None
    figure, axis = plt.subplots(figsize=(7, 4))
    epochs = np.arange(1, len(history.epoch) + 1)
    axis.plot(epochs, history.history["loss"], label="training loss")
    axis.plot(epochs, history.history["val_loss"], label="validation loss")
    axis.set_xlabel("epoch")
    axis.set_ylabel("mean squared error")
    axis.set_title("Weather prediction: sunshine hours in Basel tomorrow")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"Loss curves written to {os.path.abspath(path)}")
    return path
