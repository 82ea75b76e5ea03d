"""Which format a path means: the dispatch of save_model / load_model / save_weights / load_weights."""

import re

import pytest
from saving_helpers import tiny_model

import layerwise
from layerwise.saving import legacy_h5


@pytest.fixture
def legacy_calls(monkeypatch):
    """Replace the four legacy HDF5 entry points with recorders."""
    calls = []
    monkeypatch.setattr(legacy_h5, "save_model_to_hdf5",
                        lambda model, filepath, overwrite=True, include_optimizer=True:
                        calls.append(("save_model", filepath, overwrite, include_optimizer)))
    monkeypatch.setattr(legacy_h5, "load_model_from_hdf5",
                        lambda filepath, custom_objects=None, compile=True, safe_mode=True:
                        calls.append(("load_model", filepath, custom_objects, compile, safe_mode)) or "model")
    monkeypatch.setattr(legacy_h5, "save_weights_to_hdf5",
                        lambda model, filepath: calls.append(("save_weights", filepath)))
    monkeypatch.setattr(legacy_h5, "load_weights_from_hdf5",
                        lambda model, filepath, by_name=False, skip_mismatch=False:
                        calls.append(("load_weights", filepath, by_name, skip_mismatch)))
    return calls


def test_h5_paths_go_to_the_legacy_format(tmp_path, legacy_calls):
    model = tiny_model()
    model.save(tmp_path / "model.h5", include_optimizer=False)
    model.save(tmp_path / "model.hdf5")
    (tmp_path / "model.h5").write_bytes(b"")
    assert layerwise.models.load_model(tmp_path / "model.h5", custom_objects={"X": int}, compile=False) == "model"
    model.save_weights(tmp_path / "weights.h5")
    (tmp_path / "weights.h5").write_bytes(b"")
    model.load_weights(tmp_path / "weights.h5", by_name=True, skip_mismatch=True)
    assert legacy_calls == [
        ("save_model", str(tmp_path / "model.h5"), True, False),
        ("save_model", str(tmp_path / "model.hdf5"), True, True),
        ("load_model", str(tmp_path / "model.h5"), {"X": int}, False, True),
        ("save_weights", str(tmp_path / "weights.h5")),
        ("load_weights", str(tmp_path / "weights.h5"), True, True),
    ]


def test_save_format_of_keras2_code(tmp_path, legacy_calls, capsys):
    model = tiny_model()
    with pytest.warns(DeprecationWarning, match="The `save_format` argument is deprecated in Keras 3"):
        model.save(tmp_path / "as_h5", save_format="h5")
    assert legacy_calls == [("save_model", str(tmp_path / "as_h5"), True, True)]
    with pytest.warns(DeprecationWarning):
        model.save(tmp_path / "saved_model", save_format="tf")
    assert layerwise.models.load_model(tmp_path / "saved_model").count_params() == model.count_params()
    with pytest.raises(ValueError, match="^" + re.escape(
            "save_format='pickle' is not a format: use a path ending in '.keras' (recommended) or '.h5', or a "
            "name without extension for a directory.") + "$"):
        model.save(tmp_path / "x", save_format="pickle")
    with pytest.raises(ValueError, match=re.escape("The following argument(s) are not supported: ['options']")):
        model.save(tmp_path / "x.keras", options=None)


def test_load_model_explains_what_it_cannot_read(tmp_path):
    with pytest.raises(FileNotFoundError, match="^" + re.escape(
            f"No model file or directory at '{tmp_path / 'missing.keras'}'.") + "$"):
        layerwise.models.load_model(tmp_path / "missing.keras")
    (tmp_path / "saved_model").mkdir()
    (tmp_path / "saved_model" / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ValueError, match="^" + re.escape(
            f"'{tmp_path / 'saved_model'}' is a directory without config.json, so not a model saved by "
            "model.save(). (A TensorFlow SavedModel directory, which Keras 2 wrote, cannot be read by "
            "layerwise or Keras 3: save the model as '.keras' or '.h5' with the program that made it.)") + "$"):
        layerwise.models.load_model(tmp_path / "saved_model")
    tiny_model().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="^" + re.escape(
            f"'{tmp_path / 'w.weights.h5'}' holds only weights, not a model. Build the model (the same "
            f"architecture), then call model.load_weights('{tmp_path / 'w.weights.h5'}').") + "$"):
        layerwise.models.load_model(tmp_path / "w.weights.h5")
    tiny_model().save(tmp_path / "model.keras")
    (tmp_path / "model.keras").rename(tmp_path / "model.zip")
    with pytest.raises(ValueError, match="^" + re.escape(
            f"File format not supported: filepath={tmp_path / 'model.zip'}. layerwise reads '.keras' files, "
            "model directories and legacy '.h5' files. It is a zip: if it is a .keras file, give it the "
            "'.keras' extension.") + "$"):
        layerwise.models.load_model(tmp_path / "model.zip")


def test_save_model_function_and_keyword_paths(tmp_path):
    model = tiny_model()
    layerwise.saving.save_model(model, str(tmp_path / "model.keras"))
    loaded = layerwise.saving.load_model(str(tmp_path / "model.keras"))
    assert loaded.count_params() == model.count_params()
    with pytest.raises(TypeError, match="^" + re.escape("save_model expects a layerwise Model, got Dense.") + "$"):
        layerwise.saving.save_model(model.layers[0], tmp_path / "layer.keras")
    with pytest.raises(TypeError, match="^" + re.escape("`filepath` must be a path (str or pathlib.Path), got int.")):
        model.save(3)
