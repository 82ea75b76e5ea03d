"""Backend settings: device policy, dtypes, conversion, names, seeding."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise import backend


def test_default_device_is_cpu_and_set_device_switches():
    original = backend.device()
    try:
        backend.set_device("cpu")
        assert backend.device() == torch.device("cpu")
        backend.set_device("auto")
        expected = "cuda" if torch.cuda.is_available() else "cpu"
        assert backend.device().type == expected
    finally:
        backend.set_device(str(original))


def test_environment_variable_chooses_the_device():
    code = "import layerwise; print(layerwise.backend.device())"
    env = {**os.environ, "LAYERWISE_DEVICE": "auto"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("cuda" if torch.cuda.is_available() else "cpu")


def test_new_weights_and_converted_inputs_live_on_the_device():
    layer = keras.layers.Dense(2)
    layer(np.ones((1, 3)))
    assert layer.kernel.device == backend.device()
    assert backend.convert_to_tensor(np.ones(2)).device == backend.device()


def test_convert_to_tensor_dtypes():
    assert backend.convert_to_tensor(np.ones(2)).dtype == torch.float32  # float64 -> floatx
    assert backend.convert_to_tensor(np.ones(2, dtype="int64")).dtype == torch.int64
    assert backend.convert_to_tensor([True, False]).dtype == torch.bool
    with pytest.raises(TypeError, match="Cannot convert an array of dtype <U1 to a tensor"):
        backend.convert_to_tensor(np.array(["a"]))


def test_standardize_dtype_and_errors():
    assert backend.standardize_dtype(torch.float64) == "float64"
    assert backend.standardize_dtype(np.float32) == "float32"
    assert backend.standardize_dtype({"class_name": "DTypePolicy", "config": {"name": "float16"}}) == "float16"
    with pytest.raises(ValueError, match="Unknown dtype 'float33'"):
        backend.standardize_dtype("float33")
    with pytest.raises(ValueError, match="Unknown floatx 'int8'"):
        backend.set_floatx("int8")
    with pytest.raises(ValueError, match="Unknown data_format 'nhwc'"):
        backend.set_image_data_format("nhwc")


def test_snake_case_names_like_keras():
    assert backend.to_snake_case("BatchNormalization") == "batch_normalization"
    assert backend.to_snake_case("Conv2D") == "conv2d"
    assert backend.to_snake_case("SpatialDropout1D") == "spatial_dropout1d"


def test_set_random_seed_repeats_torch_and_numpy_draws():
    keras.utils.set_random_seed(3)
    first = (torch.rand(3), np.random.rand(3))
    keras.utils.set_random_seed(3)
    second = (torch.rand(3), np.random.rand(3))
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_is_text_array_recognises_only_arrays_of_strings():
    assert backend.is_text_array(np.array(["a good film", "bad"]))
    assert backend.is_text_array(np.array([b"bytes"]))
    assert backend.is_text_array(np.array(["x", None], dtype=object))
    assert not backend.is_text_array(np.zeros(3))
    assert not backend.is_text_array(np.array([], dtype=object))
    assert not backend.is_text_array(["a list", "of texts"])


def test_strings_have_no_torch_dtype():
    assert backend.standardize_dtype("string") == "string"
    with pytest.raises(ValueError, match="Strings have no torch dtype: texts stay numpy arrays until a layer such "
                                         "as TextVectorization or StringLookup turns them into ids."):
        backend.torch_dtype("string")


def test_is_real_number_takes_python_and_numpy_reals_only():
    assert all(backend.is_real_number(v) for v in (0, 0.5, np.int64(3), np.float32(1.5)))
    assert not any(backend.is_real_number(v) for v in (True, np.bool_(True), "1", None, 1j, np.zeros(1)))


def test_number_list_to_array_keeps_numbers_and_refuses_ragged_rows():
    assert backend.number_list_to_array([[1, 2], [3, 4]], "x").tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match=r"^y got a Python list of rows with different lengths \[1, 3\]; "):
        backend.number_list_to_array([[1, 2, 3], [4]], "y")
