"""One framework, one workload, timed in this process: ``python -m benchmarks.runners FRAMEWORK WORKLOAD``.

Prints one JSON line: the per-step training times (seconds) of each
repetition. Run by ``python -m benchmarks`` in a fresh process per
framework so that imports and thread pools do not interfere.
"""

import json
import sys
import time

import numpy as np

BATCH_SIZE = 32

# name -> (samples, input features, hidden sizes, outputs, task)
WORKLOADS = {
    "weather_mlp": (1000, 89, (100, 50), 1, "regression"),
    "mnist_mlp": (6400, 784, (50, 50), 10, "classification"),
}


def make_data(workload, seed=0):
    samples, features, _, outputs, task = WORKLOADS[workload]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features)).astype("float32")
    if task == "regression":
        y = (x[:, :5].sum(axis=1, keepdims=True) + rng.normal(size=(samples, 1))).astype("float32")
    else:
        y = rng.integers(0, outputs, size=samples).astype("int64")
    return x, y


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
    """layerwise and Keras share this code: the course's model, compile and fit."""
    _, features, hidden, outputs, task = WORKLOADS[workload]
    x, y = make_data(workload)
    layers = [lib.Input(shape=(features,))]
    layers += [lib.layers.Dense(units, activation="relu") for units in hidden]
    if task == "regression":
        layers.append(lib.layers.Dense(outputs))
        loss = "mse"
    else:
        layers.append(lib.layers.Dense(outputs, activation="softmax"))
        loss = "sparse_categorical_crossentropy"
    model = lib.Sequential(layers)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"] if task != "regression" else ["mae"])
    steps = int(np.ceil(len(x) / BATCH_SIZE))
    return _time_epochs(lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0), steps,
                        repetitions)


def run_torch(workload, repetitions):
    """The reference: the loop a PyTorch user writes by hand for the same model and data."""
    import torch

    _, features, hidden, outputs, task = WORKLOADS[workload]
    x_np, y_np = make_data(workload)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    modules, width = [], features
    for units in hidden:
        modules += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    modules.append(torch.nn.Linear(width, outputs))
    model = torch.nn.Sequential(*modules)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    loss_fn = torch.nn.MSELoss() if task == "regression" else torch.nn.CrossEntropyLoss()
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
