"""Hostile and broken model files: each is refused whole, with a message saying what and why."""

import json
import os
import re
import zipfile

import h5py
import numpy as np
import pytest
from saving_helpers import copy_h5, h5_bytes, members_of, tiny_model, write_zip

import layerwise
from layerwise.saving import UnsafeFileError
from layerwise.saving.keras_weights import WeightsMismatchError


@pytest.fixture
def good(tmp_path):
    """The members of a valid .keras file of ``tiny_model()``."""
    tiny_model().save(tmp_path / "good.keras")
    return members_of(tmp_path / "good.keras")


def variant(tmp_path, good, name, **replaced):
    members = dict(good)
    members.update(replaced)
    path = tmp_path / f"{name}.keras"
    write_zip(path, members)
    return path


def refused(path, message, error=UnsafeFileError, **kwargs):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        layerwise.models.load_model(path, **kwargs)


def edited_config(good, edit):
    config = json.loads(good["config.json"])
    edit(config)
    return json.dumps(config)


ADVICE = ("Loading never imports modules or calls functions named by a file. If it is your own, register "
          "it with @layerwise.saving.register_serializable() or pass it in custom_objects.")


# ---------------------------------------------------------------------- configs


def test_config_naming_os_system_is_refused(tmp_path, good):
    def edit(config):
        config["config"]["layers"][1] = {"module": "os", "class_name": "system",
                                         "config": {"command": "touch pwned"}, "registered_name": None}

    path = variant(tmp_path, good, "os_system", **{"config.json": edited_config(good, edit)})
    refused(path, f"Refused '{path}': its config names class 'system' from module 'os' (at config.layers[1]), "
                  f"which is not a layerwise class nor one registered in this process. {ADVICE}")
    assert not os.path.exists("pwned")


def test_config_naming_a_function_from_any_module_is_refused(tmp_path, good):
    def edit(config):
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "os", "class_name": "function", "config": "system", "registered_name": "function"}

    path = variant(tmp_path, good, "function", **{"config.json": edited_config(good, edit)})
    refused(path, f"Refused '{path}': its config names function 'system' from module 'os' (at "
                  f"config.layers[1].config.activation), which is not a layerwise function nor one "
                  f"registered in this process. {ADVICE}")


def test_config_naming_an_arbitrary_registered_name_is_refused(tmp_path, good):
    def edit(config):
        config["config"]["layers"][2] = {"module": "subprocess", "class_name": "Popen", "config": {},
                                         "registered_name": "subprocess>Popen"}

    path = variant(tmp_path, good, "popen", **{"config.json": edited_config(good, edit)})
    refused(path, f"Refused '{path}': its config names class 'subprocess>Popen' from module 'subprocess' "
                  f"(at config.layers[2]), which is not a layerwise class nor one registered in this "
                  f"process. {ADVICE}")


def test_unregistered_user_class_is_refused_until_passed_in_custom_objects(tmp_path):
    class Doubler(layerwise.layers.Layer):
        def call(self, x):
            return 2 * x

    model = layerwise.Sequential([layerwise.Input((3,)), Doubler(name="doubler")])
    path = tmp_path / "user.keras"
    model.save(path)
    refused(path, f"Refused '{path}': its config names class 'Doubler' from module "
                  f"'{Doubler.__module__}' (at config.layers[1]), which is not a layerwise class nor one "
                  f"registered in this process. {ADVICE}")
    loaded = layerwise.models.load_model(path, custom_objects={"Doubler": Doubler})
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 3)), verbose=0), [[2.0, 2.0, 2.0]])


def test_a_config_that_is_not_a_model_is_refused(tmp_path, good):
    def edit(config):
        config["class_name"] = "Dense"

    path = variant(tmp_path, good, "dense", **{"config.json": edited_config(good, edit)})
    refused(path, f"Refused '{path}': it describes a 'Dense', not a model (Sequential, Functional or a "
                  "registered Model subclass).")


def test_lambda_bytecode_is_refused_in_safe_mode(tmp_path):
    model = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Lambda(lambda x: x * 2)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    refused(path, f"Refused '{path}': layer Lambda 'lambda' carries a Python function as bytecode (at "
                  "config.layers[1].config.function); loading it would run code from the file. If you "
                  "trust the file, load it with safe_mode=False.")
    trusted = layerwise.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(trusted.predict(np.ones((1, 4)), verbose=0), 2 * np.ones((1, 4)))


def test_lambda_in_json_is_refused(good):
    text = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Lambda(lambda x: -x)]).to_json()
    with pytest.raises(UnsafeFileError, match=re.escape("Refused the JSON string: layer Lambda 'lambda' "
                                                        "carries a Python function as bytecode")):
        layerwise.models.model_from_json(text)


def test_json_naming_os_system_is_refused():
    config = json.loads(tiny_model().to_json())
    config["config"]["layers"][1] = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}
    with pytest.raises(UnsafeFileError, match="^" + re.escape(
            "Refused the JSON string: its config names class 'system' from module 'os' (at config.layers[1]), "
            f"which is not a layerwise class nor one registered in this process. {ADVICE}") + "$"):
        layerwise.models.model_from_json(json.dumps(config))


def test_config_that_is_not_json_or_too_deep_is_refused(tmp_path, good):
    path = variant(tmp_path, good, "not_json", **{"config.json": b"{not json"})
    refused(path, f"Refused '{path}': its config is not valid JSON (Expecting property name enclosed in "
                  "double quotes: line 1 column 2 (char 1)).")
    path = variant(tmp_path, good, "deep", **{"config.json": "[" * 100_000 + "]" * 100_000})
    refused(path, f"Refused '{path}': its JSON is nested too deeply to be a model config.")
    path = variant(tmp_path, good, "list", **{"config.json": "[1, 2]"})
    refused(path, f"Refused '{path}': its config is a JSON list, not an object describing a model.")


# ---------------------------------------------------------------------- HDF5 weights


def test_external_link_to_a_host_file_is_refused(tmp_path, good):
    def build(h5):
        h5["layers/dense/vars/0"] = np.zeros((4, 3), "float32")
        h5["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/")

    path = variant(tmp_path, good, "external", **{"model.weights.h5": h5_bytes(build)})
    refused(path, f"Refused '{path}/model.weights.h5': 'layers/dense/vars/1' is an HDF5 external link to "
                  "'/etc/passwd'; a model file may not point at other files.")


def test_external_link_in_a_weights_file_is_refused_and_the_model_unchanged(tmp_path):
    path = tmp_path / "external.weights.h5"
    with h5py.File(path, "w") as h5:
        h5["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/")
    model = tiny_model()
    before = model.get_weights()
    with pytest.raises(UnsafeFileError, match="^" + re.escape(
            f"Refused '{path}': 'layers/dense/vars/0' is an HDF5 external link to '/etc/passwd'; a model "
            "file may not point at other files.") + "$"):
        model.load_weights(path)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_soft_link_is_refused(tmp_path, good):
    def build(h5):
        h5["x"] = np.zeros(3, "float32")
        h5["layers/dense/vars/1"] = h5py.SoftLink("/x")

    path = variant(tmp_path, good, "soft", **{"model.weights.h5": h5_bytes(build)})
    refused(path, f"Refused '{path}/model.weights.h5': 'layers/dense/vars/1' is an HDF5 soft link to '/x'; "
                  "model files written by Keras or layerwise contain none.")


def test_dataset_with_external_storage_is_refused(tmp_path, good):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(bytes(48))

    def build(h5):
        h5.create_dataset("layers/dense/vars/0", shape=(4, 3), dtype="float32", external=[(str(raw), 0, 48)])

    path = variant(tmp_path, good, "external_storage", **{"model.weights.h5": h5_bytes(build)})
    refused(path, f"Refused '{path}/model.weights.h5': dataset 'layers/dense/vars/0' keeps its data in "
                  "external files; a model file must hold its own data.")


def test_weights_dataset_with_a_huge_declared_shape_is_refused(tmp_path, good):
    def edit(h5):
        del h5["layers/dense/vars/0"]
        h5.create_dataset("layers/dense/vars/0", shape=(100_000, 100_000), dtype="float32", chunks=(100, 100))

    path = variant(tmp_path, good, "huge", **{"model.weights.h5": copy_h5(good["model.weights.h5"], edit)})
    refused(path, f"Refused layer 'dense' (layers/dense) variable 0 (kernel) at 'layers/dense/vars/0' in "
                  f"'{path}': the file declares shape (100000, 100000) (40,000,000,000 bytes), more than the "
                  "4,294,967,296 bytes a weight may take.")


def test_wrong_variable_count_is_refused(tmp_path, good):
    def edit(h5):
        h5["layers/dense/vars/2"] = np.zeros(3, "float32")

    path = variant(tmp_path, good, "count", **{"model.weights.h5": copy_h5(good["model.weights.h5"], edit)})
    refused(path, f"Refused '{path}': layer 'dense' (layers/dense) has 2 variable(s) (kernel (4, 3), bias "
                  "(3,)), but the file holds 3 under 'layers/dense/vars'. The weights were saved from a "
                  "different model; rebuild the same architecture (or pass skip_mismatch=True to "
                  "load_weights to skip such layers).", error=WeightsMismatchError)


def test_wrong_shape_is_refused(tmp_path, good):
    def edit(h5):
        del h5["layers/dense_1/vars/0"]
        h5["layers/dense_1/vars/0"] = np.zeros((3, 5), "float32")

    path = variant(tmp_path, good, "shape", **{"model.weights.h5": copy_h5(good["model.weights.h5"], edit)})
    refused(path, f"Refused layer 'dense_1' (layers/dense_1) variable 0 (kernel) at 'layers/dense_1/vars/0' "
                  f"in '{path}': the file declares shape (3, 5), the model's variable has shape (3, 2).",
            error=WeightsMismatchError)


def test_wrong_dtype_is_refused(tmp_path, good):
    def strings(h5):
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = np.array([b"a", b"b", b"c"])

    path = variant(tmp_path, good, "strings", **{"model.weights.h5": copy_h5(good["model.weights.h5"], strings)})
    refused(path, f"Refused layer 'dense' (layers/dense) variable 1 (bias) at 'layers/dense/vars/1' in "
                  f"'{path}': its data type is |S1, not a number type; model weights are numbers.")

    def integers(h5):
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = np.zeros(3, "int64")

    path = variant(tmp_path, good, "ints", **{"model.weights.h5": copy_h5(good["model.weights.h5"], integers)})
    refused(path, f"Refused layer 'dense' (layers/dense) variable 1 (bias) at 'layers/dense/vars/1' in "
                  f"'{path}': the file stores int64, the model's variable is float32.",
            error=WeightsMismatchError)


def test_weights_no_layer_reads_are_refused(tmp_path, good):
    def edit(h5):
        h5["layers/dense_7/vars/0"] = np.zeros(3, "float32")

    path = variant(tmp_path, good, "extra", **{"model.weights.h5": copy_h5(good["model.weights.h5"], edit)})
    refused(path, f"Refused '{path}': it holds weights at 'layers/dense_7/vars' that no layer of this model "
                  "reads. The weights were saved from a different model; rebuild the same architecture.",
            error=WeightsMismatchError)


# ---------------------------------------------------------------------- the zip


def test_member_climbing_out_of_the_archive_is_refused(tmp_path, good):
    for name in ("../x", "/etc/cron.d/x", "assets/../../x", "C:/x", "assets\\..\\x"):
        path = tmp_path / "traversal.keras"
        write_zip(path, {**good, name: b"payload"})
        refused(path, f"Refused '{path}': it contains a member named {name!r}. Member names that are "
                      "absolute or climb out of the archive ('..') are never accepted; a .keras file holds "
                      "config.json, metadata.json and model.weights.h5.")
    assert not (tmp_path.parent / "x").exists()


def test_unknown_member_is_refused(tmp_path, good):
    path = tmp_path / "unknown.keras"
    write_zip(path, {**good, "run_me.py": b"import os"})
    refused(path, f"Refused '{path}': it contains an unknown member 'run_me.py'. A .keras file holds "
                  "config.json, metadata.json and model.weights.h5 (and assets/...); layerwise accepts "
                  "nothing else.")


def test_duplicate_member_is_refused(tmp_path, good):
    path = tmp_path / "duplicate.keras"
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_zip(path, list(good.items()) + [("config.json", good["config.json"])])
    refused(path, f"Refused '{path}': member 'config.json' appears twice; which copy is meant is ambiguous.")


def test_zip_bomb_is_refused_before_decompressing(tmp_path, good):
    path = tmp_path / "bomb.keras"
    write_zip(path, {**good, "model.weights.h5": bytes(20 * 1024**2)}, compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        stored = archive.getinfo("model.weights.h5").compress_size
    refused(path, f"Refused '{path}': member 'model.weights.h5' declares 20,971,520 bytes but stores only "
                  f"{stored:,}; it would expand more than 100 times, which is a decompression bomb, not a "
                  "model.")


def test_member_larger_than_its_limit_is_refused(tmp_path, good, monkeypatch):
    from layerwise.saving import archive

    monkeypatch.setitem(archive._LIMITS, "config.json", 100)
    path = tmp_path / "big_config.keras"
    write_zip(path, good)
    size = len(good["config.json"])
    refused(path, f"Refused '{path}': member 'config.json' declares {size:,} bytes, more than the 100 bytes "
                  "it may take.")


def test_truncated_files_are_refused(tmp_path, good):
    tiny_model().save(tmp_path / "whole.keras")
    raw = (tmp_path / "whole.keras").read_bytes()
    path = tmp_path / "cut.keras"
    path.write_bytes(raw[: len(raw) // 2])
    refused(path, f"Refused '{path}': it is not a zip archive (a .keras file is one), or it is truncated or "
                  "corrupt (File is not a zip file).")

    weights = good["model.weights.h5"]
    path = variant(tmp_path, good, "cut_weights", **{"model.weights.h5": weights[: len(weights) // 2]})
    with pytest.raises(UnsafeFileError, match="^" + re.escape(
            f"'{path}/model.weights.h5' cannot be read as HDF5 (truncated or corrupt?)")):
        layerwise.models.load_model(path)

    model = tiny_model()
    model.save_weights(tmp_path / "whole.weights.h5")
    raw = (tmp_path / "whole.weights.h5").read_bytes()
    cut = tmp_path / "cut.weights.h5"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(UnsafeFileError, match="^" + re.escape(
            f"'{cut}' cannot be read as HDF5 (truncated or corrupt?): Unable to synchronously open file "
            "(truncated file")):
        model.load_weights(cut)


def test_missing_members_are_refused(tmp_path, good):
    path = tmp_path / "no_weights.keras"
    write_zip(path, {k: v for k, v in good.items() if k != "model.weights.h5"})
    refused(path, f"Refused '{path}': it has no model.weights.h5 (the weights); a Keras 3 model holds "
                  "config.json, metadata.json and model.weights.h5. Is it truncated, or not a model?")
    path = tmp_path / "no_config.keras"
    write_zip(path, {k: v for k, v in good.items() if k != "config.json"})
    refused(path, f"Refused '{path}': it has no config.json (the model's config); a Keras 3 model holds "
                  "config.json, metadata.json and model.weights.h5. Is it truncated, or not a model?")


def test_weights_member_that_is_not_hdf5_is_refused(tmp_path, good):
    path = variant(tmp_path, good, "not_hdf5", **{"model.weights.h5": b"\x00" * 64})
    refused(path, f"'{path}/model.weights.h5' is not an HDF5 file, or it is truncated or corrupt.")


def test_encrypted_member_is_refused(tmp_path, good):
    path = tmp_path / "encrypted.keras"
    write_zip(path, good)
    raw = bytearray(path.read_bytes())
    # Set the "encrypted" flag of config.json in its central directory entry.
    entry = raw.find(b"PK\x01\x02")
    while entry != -1:
        name_length = int.from_bytes(raw[entry + 28:entry + 30], "little")
        if raw[entry + 46:entry + 46 + name_length] == b"config.json":
            raw[entry + 8] |= 0x1
        entry = raw.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(raw))
    refused(path, f"Refused '{path}': member 'config.json' is encrypted.")


# ---------------------------------------------------------------------- directories


def test_model_directory_with_a_symlink_is_refused(tmp_path):
    model = tiny_model()
    target = tmp_path / "my_model"
    model.save(target)
    secret = tmp_path / "secret.h5"
    os.replace(target / "model.weights.h5", secret)
    os.symlink(secret, target / "model.weights.h5")
    refused(target, f"Refused '{target}': 'model.weights.h5' is a symbolic link; a model directory holds its "
                    "own files.")


def test_model_directory_with_other_files_is_refused(tmp_path):
    target = tmp_path / "my_model"
    tiny_model().save(target)
    (target / "hook.py").write_text("print('hi')")
    refused(target, f"Refused '{target}': it contains 'hook.py'; a model directory holds config.json, "
                    "metadata.json and model.weights.h5 (and assets/), nothing else.")
