"""One framework, one workload, measured in this process.

``python -m benchmarks.runners FRAMEWORK WORKLOAD [REPETITIONS] [DEVICE]``
prints one JSON line with, for each repetition, the per-step training time
(seconds, ``fit`` with validation every epoch), the time of ``predict`` on a
single sample and on 10,000 samples, and the process's peak resident memory.
``python -m benchmarks`` runs this in a fresh process per framework so that
imports, thread pools and memory peaks do not mix.

The workloads are the course's models at batch size 32 with Adam, on
synthetic data of the course's shapes.
"""

import json
import resource
import sys
import time

import numpy as np

BATCH_SIZE = 32
SEQUENCE_LENGTH = 200
VOCABULARY = 10000
PREDICT_MANY = 10_000
PREDICT_ONE_CALLS = 50

# name -> (training samples, input shape, task); the models are built in keras_model / torch_model.
# One fifth as many validation samples are evaluated after every epoch.
WORKLOADS = {
    "weather_mlp": (1000, (89,), "regression"),
    "mnist_mlp": (6400, (784,), "classification"),
    "cifar_cnn": (320, (32, 32, 3), "classification"),
    "imdb_lstm": (640, (SEQUENCE_LENGTH,), "binary"),
}


def make_data(workload, samples=None, seed=0):
    """Synthetic ``(x, y)`` of the workload's shapes and task."""
    default_samples, shape, task = WORKLOADS[workload]
    samples = samples or default_samples
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

    torch.manual_seed(0)
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

    return LSTMClassifier()


def _seconds_per_call(run, calls):
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


class _Workload:
    """Data for one workload: training, validation and prediction sets."""

    def __init__(self, workload):
        samples = WORKLOADS[workload][0]
        self.x, self.y = make_data(workload)
        self.x_val, self.y_val = make_data(workload, samples=samples // 5, seed=1)
        self.x_many, _ = make_data(workload, samples=PREDICT_MANY, seed=2)
        self.x_one = self.x_many[:1]
        self.steps = int(np.ceil(len(self.x) / BATCH_SIZE))


def _measure(train_epoch, predict, data, repetitions):
    """Per repetition: seconds per training step, per one-sample predict, per 10,000-sample predict."""
    train_epoch()  # warm-up: allocations, first-call work
    predict(data.x_one)
    predict(data.x_many[:BATCH_SIZE * 2])
    step, one, many = [], [], []
    for repetition in range(repetitions):
        start = time.perf_counter()
        for _ in range(2):
            train_epoch()
        step.append((time.perf_counter() - start) / (2 * data.steps))
        one.append(_seconds_per_call(lambda: predict(data.x_one), PREDICT_ONE_CALLS))
        if repetition < 3:  # the long predict is steady; three repetitions give its median
            many.append(_seconds_per_call(lambda: predict(data.x_many), 1))
    return {"step_seconds": step, "predict_one_seconds": one, "predict_many_seconds": many}


def run_keras_like(lib, workload, repetitions):
    data = _Workload(workload)
    model = keras_model(lib, workload)

    def train_epoch():
        model.fit(data.x, data.y, batch_size=BATCH_SIZE, epochs=1, verbose=0,
                  validation_data=(data.x_val, data.y_val))

    return _measure(train_epoch, lambda x: model.predict(x, verbose=0), data, repetitions)


def run_torch(workload, repetitions, device):
    """The reference: the loop a PyTorch user writes by hand for the same model and data."""
    import torch

    _, _, task = WORKLOADS[workload]
    data = _Workload(workload)

    def tensor(array):
        if workload == "cifar_cnn":
            array = np.ascontiguousarray(array.transpose(0, 3, 1, 2))
        return torch.from_numpy(array).to(device)

    x, y, x_val, y_val = tensor(data.x), torch.from_numpy(data.y).to(device), tensor(data.x_val), \
        torch.from_numpy(data.y_val).to(device)
    model = torch_model(workload).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    loss_fn = {"regression": torch.nn.MSELoss(), "binary": torch.nn.BCEWithLogitsLoss(),
               "classification": torch.nn.CrossEntropyLoss()}[task]

    def train_epoch():
        model.train()
        order = torch.randperm(len(x), device=device)
        running = torch.zeros((), device=device)
        for start in range(0, len(x), BATCH_SIZE):
            index = order[start:start + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
            running += loss.detach()
        model.eval()
        validation = torch.zeros((), device=device)
        with torch.no_grad():
            for start in range(0, len(x_val), BATCH_SIZE):
                validation += loss_fn(model(x_val[start:start + BATCH_SIZE]), y_val[start:start + BATCH_SIZE])
        return float(running), float(validation)  # one sync per epoch, as for logged epoch losses

    def predict(array):
        model.eval()
        with torch.no_grad():
            inputs = tensor(array)
            outputs = [model(inputs[start:start + BATCH_SIZE]) for start in range(0, len(inputs), BATCH_SIZE)]
            return torch.cat(outputs).cpu().numpy()

    return _measure(train_epoch, predict, data, repetitions)


def main(framework, workload, repetitions=5, device="cpu"):
    if framework == "layerwise":
        import layerwise as lib

        result = run_keras_like(lib, workload, repetitions)
    elif framework.startswith("keras"):
        import keras as lib

        result = run_keras_like(lib, workload, repetitions)
    elif framework == "torch":
        result = run_torch(workload, repetitions, device)
    else:
        raise SystemExit(f"unknown framework {framework!r}")
    # ru_maxrss is in KiB on Linux.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"framework": framework, "workload": workload, **result}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5,
         sys.argv[4] if len(sys.argv) > 4 else "cpu")
