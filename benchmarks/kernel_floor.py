"""How close the CNN's ``fit`` step is to its convolution kernels: ``python -m benchmarks.kernel_floor [--repetitions N]``.

The CIFAR-shaped CNN of ``python -m benchmarks`` spends its step in
oneDNN's convolutions, which layerwise and Keras's torch backend both call.
This times those kernels alone -- the forward and backward convolutions of
one training step plus the forward convolutions of its share of the
validation batches, called directly on tensors that stay allocated (hot
caches, no allocation, no Python around them) -- and, in the same run,
layerwise's and Keras-torch's whole ``fit`` step (each in its own process,
as ``python -m benchmarks`` runs them). No framework can make its step
faster than the kernels it calls, so

* ``layerwise / kernels`` says how much of layerwise's step is not kernel time;
* ``keras-torch / kernels`` is the most any library on these kernels can be
  faster than Keras's torch backend on this machine.

Timings are never asserted in tests; quote the ratios, not the seconds.
"""

import argparse
import statistics
import time

from benchmarks.runners import BATCH_SIZE

# The CNN's two convolutions as (input channels, output channels, input side); 3x3 kernels, stride 1, valid.
CONVOLUTIONS = ((3, 50, 32), (50, 50, 30))
# The benchmark validates on one fifth as many samples as it trains on: 0.2 forward batches per step.
VALIDATION_SHARE = 0.2


def _convolution_calls(device):
    """The kernel calls of one training step and its validation share, as argument-less callables."""
    import torch

    calls = []
    for index, (channels_in, channels_out, side) in enumerate(CONVOLUTIONS):
        # channels_last memory, as both libraries hand channels_last images to torch.
        x = torch.randn(BATCH_SIZE, side, side, channels_in, device=device).permute(0, 3, 1, 2)
        kernel = torch.randn(3, 3, channels_in, channels_out, device=device).permute(3, 2, 0, 1)
        bias = torch.zeros(channels_out, device=device)
        grad = torch.randn(BATCH_SIZE, side - 2, side - 2, channels_out, device=device).permute(0, 3, 1, 2)
        # The first convolution needs no gradient for its input (the images).
        mask = [index > 0, True, True]

        def forward(x=x, kernel=kernel, bias=bias):
            return torch.nn.functional.conv2d(x, kernel, bias)

        def backward(x=x, kernel=kernel, grad=grad, mask=mask):
            return torch.ops.aten.convolution_backward(grad, x, kernel, [kernel.shape[0]], [1, 1], [0, 0],
                                                       [1, 1], False, [0, 0], 1, mask)

        calls += [(forward, 1.0 + VALIDATION_SHARE), (backward, 1.0)]
    return calls


def kernel_seconds(repetitions, device="cpu", calls_per_repetition=10):
    """Median seconds of the convolution kernels of one CNN training step (with its validation share)."""
    import torch

    calls = _convolution_calls(device)
    for call, _ in calls:
        call()
    totals = []
    for _ in range(repetitions):
        total = 0.0
        for call, weight in calls:
            start = time.perf_counter()
            for _ in range(calls_per_repetition):
                call()
            if device != "cpu":
                torch.cuda.synchronize()
            total += weight * (time.perf_counter() - start) / calls_per_repetition
        totals.append(total)
    return statistics.median(totals)


def main(argv=None):
    from benchmarks.__main__ import _run

    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernel_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    arguments = parser.parse_args(argv)
    steps = {}
    floors = []
    # Interleaved, so that machine load falls on every measurement alike.
    for _ in range(2):
        floors.append(kernel_seconds(arguments.repetitions))
        for framework in ("layerwise", "keras-torch"):
            result = _run(framework, "cifar_cnn", arguments.repetitions, "cpu",
                          {"KERAS_BACKEND": "torch"} if framework == "keras-torch" else None)
            steps.setdefault(framework, []).extend(result["step_seconds"])
    floor = statistics.median(floors)
    layerwise_step = statistics.median(steps["layerwise"])
    keras_step = statistics.median(steps["keras-torch"])
    print(f"convolution kernels alone      {floor * 1e3:8.2f} ms per step")
    print(f"layerwise fit step             {layerwise_step * 1e3:8.2f} ms")
    print(f"keras-torch fit step           {keras_step * 1e3:8.2f} ms")
    print(f"layerwise / kernels            {layerwise_step / floor:8.2f}x")
    print(f"keras-torch / layerwise        {keras_step / layerwise_step:8.2f}x")
    print(f"keras-torch / kernels          {keras_step / floor:8.2f}x  (the most any library on these kernels can gain)")


if __name__ == "__main__":
    main()
