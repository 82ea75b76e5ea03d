"""evaluate_against_baseline: the model's metrics beside a baseline's, as the weather lesson compares them."""

import numpy as np
import pandas as pd
import pytest

import layerwise as keras
from layerwise.demo import build_model, load_lesson_data, split
from layerwise.tuning import evaluate_against_baseline


@pytest.fixture(scope="module")
def weather():
    x, y, features = load_lesson_data()
    (x_train, y_train), _, (x_test, y_test) = split(x, y, 0)
    return x_train, y_train, x_test, y_test, features


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2)))


def test_weather_model_against_tomorrow_equals_today(weather, capsys):
    x_train, y_train, x_test, y_test, features = weather
    model = build_model()
    model.fit(x_train, y_train, epochs=5, verbose=0)
    sunshine_today = x_test[:, features.index("BASEL_sunshine")]

    scores = model.evaluate_against_baseline(x_test, y_test, sunshine_today)

    assert list(scores) == ["model", "baseline"]
    assert list(scores["model"]) == ["root_mean_squared_error", "mean_absolute_error"]
    predictions = model.predict(x_test, verbose=0)[:, 0]
    assert scores["baseline"]["root_mean_squared_error"] == pytest.approx(rmse(sunshine_today, y_test), rel=1e-5)
    assert scores["model"]["root_mean_squared_error"] == pytest.approx(rmse(predictions, y_test), rel=1e-5)
    assert scores["model"]["root_mean_squared_error"] == pytest.approx(
        model.evaluate(x_test, y_test, verbose=0, return_dict=True)["root_mean_squared_error"], rel=1e-5)
    assert scores["baseline"]["mean_absolute_error"] == pytest.approx(
        float(np.mean(np.abs(sunshine_today - y_test))), rel=1e-5)

    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["metric", "model", "baseline"]
    rows = {line.split()[0]: line.split()[1:] for line in out[1:3]}
    for name in ("root_mean_squared_error", "mean_absolute_error"):
        assert float(rows[name][0]) == pytest.approx(scores["model"][name], rel=1e-3)
        assert float(rows[name][1]) == pytest.approx(scores["baseline"][name], rel=1e-3)
    better = sum(scores["model"][n] < scores["baseline"][n] for n in scores["model"])
    assert out[3] == f"The model does better than the baseline on {better} of 2 metrics."
    # The two columns side by side, as a table.
    assert list(pd.DataFrame(scores).columns) == ["model", "baseline"]


def test_function_form_with_chosen_metrics_and_a_pandas_baseline(weather):
    _x_train, _y_train, x_test, y_test, features = weather
    model = build_model()
    frame = pd.DataFrame(x_test, columns=features)
    r2 = keras.metrics.R2Score()
    r2.update_state(np.array([[1.0], [2.0]]), np.array([[1.0], [3.0]]))
    r2_state = [v.numpy().copy() for v in r2.variables]
    scores = evaluate_against_baseline(model, frame, pd.Series(y_test), frame["BASEL_sunshine"],
                                       metrics=["mse", r2], verbose=0)
    assert list(scores["model"]) == ["mean_squared_error", "r2_score"]
    assert scores["baseline"]["mean_squared_error"] == pytest.approx(
        rmse(x_test[:, features.index("BASEL_sunshine")], y_test) ** 2, rel=1e-5)
    # The user's metric object is not used: a fresh one from its config is (its state is left alone).
    assert len(r2_state) == 5
    for before, variable in zip(r2_state, r2.variables):
        np.testing.assert_array_equal(before, variable.numpy())


def test_classification_defaults_to_accuracy(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0).astype("int64")  # classes 0, 1, 2
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    majority = np.zeros((200, 3), dtype="float32")
    majority[:, np.bincount(y).argmax()] = 1.0  # "always the most common class"
    scores = model.evaluate_against_baseline(x, y, majority, print_fn=print)
    assert list(scores["model"]) == ["accuracy"]
    assert scores["baseline"]["accuracy"] == pytest.approx(np.mean(y == np.bincount(y).argmax()))
    expected = np.mean(model.predict(x, verbose=0).argmax(axis=1) == y)
    assert scores["model"]["accuracy"] == pytest.approx(expected)
    assert "accuracy" in capsys.readouterr().out


def test_sample_counts_must_match(weather):
    _x_train, _y_train, x_test, y_test, _features = weather
    model = build_model()
    with pytest.raises(ValueError) as error:
        evaluate_against_baseline(model, x_test, y_test, y_test[:-1], verbose=0)
    n = len(y_test)
    assert str(error.value) == (
        f"evaluate_against_baseline: y has {n} samples, the model predicts {n} from x, and baseline_predictions "
        f"has {n - 1}; all three must describe the same samples.")


def test_empty_metrics_and_unknown_metrics_are_refused(weather):
    _x_train, _y_train, x_test, y_test, _features = weather
    model = build_model()
    with pytest.raises(ValueError) as error:
        evaluate_against_baseline(model, x_test, y_test, y_test, metrics=[], verbose=0)
    assert str(error.value) == "evaluate_against_baseline: `metrics` is empty; give at least one metric or None."
    with pytest.raises(ValueError, match="Unknown"):
        evaluate_against_baseline(model, x_test, y_test, y_test, metrics=["no_such_metric"], verbose=0)
