"""The documented command that draws the example PNGs: examples/monitoring_plots.py."""

import importlib.util
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "monitoring_plots.py")


def test_example_writes_the_lr_finder_and_diagnostics_pngs(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("monitoring_plots", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    # An empty MNIST folder: the example falls back to its synthetic digits (and says so).
    assert example.main(["--out", str(tmp_path), "--epochs", "3", "--mnist", str(tmp_path / "none")]) == 0
    plt.close("all")
    for name in ("lr_finder.png", "diagnostics_report.png"):
        with open(tmp_path / name, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "Learning-rate range test on synthetic MNIST-shaped digits (MNIST files not found):" in out
    assert "Diagnostics report (3 epochs)" in out
    assert "The model does better than the baseline on" in out
