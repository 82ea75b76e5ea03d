"""The Playground's settings: the original's URL keys, ranges, defaults and notices."""

import pytest

from layerwise.playground import state

# The link the course's lesson plan hands out (keys and order as the original writes them).
COURSE_LINK = (
    "activation=tanh&batchSize=10&dataset=spiral&regDataset=reg-plane&learningRate=0.03&regularizationRate=0"
    "&noise=0&networkShape=8&seed=0.14370&showTestData=false&discretize=false&percTrainData=50&x=true&y=true"
    "&xTimesY=true&xSquared=true&ySquared=true&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false"
    "&problem=classification&initZero=false&hideText=false"
)


def test_defaults_are_the_originals():
    settings, notices = state.parse_hash("")
    assert notices == []
    assert settings["activation"] == "tanh" and settings["learningRate"] == 0.03
    assert settings["batchSize"] == 10 and settings["networkShape"] == [4, 2]
    assert settings["dataset"] == "circle" and settings["regDataset"] == "reg-plane"
    assert settings["problem"] == "classification" and settings["percTrainData"] == 50
    assert settings["noise"] == 0 and settings["regularization"] == "none"
    assert settings["regularizationRate"] == 0
    assert state.active_feature_keys(settings) == ["x", "y"]
    seed = settings["seed"]
    assert len(seed) == 7 and seed.startswith("0.")


def test_the_course_link_is_read_without_notices_and_written_back():
    settings, notices = state.parse_hash("#" + COURSE_LINK)
    assert notices == []
    assert settings["dataset"] == "spiral" and settings["networkShape"] == [8]
    assert state.active_feature_keys(settings) == ["x", "y", "xSquared", "ySquared", "xTimesY"]
    written = state.serialize(settings)
    pairs = dict(item.split("=") for item in written.split("&"))
    for item in COURSE_LINK.split("&"):
        key, value = item.split("=")
        assert pairs[key] == value, key
    # The original also writes the regularization, which the course link leaves out.
    assert pairs["regularization"] == "none"
    again, notices = state.parse_hash(written)
    assert again == settings and notices == []


def test_unknown_keys_and_bad_values_fall_back_with_notices():
    settings, notices = state.parse_hash(
        "dataset=moons&learningRate=99&batchSize=2.5&noise=-5&networkShape=9,9&activation=softmax"
        "&x=maybe&percTrainData=abc&colour=red&seed=a%20b&regularizationRate=0.5")
    assert notices == [
        "dataset=moons is not one of circle, xor, gauss, spiral; using circle.",
        "learningRate=99 is out of range (0.00001 to 10); using 0.03.",
        "batchSize=2.5 is not a whole number; using 10.",
        "noise=-5 is out of range (0 to 50); using 0.",
        "networkShape=9,9: each layer needs 1 to 8 neurons; using 4,2.",
        "activation=softmax is not one of relu, tanh, sigmoid, linear; using tanh.",
        "x=maybe is not true or false; using true.",
        "percTrainData=abc is not a number; using 50.",
        "Unknown setting 'colour' ignored.",
        "seed=a b is not a seed (letters, digits, '.', '_' or '-', at most 40); using a new random seed.",
    ]
    assert settings["dataset"] == "circle" and settings["learningRate"] == 0.03
    assert settings["networkShape"] == [4, 2] and settings["activation"] == "tanh"
    assert settings["regularizationRate"] == 0.5  # in range, though not in the menu


def test_layer_limits():
    assert state.parse_value("networkShape", "") == []
    assert state.parse_value("networkShape", "8,8,8,8,8,8") == [8] * 6
    with pytest.raises(state.SettingError, match=r"^networkShape=1,1,1,1,1,1,1 has 7 hidden layers; the most is 6$"):
        state.parse_value("networkShape", "1,1,1,1,1,1,1")
    with pytest.raises(state.SettingError, match=r"^networkShape=4,0: each layer needs 1 to 8 neurons$"):
        state.parse_value("networkShape", "4,0")


@pytest.mark.parametrize("key, text, value", [
    ("learningRate", "0.00001", 0.00001), ("learningRate", "10", 10), ("learningRate", "1e-3", 0.001),
    ("percTrainData", "10", 10), ("percTrainData", "90", 90), ("noise", "50", 50), ("batchSize", "1", 1),
    ("batchSize", "30", 30), ("regularizationRate", "0", 0), ("regularization", "L1", "L1"),
    ("problem", "regression", "regression"), ("regDataset", "reg-gauss", "reg-gauss"),
    ("showTestData", "true", True), ("playButton_hide", "true", True), ("xSquared_hide", "false", False),
])
def test_values_at_the_edges_of_their_ranges_are_taken(key, text, value):
    assert state.parse_value(key, text) == value


@pytest.mark.parametrize("key, text, message", [
    ("learningRate", "0.000001", "learningRate=0.000001 is out of range (0.00001 to 10)"),
    ("percTrainData", "5", "percTrainData=5 is out of range (10 to 90)"),
    ("noise", "51", "noise=51 is out of range (0 to 50)"),
    ("batchSize", "31", "batchSize=31 is out of range (1 to 30)"),
    ("regularizationRate", "nan", "regularizationRate=nan is out of range (0 to 10)"),
    ("foo_hide", "true", "Unknown setting 'foo_hide'"),
])
def test_values_outside_their_ranges_are_refused(key, text, message):
    with pytest.raises(state.SettingError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        state.parse_value(key, text)


def test_hidden_controls_and_features():
    settings, notices = state.parse_hash("playButton_hide=true&xSquared_hide=true&xSquared=true")
    assert notices == []
    assert settings["playButton_hide"] is True
    assert "xSquared" not in state.visible_feature_keys(settings)
    assert state.active_feature_keys(settings) == ["x", "y"]
    assert state.serialize(settings).endswith("&playButton_hide=true&xSquared_hide=true")


def test_a_network_keeps_at_least_one_feature():
    settings, notices = state.parse_hash("x=false&y=false")
    assert notices == ["No input feature was selected; using X1 and X2."]
    assert state.active_feature_keys(settings) == ["x", "y"]


def test_tutorials_are_not_part_of_this_playground():
    settings, notices = state.parse_hash("tutorial=dp-neurons")
    assert notices == ["tutorial=dp-neurons: the layerwise Playground has no tutorial pages; ignored."]
    assert settings["tutorial"] is None


def test_numbers_are_written_as_javascript_writes_them():
    assert state.format_number(0.00001) == "0.00001"
    assert state.format_number(0.03) == "0.03"
    assert state.format_number(10.0) == "10"
    assert state.format_number(0.1 + 0.2) == "0.30000000000000004"


def test_current_dataset_follows_the_problem():
    settings, _ = state.parse_hash("problem=regression&regDataset=reg-gauss&dataset=xor")
    assert state.current_dataset(settings) == "reg-gauss"
    settings["problem"] = "classification"
    assert state.current_dataset(settings) == "xor"
