"""The main job: the weather lesson trains, beats the baseline and draws its loss curves."""

import subprocess
import sys

import numpy as np

from layerwise import demo


def test_lesson_data_shapes_and_target_is_tomorrow():
    x, y, features = demo.load_lesson_data()
    assert x.shape == (365 * 3, 89) and y.shape == (365 * 3,)
    sunshine = features.index("BASEL_sunshine")
    np.testing.assert_array_equal(x[1:, sunshine], y[:-1])  # tomorrow's target is the next day's value


def test_demo_beats_the_baseline_and_writes_the_plot(tmp_path, capsys):
    import matplotlib.image

    result = demo.run(epochs=40, seed=0, plot_path=str(tmp_path / "curves.png"), verbose=0)
    out = capsys.readouterr().out
    assert 'Model: "weather_prediction"' in out and "baseline (tomorrow = today)" in out
    assert result["test_rmse"] < result["baseline_rmse"]
    image = matplotlib.image.imread(result["plot"])
    assert image.shape[0] > 100 and image.shape[1] > 100


def test_cli_demo_runs(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "layerwise.cli", "demo", "--epochs", "3", "--plot", ""],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )
    assert "Epoch 3/3" in completed.stdout and "Test RMSE, neural network:" in completed.stdout
