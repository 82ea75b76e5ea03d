"""The benchmark command's pieces work (timings themselves are never asserted)."""

import layerwise
from benchmarks import __main__ as command
from benchmarks import runners


def test_layerwise_runner_reports_every_measure(monkeypatch):
    monkeypatch.setattr(runners, "PREDICT_MANY", 64)
    monkeypatch.setattr(runners, "PREDICT_ONE_CALLS", 2)
    result = runners.run_keras_like(layerwise, "weather_mlp", repetitions=2)
    assert set(result) == {"step_seconds", "predict_one_seconds", "predict_many_seconds"}
    assert len(result["step_seconds"]) == 2 and all(t > 0 for t in result["step_seconds"])


def test_torch_reference_trains_the_same_shapes(monkeypatch):
    monkeypatch.setattr(runners, "PREDICT_MANY", 64)
    monkeypatch.setattr(runners, "PREDICT_ONE_CALLS", 2)
    for workload in ("cifar_cnn", "imdb_lstm"):
        monkeypatch.setitem(runners.WORKLOADS, workload, (64,) + runners.WORKLOADS[workload][1:])
        result = runners.run_torch(workload, repetitions=1, device="cpu")
        assert len(result["predict_many_seconds"]) == 1


def test_table_prints_ratios(capsys):
    medians = {"layerwise": 1.0, "torch": 0.5, "keras-torch": 4.0}
    result = {
        "medians": {key: medians for key in command.MEASURES},
        "ratios": {key: {"layerwise/torch": 2.0, "keras-torch/layerwise": 4.0} for key in command.MEASURES},
        "peak_rss_mb": {"layerwise": 200.0, "torch": 150.0, "keras-torch": 500.0},
    }
    command.print_table({"weather_mlp": result}, {"torch": 1.0, "layerwise": 1.2})
    out = capsys.readouterr().out
    assert "keras-torch/layerwise" in out and "4.00x" in out
    assert "import layerwise - import torch" in out and "0.200 s" in out


def test_unknown_workload_is_refused(capsys):
    import pytest

    with pytest.raises(SystemExit):
        command.main(["weather"])
    assert "unknown workload(s) ['weather']" in capsys.readouterr().err


def test_kernel_floor_times_the_cnn_step_convolutions():
    import torch

    from benchmarks import kernel_floor

    calls = kernel_floor._convolution_calls("cpu")
    # Forward and backward for each of the two convolutions; forwards also count the validation share.
    assert [weight for _, weight in calls] == [1.2, 1.0, 1.2, 1.0]
    first_input_grad, first_kernel_grad, first_bias_grad = calls[1][0]()
    assert first_input_grad is None  # the images need no gradient
    assert first_kernel_grad.shape == (50, 3, 3, 3) and first_bias_grad.shape == (50,)
    assert calls[2][0]().shape == (32, 50, 28, 28)
    second_input_grad = calls[3][0]()[0]
    assert isinstance(second_input_grad, torch.Tensor) and second_input_grad.shape == (32, 50, 30, 30)
    assert kernel_floor.kernel_seconds(repetitions=1, calls_per_repetition=1) > 0
