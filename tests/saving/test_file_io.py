"""atomic_write: a file or directory appears whole, or not at all."""

import os

import pytest

from layerwise.saving.file_io import atomic_write


def _leftovers(directory):
    return [name for name in os.listdir(directory) if name.startswith(".")]


def test_a_written_file_replaces_the_old_one_whole(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with atomic_write(target) as temporary:
        assert os.path.dirname(temporary) == str(tmp_path) and temporary != str(target)
        with open(temporary, "w") as handle:
            handle.write("new")
        assert target.read_text() == "old"  # readers see the old file until the rename
    assert target.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_write(target) as temporary:
        with open(temporary, "w") as handle:
            handle.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_directory_is_replaced_only_when_the_new_one_is_complete(tmp_path):
    target = tmp_path / "my_model"
    target.mkdir()
    (target / "config.json").write_text("old")
    with atomic_write(target, directory=True) as temporary:
        with open(os.path.join(temporary, "config.json"), "w") as handle:
            handle.write("new")
        assert (target / "config.json").read_text() == "old"
    assert (target / "config.json").read_text() == "new"
    assert _leftovers(tmp_path) == []
