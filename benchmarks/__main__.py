"""Side-by-side speed: ``python -m benchmarks [--repetitions N] [--device cpu|cuda] [--json PATH] [WORKLOAD ...]``.

For each of the course's workloads (the weather MLP, the MNIST-shaped MLP,
the CIFAR-shaped CNN and the IMDB-shaped LSTM; batch size 32, Adam,
validation every epoch) it measures, each framework in its own process:

* ``fit`` time per training step,
* ``predict`` on one sample and on 10,000 samples,
* the process's peak memory,

for layerwise, a hand-written PyTorch loop doing the same work (the
reference), and Keras 3 on every installed backend (torch always; JAX and
TensorFlow when present). It also times ``import``. It prints medians of
several repetitions and the ratios, and writes them as JSON:

* ``layerwise/torch``: 1.0 means as fast as the hand-written loop;
* ``keras-<backend>/layerwise``: how many times faster layerwise is.

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

MEASURES = {  # key in the runner's JSON -> (label, unit scale, unit)
    "step_seconds": ("fit, per step", 1e3, "ms"),
    "predict_one_seconds": ("predict, 1 sample", 1e3, "ms"),
    "predict_many_seconds": ("predict, 10,000 samples", 1.0, "s"),
}


def keras_backends():
    """Keras 3's backends that are installed here (torch first)."""
    if not importlib.util.find_spec("keras"):
        return []
    return ["torch"] + [name for name, module in (("jax", "jax"), ("tensorflow", "tensorflow"))
                        if importlib.util.find_spec(module)]


def _environment(device, extra=None):
    env = {**os.environ, **(extra or {})}
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""  # every framework on the CPU, even on a GPU machine
    else:
        env["LAYERWISE_DEVICE"] = device
    return env


def _run(framework, workload, repetitions, device, env_extra=None):
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.runners", framework, workload, str(repetitions), device],
        capture_output=True, text=True, env=_environment(device, env_extra), check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{framework} on {workload} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_seconds(statement, repetitions, env_extra=None):
    """Median wall time of ``statement`` (an import) in a fresh interpreter, bytecode already cached.

    Installed packages import from cached bytecode; a first, untimed run writes
    it for sources that have none yet (an editable checkout), so every library
    is timed the way a user meets it.
    """
    code = f"import time; start = time.perf_counter(); {statement}; print(time.perf_counter() - start)"
    env = _environment("cpu", env_extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times = []
    for _ in range(repetitions + 1):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times[1:])


def measure_workload(workload, repetitions, device):
    """Medians and ratios of every measure for every framework on one workload."""
    frameworks = {"layerwise": None, "torch": None}
    frameworks.update({f"keras-{backend}": {"KERAS_BACKEND": backend} for backend in keras_backends()})
    raw = {name: _run(name, workload, repetitions, device, env) for name, env in frameworks.items()}
    result = {"medians": {}, "ratios": {}, "peak_rss_mb": {name: raw[name]["peak_rss_mb"] for name in raw}}
    for key in MEASURES:
        medians = {name: statistics.median(raw[name][key]) for name in raw}
        result["medians"][key] = medians
        ratios = {"layerwise/torch": medians["layerwise"] / medians["torch"]}
        ratios.update({f"{name}/layerwise": value / medians["layerwise"]
                       for name, value in medians.items() if name.startswith("keras-")})
        result["ratios"][key] = ratios
    return result


def print_table(results, imports):
    frameworks = list(next(iter(results.values()))["peak_rss_mb"]) if results else []
    width = 24
    print(f"{'workload / measure':<34}" + "".join(f"{name:>{width}}" for name in frameworks))
    for workload, result in results.items():
        for key, (label, scale, unit) in MEASURES.items():
            medians = result["medians"][key]
            cells = [f"{medians[name] * scale:.3f} {unit}" for name in frameworks]
            print(f"{workload + ', ' + label:<34}" + "".join(f"{cell:>{width}}" for cell in cells))
        print(f"{workload + ', peak memory':<34}"
              + "".join(f"{result['peak_rss_mb'][name]:>{width - 3}.0f} MB" for name in frameworks))
    print()
    print(f"{'workload':<14}{'ratio':<28}{'measure':<26}{'value':>10}")
    for workload, result in results.items():
        for key, (label, _, _) in MEASURES.items():
            for name, value in result["ratios"][key].items():
                print(f"{workload:<14}{name:<28}{label:<26}{value:>9.2f}x")
    if imports:
        print()
        for name, seconds in imports.items():
            print(f"import {name:<27}{seconds:>10.3f} s")
        print(f"{'import layerwise - import torch':<34}{imports['layerwise'] - imports['torch']:>10.3f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS),
                        help=f"any of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--repetitions", type=int, default=5, help="repetitions per measure (median taken)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    parser.add_argument("--skip-imports", action="store_true", help="do not time the imports")
    args = parser.parse_args(argv)
    unknown = [name for name in args.workloads if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")

    results = {workload: measure_workload(workload, args.repetitions, args.device)
               for workload in args.workloads}
    imports = {}
    if not args.skip_imports:
        imports = {"torch": import_seconds("import torch", args.repetitions),
                   "layerwise": import_seconds("import layerwise", args.repetitions)}
        imports.update({f"keras-{backend}": import_seconds("import keras", args.repetitions,
                                                           {"KERAS_BACKEND": backend})
                        for backend in keras_backends()})
    print_table(results, imports)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"repetitions": args.repetitions, "device": args.device, "results": results,
                       "import_seconds": imports}, handle, indent=2)
        print(f"written {args.json}")


if __name__ == "__main__":
    main()
