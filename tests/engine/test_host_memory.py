"""layerwise keeps freed host memory for reuse during fit/evaluate/predict (engine/host_memory.py)."""

import json
import os
import platform
import subprocess
import sys

import pytest

from layerwise.engine import host_memory

ON_GLIBC = platform.libc_ver()[0] == "glibc"

# Conv2D training (CIFAR-shaped activations of ~6 MB): after two warm-up epochs, the page faults per
# step of four more epochs (16 steps), and what keep_freed_memory decided.
_FIT_AND_COUNT_FAULTS = """
import json, resource
import numpy as np
import layerwise as keras
from layerwise.engine import host_memory
rng = np.random.default_rng(0)
x = rng.normal(size=(128, 32, 32, 3)).astype("float32")
y = rng.integers(0, 10, size=128)
model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(50, 3, activation="relu"),
                          keras.layers.Conv2D(50, 3, activation="relu"), keras.layers.Flatten(),
                          keras.layers.Dense(10)])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=2, verbose=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
model.fit(x, y, epochs=4, verbose=0)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"faults_per_step": faults / 16, "tuned": host_memory.keep_freed_memory()}))
"""


def _fit_in_fresh_process(**environment):
    env = {name: value for name, value in os.environ.items()
           if name not in ("GLIBC_TUNABLES", "LAYERWISE_KEEP_HOST_MEMORY") and not name.startswith("MALLOC_")}
    env.update(environment)
    out = subprocess.run([sys.executable, "-c", _FIT_AND_COUNT_FAULTS], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fit_reuses_freed_memory_instead_of_faulting_in_fresh_pages():
    tuned = _fit_in_fresh_process()
    untuned = _fit_in_fresh_process(LAYERWISE_KEEP_HOST_MEMORY="0")
    assert untuned["tuned"] is False
    assert tuned["tuned"] is ON_GLIBC
    if ON_GLIBC:
        # glibc by default maps ~6 MB blocks afresh: hundreds to thousands of faults per step (one
        # activation is ~1,500 pages). Tuned, the steps reuse the heap.
        assert untuned["faults_per_step"] > 300
        assert tuned["faults_per_step"] < untuned["faults_per_step"] / 5


@pytest.mark.parametrize("environ", [
    {"LAYERWISE_KEEP_HOST_MEMORY": "0"},
    {"LAYERWISE_KEEP_HOST_MEMORY": "off"},
    {"LAYERWISE_KEEP_HOST_MEMORY": "False"},
    {"MALLOC_TRIM_THRESHOLD_": "100000"},
    {"MALLOC_MMAP_THRESHOLD_": "100000"},
    {"MALLOC_TOP_PAD_": "100000"},
    {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=100000"},
])
def test_opt_out_and_the_users_own_malloc_settings_are_respected(environ):
    assert host_memory.tuning_wanted(environ) is False


@pytest.mark.parametrize("environ", [{}, {"LAYERWISE_KEEP_HOST_MEMORY": "1"},
                                     {"GLIBC_TUNABLES": "glibc.pthread.rseq=0"}])
def test_tuned_by_default_where_the_c_library_is_glibc(environ):
    assert host_memory.tuning_wanted(environ) is ON_GLIBC


def test_the_decision_is_taken_once_per_process():
    first = host_memory.keep_freed_memory()
    assert host_memory.keep_freed_memory() is first


def test_custom_loops_of_train_on_batch_are_tuned_too():
    script = ("import numpy as np, layerwise as keras\n"
              "from layerwise.engine import host_memory\n"
              "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
              "model.compile(optimizer='sgd', loss='mse')\n"
              "assert host_memory._decision is None\n"
              "model.train_on_batch(np.ones((4, 2), 'float32'), np.ones((4, 1), 'float32'))\n"
              "print(host_memory._decision)\n")
    env = {name: value for name, value in os.environ.items() if name != "LAYERWISE_KEEP_HOST_MEMORY"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                         check=True)
    assert out.stdout.strip() == str(host_memory.tuning_wanted(env))
