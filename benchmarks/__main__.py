"""Side-by-side training speed: ``python -m benchmarks [--repetitions N] [--json PATH] [WORKLOAD ...]``.

For each workload (the course's weather MLP and MNIST-shaped MLP, batch
size 32, Adam) it times ``fit`` per step in layerwise, in a hand-written
PyTorch loop doing the same work (the reference), and in Keras 3 on its
torch backend (and on JAX/TensorFlow when installed), each in its own
process, and prints the medians and the ratios:

* ``layerwise / torch``: 1.0 means as fast as the hand-written loop;
* ``keras / layerwise``: how many times faster layerwise is than Keras.

Absolute times depend on the machine; quote the ratios.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys

from benchmarks.runners import WORKLOADS


def _keras_backends():
    backends = ["torch"]
    if importlib.util.find_spec("jax"):
        backends.append("jax")
    if importlib.util.find_spec("tensorflow"):
        backends.append("tensorflow")
    return backends if importlib.util.find_spec("keras") else []


def _run(framework, workload, repetitions, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.runners", framework, workload, str(repetitions)],
        capture_output=True, text=True, env=env, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{framework} on {workload} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["step_seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--json", default="benchmarks/results.json")
    args = parser.parse_args(argv)

    results = {}
    for workload in args.workloads:
        medians = {}
        medians["layerwise"] = statistics.median(_run("layerwise", workload, args.repetitions))
        medians["torch"] = statistics.median(_run("torch", workload, args.repetitions))
        for backend in _keras_backends():
            times = _run(f"keras-{backend}", workload, args.repetitions, {"KERAS_BACKEND": backend})
            medians[f"keras-{backend}"] = statistics.median(times)
        ratios = {"layerwise/torch": medians["layerwise"] / medians["torch"]}
        for name, value in medians.items():
            if name.startswith("keras-"):
                ratios[f"{name}/layerwise"] = value / medians["layerwise"]
        results[workload] = {"median_step_ms": {k: v * 1e3 for k, v in medians.items()}, "ratios": ratios}

    print(f"{'workload':<14}{'framework':<18}{'median ms/step':>16}")
    for workload, result in results.items():
        for name, value in result["median_step_ms"].items():
            print(f"{workload:<14}{name:<18}{value:>16.3f}")
        for name, value in result["ratios"].items():
            print(f"{workload:<14}{name:<32}{value:>8.2f}x")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"repetitions": args.repetitions, "results": results}, handle, indent=2)
        print(f"written {args.json}")


if __name__ == "__main__":
    main()
