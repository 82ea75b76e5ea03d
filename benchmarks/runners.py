"""One framework, one workload, timed in this process: ``python -m benchmarks.runners FRAMEWORK WORKLOAD``.

Prints one JSON line: the per-step training times (seconds) of each
repetition. Run by ``python -m benchmarks`` in a fresh process per
framework so that imports and thread pools do not interfere.

The workloads are the course's models at batch size 32 with Adam, on
synthetic data of the course's shapes.
"""

import json
import sys
import time

import numpy as np

BATCH_SIZE = 32
SEQUENCE_LENGTH = 200
VOCABULARY = 10000

# name -> (samples, input shape, task); the models are built in keras_model / torch_model
WORKLOADS = {
    "weather_mlp": (1000, (89,), "regression"),
    "mnist_mlp": (6400, (784,), "classification"),
    "cifar_cnn": (320, (32, 32, 3), "classification"),
    "imdb_lstm": (640, (SEQUENCE_LENGTH,), "binary"),
}


def make_data(workload, seed=0):
    samples, shape, task = WORKLOADS[workload]
    rng = np.random.default_rng(seed)
    if workload == "imdb_lstm":
        x = rng.integers(1, VOCABULARY, size=(samples,) + shape).astype("int64")
    else:
        x = rng.normal(size=(samples,) + shape).astype("float32")
    if task == "regression":
        y = (x[:, :5].sum(axis=1, keepdims=True) + rng.normal(size=(samples, 1))).astype("float32")
    elif task == "binary":
        y = rng.integers(0, 2, size=(samples, 1)).astype("float32")
    else:
        y = rng.integers(0, 10, size=samples).astype("int64")
    return x, y


def keras_model(lib, workload):
    """The course's model for ``workload`` in a Keras-API library (layerwise or keras)."""
    L = lib.layers
    if workload == "weather_mlp":
        layers = [lib.Input((89,)), L.Dense(100, activation="relu"), L.Dense(50, activation="relu"), L.Dense(1)]
        loss, metrics = "mse", ["mae"]
    elif workload == "mnist_mlp":
        layers = [lib.Input((784,)), L.Dense(50, activation="relu"), L.Dense(50, activation="relu"),
                  L.Dense(10, activation="softmax")]
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    elif workload == "cifar_cnn":
        layers = [lib.Input((32, 32, 3)), L.Conv2D(50, (3, 3), activation="relu"),
                  L.Conv2D(50, (3, 3), activation="relu"), L.Flatten(), L.Dense(10)]
        loss, metrics = lib.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    else:
        layers = [lib.Input((SEQUENCE_LENGTH,), dtype="int64"), L.Embedding(VOCABULARY, 32), L.LSTM(64),
                  L.Dense(64, activation="relu"), L.Dense(1, activation="sigmoid")]
        loss, metrics = "binary_crossentropy", ["accuracy"]
    model = lib.Sequential(layers)
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model


def torch_model(workload):
    """The same model as a PyTorch user writes it (NCHW images, batch_first LSTM)."""
    import torch
    from torch import nn

    if workload == "weather_mlp":
        return nn.Sequential(nn.Linear(89, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 1))
    if workload == "mnist_mlp":
        return nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 50), nn.ReLU(), nn.Linear(50, 10))
    if workload == "cifar_cnn":
        return nn.Sequential(nn.Conv2d(3, 50, 3), nn.ReLU(), nn.Conv2d(50, 50, 3), nn.ReLU(), nn.Flatten(),
                             nn.Linear(50 * 28 * 28, 10))

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCABULARY, 32)
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

        def forward(self, x):
            _, (h, _) = self.lstm(self.embedding(x))
            return self.head(h[-1])

    torch.manual_seed(0)
    return LSTMClassifier()


def _time_epochs(run_epoch, steps, repetitions, epochs_per_repetition=2):
    run_epoch()  # warm-up: allocations, first-call work
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(epochs_per_repetition):
            run_epoch()
        times.append((time.perf_counter() - start) / (epochs_per_repetition * steps))
    return times


def run_keras_like(lib, workload, repetitions):
    x, y = make_data(workload)
    model = keras_model(lib, workload)
    steps = int(np.ceil(len(x) / BATCH_SIZE))
    return _time_epochs(lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0), steps,
                        repetitions)


def run_torch(workload, repetitions):
    """The reference: the loop a PyTorch user writes by hand for the same model and data."""
    import torch

    _, _, task = WORKLOADS[workload]
    x_np, y_np = make_data(workload)
    if workload == "cifar_cnn":
        x_np = np.ascontiguousarray(x_np.transpose(0, 3, 1, 2))
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    model = torch_model(workload)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    loss_fn = {"regression": torch.nn.MSELoss(), "binary": torch.nn.BCEWithLogitsLoss(),
               "classification": torch.nn.CrossEntropyLoss()}[task]
    steps = int(np.ceil(len(x) / BATCH_SIZE))

    def epoch():
        order = torch.randperm(len(x))
        running = torch.zeros(())
        for start in range(0, len(x), BATCH_SIZE):
            index = order[start:start + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
            running += loss.detach()
        return float(running)  # one sync per epoch, as for a logged epoch loss

    return _time_epochs(epoch, steps, repetitions)


def main(framework, workload, repetitions=5):
    if framework == "layerwise":
        import layerwise as lib

        times = run_keras_like(lib, workload, repetitions)
    elif framework.startswith("keras"):
        import keras as lib

        times = run_keras_like(lib, workload, repetitions)
    elif framework == "torch":
        times = run_torch(workload, repetitions)
    else:
        raise SystemExit(f"unknown framework {framework!r}")
    print(json.dumps({"framework": framework, "workload": workload, "step_seconds": times}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
