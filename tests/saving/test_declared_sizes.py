"""A file's config cannot make layerwise allocate a huge weight: it is refused before allocation."""

import zipfile

import h5py
import pytest

import layerwise
from layerwise.saving import UnsafeFileError

MESSAGE = (r"Refused Dense 'dense(_\d+)?' weight 'kernel': the config declares shape \(4, 10000000000\) "
           r"\(160,000,000,000 bytes\), more than the 4,294,967,296 bytes a weight may take\.")


def _model():
    return layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(3)])


def _inflate(text):
    return text.replace('"units": 3', '"units": 10000000000')


def test_json_declaring_a_huge_layer_is_refused():
    with pytest.raises(UnsafeFileError, match=MESSAGE):
        layerwise.models.model_from_json(_inflate(_model().to_json()))


def test_keras_file_declaring_a_huge_layer_is_refused(tmp_path):
    path = tmp_path / "small.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = _inflate(members["config.json"].decode()).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(UnsafeFileError, match=MESSAGE):
        layerwise.models.load_model(path)


def test_legacy_h5_declaring_a_huge_layer_is_refused(tmp_path):
    path = tmp_path / "small.h5"
    _model().save(path)
    with h5py.File(path, "r+") as h5:
        config = h5.attrs["model_config"]
        h5.attrs["model_config"] = _inflate(config if isinstance(config, str) else config.decode())
    with pytest.raises(UnsafeFileError, match=MESSAGE):
        layerwise.models.load_model(path)


def test_the_cap_applies_only_while_a_loader_builds_from_a_file():
    from layerwise.saving import safety

    safety.check_allocation((4, 10**10), 4, "a weight")  # code the user wrote is not second-guessed
    with safety.untrusted_sizes(), pytest.raises(UnsafeFileError, match="Refused a weight: the config declares"):
        safety.check_allocation((4, 10**10), 4, "a weight")
    safety.check_allocation((4, 10**10), 4, "a weight")  # the scope ends with the block
