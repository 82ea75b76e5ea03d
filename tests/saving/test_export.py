"""model.export(): ONNX (checked in ONNX Runtime), torch.export and TorchScript artifacts.

Every artifact must give ``model.predict``'s outputs (float32 tolerance) for
batches of 1 and of 7 from one file, leave the model exactly as it was, and
every refusal must say why and what to do instead.
"""

import os
import re
import warnings

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

import layerwise
from layerwise.saving import export

L = layerwise.layers
FORMATS = {"onnx": "model.onnx", "torch": "model.pt2", "torchscript": "model.pt"}


# ---------------------------------------------------------------------- models


def _randomize_batch_norm(model, rng):
    """Moving statistics far from 0 and 1, so inference and training modes give different outputs."""
    for layer in model._flatten_layers():
        if isinstance(layer, L.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(size=beta.shape),
                               rng.normal(size=mean.shape), rng.uniform(0.5, 2, variance.shape)])


class Scale(L.Layer):
    """A user layer keeping its weight as ``self.w`` (registered under the name ``variable``)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

    def call(self, x):
        return x * self.w + 1.0


class TwoLayers(layerwise.Model):
    def __init__(self):
        super().__init__(name="two_layers")
        self.hidden = L.Dense(4, activation="tanh")
        self.out = L.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


def _case(name):
    """(model, list of input arrays with 7 samples, what predict takes)."""
    rng = np.random.default_rng(1)

    def floats(*shape):
        return rng.normal(size=shape).astype("float32")

    if name == "mlp":
        model = layerwise.Sequential([L.Dense(8, activation="relu", input_shape=(5,)), L.BatchNormalization(),
                                      L.Dropout(0.5), L.Dense(2)])
        arrays = [floats(7, 5)]
    elif name == "cnn":
        model = layerwise.Sequential([
            layerwise.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same", activation="relu"),
            L.BatchNormalization(), L.MaxPooling2D(), L.AveragePooling2D(), L.Flatten(),
            L.Dense(3, activation="softmax"),
        ])
        arrays = [floats(7, 8, 8, 3)]
    elif name == "recurrent":
        model = layerwise.Sequential([
            layerwise.Input((6,), dtype="int32"), L.Embedding(20, 4), L.LSTM(5, return_sequences=True),
            L.Bidirectional(L.GRU(3)), L.Dense(1, activation="sigmoid"),
        ])
        arrays = [rng.integers(0, 20, (7, 6)).astype("int32")]
    elif name == "multi_io":
        a, b = layerwise.Input((4,), name="a"), layerwise.Input((3,), name="b")
        merged = L.Concatenate()([L.Dense(3, activation="relu")(a), b])
        model = layerwise.Model([a, b], [L.Dense(2, name="o1")(merged), L.Dense(1, name="o2")(merged)])
        arrays = [floats(7, 4), floats(7, 3)]
    elif name == "dict_io":
        p, q = layerwise.Input((2,), name="p"), layerwise.Input((3,), name="q")
        model = layerwise.Model({"p": p, "q": q}, {"out": L.Dense(1)(L.Concatenate()([p, q]))})
        arrays = [floats(7, 2), floats(7, 3)]
    elif name == "nested_shared":
        block = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, activation="relu"), L.BatchNormalization()])
        x = layerwise.Input((4,), name="x")
        shared = L.Dense(2, name="shared")
        h = block(x)
        model = layerwise.Model(x, L.Add()([shared(h), shared(L.Dense(3)(h))]))
        arrays = [floats(7, 4)]
    elif name == "subclassed":
        model = TwoLayers()
        model(np.zeros((2, 3), "float32"))
        arrays = [floats(7, 3)]
    elif name == "user_layer":
        model = layerwise.Sequential([layerwise.Input((3,)), Scale(), L.Dense(2)])
        arrays = [floats(7, 3)]
    else:
        raise KeyError(name)
    _randomize_batch_norm(model, rng)
    if name == "dict_io":
        feed = {"p": arrays[0], "q": arrays[1]}
    else:
        feed = arrays if len(arrays) > 1 else arrays[0]
    return model, arrays, feed


CASES = ["mlp", "cnn", "recurrent", "multi_io", "dict_io", "nested_shared", "subclassed", "user_layer"]


def _as_list(outputs):
    if isinstance(outputs, dict):
        return list(outputs.values())
    return outputs if isinstance(outputs, list) else [outputs]


def run_artifact(kind, path, arrays):
    """The artifact's outputs (numpy) for inputs ``arrays``, in a fresh runtime."""
    if kind == "onnx":
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return session.run(None, {spec.name: array for spec, array in zip(session.get_inputs(), arrays)})
    tensors = [torch.from_numpy(array) for array in arrays]
    if kind == "torch":
        function = torch.export.load(path).module()
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*torch.jit.load` is deprecated")  # torch 2.13 says so
            function = torch.jit.load(path)
    with torch.no_grad():
        outputs = function(*tensors)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return [output.numpy() for output in outputs]


def assert_matches_predict(model, kind, path, arrays, feed):
    expected = _as_list(model.predict(feed, verbose=0))
    for batch in (1, 7):
        got = run_artifact(kind, path, [array[:batch] for array in arrays])
        assert len(got) == len(expected)
        for ours, theirs in zip(got, expected):
            assert ours.shape == theirs[:batch].shape
            np.testing.assert_allclose(ours, theirs[:batch], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- every format, every model


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("name", CASES)
def test_artifact_matches_predict_for_batches_of_1_and_7(name, kind, tmp_path):
    model, arrays, feed = _case(name)
    path = str(tmp_path / FORMATS[kind])
    assert model.export(path, format=kind, verbose=False) is None
    assert sorted(os.listdir(tmp_path)) == [FORMATS[kind]]  # nothing temporary left behind
    assert_matches_predict(model, kind, path, arrays, feed)


def test_onnx_is_the_default_format_and_names_inputs_outputs_and_batch_axis(tmp_path, capsys):
    model = _case("multi_io")[0]
    path = str(tmp_path / "multi.onnx")
    model.export(path)
    assert capsys.readouterr().out == f"Saved artifact at '{path}'.\n"
    onnx.checker.check_model(onnx.load(path))
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape, i.type) for i in session.get_inputs()] == [
        ("a", ["batch", 4], "tensor(float)"), ("b", ["batch", 3], "tensor(float)")]
    assert [(o.name, o.shape) for o in session.get_outputs()] == [("o1", ["batch", 2]), ("o2", ["batch", 1])]


def test_dict_inputs_and_outputs_keep_their_keys_in_onnx(tmp_path):
    model, _, _ = _case("dict_io")
    path = str(tmp_path / "dict.onnx")
    model.export(path, verbose=False)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["p", "q"]
    assert [o.name for o in session.get_outputs()] == ["out"]


def test_format_aliases_and_verbose_messages(tmp_path, capsys):
    model, arrays, feed = _case("mlp")
    for kind, name, message in [("torch_export", "a.pt2", "Saved PyTorch ExportedProgram at"),
                                ("pt2", "b.pt2", "Saved PyTorch ExportedProgram at"),
                                ("TorchScript", "c.pt", "Saved TorchScript module at")]:
        path = str(tmp_path / name)
        model.export(path, format=kind)
        assert capsys.readouterr().out == f"{message} '{path}'.\n"
        assert_matches_predict(model, "torch" if name.endswith("pt2") else "torchscript", path, arrays, feed)
    model.export(tmp_path / "quiet.onnx", verbose=False)  # a pathlib.Path works too
    assert capsys.readouterr().out == ""


def test_opset_version_reaches_the_onnx_file(tmp_path):
    model, arrays, feed = _case("mlp")
    path = str(tmp_path / "opset.onnx")
    model.export(path, verbose=False, opset_version=17)
    assert [entry.version for entry in onnx.load(path).opset_import if entry.domain in ("", "ai.onnx")] == [17]
    assert_matches_predict(model, "onnx", path, arrays, feed)


def test_torch_export_kwargs_pass_through(tmp_path):
    model, arrays, feed = _case("mlp")
    path = str(tmp_path / "model.pt2")
    model.export(path, format="torch", verbose=False,
                 dynamic_shapes={0: torch.export.Dim("batch", min=1, max=64)})
    assert_matches_predict(model, "torch", path, arrays, feed)


# ---------------------------------------------------------------------- ONNX exporters


def test_onnx_by_torch_export_when_the_torchscript_exporter_fails(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no TorchScript exporter in this torch")

    monkeypatch.setattr(export, "_onnx_by_torchscript", broken)
    assert export.onnx_exporters() == ["torchscript", "dynamo"]
    for name in ("cnn", "multi_io"):
        model, arrays, feed = _case(name)
        path = str(tmp_path / f"{name}.onnx")
        model.export(path, verbose=False)
        assert_matches_predict(model, "onnx", path, arrays, feed)
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        assert session.get_inputs()[0].shape[0] == "batch"


def test_every_onnx_exporter_failing_is_reported_and_writes_nothing(tmp_path, monkeypatch):
    def first(*args, **kwargs):
        raise RuntimeError("first broke")

    def second(*args, **kwargs):
        raise ValueError("second broke\nwith details")

    monkeypatch.setattr(export, "_onnx_by_torchscript", first)
    monkeypatch.setattr(export, "_onnx_by_dynamo", second)
    model, _, _ = _case("mlp")
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the previous file")
    message = (
        "Exporting model 'sequential' failed in torch.onnx.export (ValueError: second broke). Inputs "
        "traced: input_layer: (None, 5) float32 (None = dynamic). Common causes: a layer whose code "
        "depends on the values of its inputs (Python if/for on tensor values) or needs a fixed size on an "
        "axis marked None; fix the size with input_signature=[layerwise.layers.InputSpec(shape=..., "
        "dtype=...)]. The full error is chained below. ONNX exporters tried: torchscript: RuntimeError: "
        "first broke; dynamo: ValueError: second broke."
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        model.export(str(target), verbose=False)
    assert target.read_bytes() == b"the previous file"
    assert os.listdir(tmp_path) == ["model.onnx"]


def test_onnx_needs_the_onnx_package(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "_installed", lambda package: package != "onnx")
    model, _, _ = _case("mlp")
    with pytest.raises(ImportError, match=re.escape(
            "format='onnx' needs the onnx package, which torch's ONNX exporter uses to write the file: "
            "pip install onnx onnxscript (or pip install 'layerwise[export]'). format='torch' and "
            "format='torchscript' need nothing extra.")):
        model.export(str(tmp_path / "m.onnx"), verbose=False)
    assert not os.listdir(tmp_path)


def test_without_onnxscript_only_the_torchscript_exporter_is_tried(monkeypatch):
    monkeypatch.setattr(export, "_installed", lambda package: package != "onnxscript")
    assert export.onnx_exporters() == ["torchscript"]


# ---------------------------------------------------------------------- dynamic axes beyond the batch


def _text_model():
    return layerwise.Sequential([layerwise.Input((None,), dtype="int32"), L.Embedding(30, 4),
                                 L.Bidirectional(L.LSTM(3)), L.Dense(1)])


@pytest.mark.parametrize("kind", ["onnx", "torchscript"])
def test_variable_length_sequences_stay_dynamic(kind, tmp_path):
    model = _text_model()
    path = str(tmp_path / FORMATS[kind])
    model.export(path, format=kind, verbose=False)
    rng = np.random.default_rng(0)
    for batch, steps in ((1, 4), (7, 9)):
        ids = rng.integers(1, 30, (batch, steps)).astype("int32")
        np.testing.assert_allclose(run_artifact(kind, path, [ids])[0], model.predict(ids, verbose=0),
                                   rtol=1e-5, atol=1e-6)
    if kind == "onnx":
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        assert session.get_inputs()[0].shape == ["batch", "input_layer_dim_1"]
        assert session.get_inputs()[0].type == "tensor(int32)"


def test_torch_export_of_a_variable_time_axis_asks_for_a_fixed_length(tmp_path):
    model = _text_model()
    target = tmp_path / "text.pt2"
    message = (
        "Exporting model 'sequential' failed in torch.export (UserError: Constraints violated (dim_0_1)! "
        "For more information, run with TORCH_LOGS=\"+dynamic\".). Axis 1 of input 'input_layer' "
        "(shape (None, None)) is None, but the model's code needs a fixed size there under torch.export "
        "(recurrent layers, for one, are unrolled over the time steps). Fix that size with "
        "input_signature=[layerwise.layers.InputSpec(shape=(None, 100), dtype='int32')], or use "
        "format='onnx' or format='torchscript', which keep it dynamic. The full error is chained below."
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        model.export(str(target), format="torch", verbose=False)
    assert not os.listdir(tmp_path)
    # The suggested fix works.
    model.export(str(target), format="torch", verbose=False,
                 input_signature=[L.InputSpec(shape=(None, 12), dtype="int32")])
    ids = np.random.default_rng(0).integers(1, 30, (3, 12)).astype("int32")
    np.testing.assert_allclose(run_artifact("torch", str(target), [ids])[0], model.predict(ids, verbose=0),
                               rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- input_signature


def test_input_signature_spellings(tmp_path):
    model, arrays, feed = _case("multi_io")
    spec_a = L.InputSpec(shape=(None, 4), dtype="float32", name="first")
    spec_b = L.InputSpec(shape=(None, 3), dtype="float32", name="second")
    for index, signature in enumerate([
        [[spec_a, spec_b]],                                  # Keras: a list of positional arguments
        [spec_a, spec_b],                                    # the inputs themselves
        [layerwise.Input((4,)), layerwise.Input((3,))],      # symbolic tensors
        [arrays[0], torch.from_numpy(arrays[1])],            # example data: only shapes and dtypes count
    ]):
        path = str(tmp_path / f"sig{index}.onnx")
        model.export(path, verbose=False, input_signature=signature)
        assert_matches_predict(model, "onnx", path, arrays, feed)
    names = [i.name for i in onnxruntime.InferenceSession(str(tmp_path / "sig0.onnx")).get_inputs()]
    assert names == ["first", "second"]


def test_input_signature_dict_is_matched_by_key(tmp_path):
    model, arrays, feed = _case("dict_io")
    path = str(tmp_path / "dict.onnx")
    signature = {"q": L.InputSpec(shape=(None, 3)), "p": L.InputSpec(shape=(None, 2))}
    model.export(path, verbose=False, input_signature=[signature])
    assert_matches_predict(model, "onnx", path, arrays, feed)


def test_input_signature_sets_the_dtype_of_a_subclassed_model(tmp_path):
    class Tagger(layerwise.Model):
        def __init__(self):
            super().__init__()
            self.embed = L.Embedding(10, 3)
            self.head = L.Dense(2)

        def call(self, ids):
            return self.head(self.embed(ids))

    model = Tagger()
    ids = np.random.default_rng(0).integers(0, 10, (7, 5)).astype("int32")
    model(ids)
    path = str(tmp_path / "tagger.onnx")
    model.export(path, verbose=False, input_signature=[L.InputSpec(shape=(None, 5), dtype="int32")])
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(int32)"
    np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: ids})[0],
                               model.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)


def test_batch_axis_is_dynamic_even_when_the_model_recorded_a_batch_size(tmp_path):
    model = layerwise.Sequential([L.Dense(3), L.Dense(1)])
    x = np.random.default_rng(0).normal(size=(7, 4)).astype("float32")
    model(x[:2])  # built by a batch of 2: its input shape is (2, 4)
    assert model.inputs[0].shape == (2, 4)
    path = str(tmp_path / "deferred.onnx")
    model.export(path, verbose=False)
    assert_matches_predict(model, "onnx", path, [x], x)


def test_signature_errors_name_the_input_and_the_fix():
    model, _, _ = _case("multi_io")
    with pytest.raises(ValueError, match=re.escape(
            "input_signature describes 1 input(s), but model 'functional' takes 2 (a, b). Give one "
            "InputSpec per model input, in the order of model.inputs.")):
        model.export("x.onnx", input_signature=[L.InputSpec(shape=(None, 4))])
    with pytest.raises(ValueError, match=re.escape(
            "input_signature gives input 1 ('b') the shape (None, 3, 1) (rank 3), but model 'functional' "
            "expects rank 2: (None, 3).")):
        model.export("x.onnx", input_signature=[[L.InputSpec(shape=(None, 4)), L.InputSpec(shape=(None, 3, 1))]])
    with pytest.raises(ValueError, match=re.escape(
            "input_signature gives input 0 ('a') the shape (None, 5), but model 'functional' expects "
            "(None, 4): axis 1 must be 4.")):
        model.export("x.onnx", input_signature=[[L.InputSpec(shape=(None, 5)), L.InputSpec(shape=(None, 3))]])
    with pytest.raises(TypeError, match=re.escape(
            "input_signature needs the dtype as well as the shape: got (None, 4). Write "
            "[layerwise.layers.InputSpec(shape=(None, 89), dtype='float32')], one InputSpec per input.")):
        model.export("x.onnx", input_signature=[(None, 4)])
    with pytest.raises(TypeError, match=re.escape(
            "input_signature entries must be layerwise.layers.InputSpec, KerasTensor (layerwise.Input), "
            "torch tensors or numpy arrays; got str: 'float32'.")):
        model.export("x.onnx", input_signature=["float32", "float32"])
    with pytest.raises(ValueError, match=re.escape(
            "An InputSpec in input_signature needs a full shape, e.g. InputSpec(shape=(None, 89), "
            "dtype='float32'); got one without shape.")):
        model.export("x.onnx", input_signature=[[L.InputSpec(ndim=2), L.InputSpec(ndim=2)]])
    dict_model, _, _ = _case("dict_io")
    with pytest.raises(ValueError, match=re.escape(
            "input_signature names the inputs ['p', 'z'], but model 'functional_1' takes the inputs "
            "['p', 'q']. Use the same keys as the model's input dict.")):
        dict_model.export("x.onnx", input_signature={"p": L.InputSpec(shape=(None, 2)),
                                                     "z": L.InputSpec(shape=(None, 3))})


def test_unbuilt_model_is_refused_with_the_fix():
    model = layerwise.Sequential([L.Dense(2)])
    with pytest.raises(ValueError, match=re.escape(
            "Model 'sequential' has not been built, so the shapes of its inputs are unknown. Build it "
            "first (model.build((None, 89)) or call it on a batch of data), or pass "
            "input_signature=[layerwise.layers.InputSpec(shape=(None, 89), dtype='float32')].")):
        model.export("x.onnx")


# ---------------------------------------------------------------------- refused formats and arguments


@pytest.mark.parametrize("format_name, message", [
    ("tf_saved_model",
     ("format='tf_saved_model' writes a TensorFlow SavedModel, which only TensorFlow can trace and write; "
      "layerwise runs on PyTorch and has no TensorFlow graph to save. Use format='onnx' (an ONNX file: ONNX "
      "Runtime, TensorRT, OpenVINO and most serving tools read it), format='torch' (a torch.export program, "
      "path ending in .pt2) or format='torchscript'. To save the model itself for layerwise or Keras, use "
      "model.save('model.keras').")),
    ("openvino",
     ("format='openvino' is not written by layerwise: it needs the openvino package to convert the model. "
      "OpenVINO reads ONNX directly: export with format='onnx' and pass the file to openvino.convert_model() "
      "or openvino.Core().read_model().")),
    ("litert",
     ("format='litert' (TensorFlow Lite) is not written by layerwise: converting to LiteRT needs TensorFlow "
      "or the litert-torch converter. Export with format='torch' (a .pt2 program) or format='onnx' and "
      "convert that file with your LiteRT tooling.")),
    ("keras",
     ("Unrecognized format='keras'. Supported formats are: ['onnx', 'pt2', 'torch', 'torch_export', "
      "'torchscript'] ('torch_export' and 'pt2' are other names for 'torch').")),
    (None,
     ("Unrecognized format=None. Supported formats are: ['onnx', 'pt2', 'torch', 'torch_export', "
      "'torchscript'] ('torch_export' and 'pt2' are other names for 'torch').")),
])
def test_refused_formats_say_why_and_what_to_use(format_name, message, tmp_path):
    model, _, _ = _case("mlp")
    with pytest.raises(ValueError, match=re.escape(message)):
        model.export(str(tmp_path / "artifact"), format=format_name)
    assert not os.listdir(tmp_path)


def test_argument_errors(tmp_path):
    model, _, _ = _case("mlp")
    with pytest.raises(ValueError, match=re.escape(
            "format='torch' writes a torch.export program, whose path must end with '.pt2' "
            "(torch.export.load expects it). Got filepath='model.pt'; use e.g. 'model.pt2'.")):
        model.export("model.pt", format="torch")
    with pytest.raises(ValueError, match=re.escape(
            "Unsupported arguments for format='onnx': dynamic_shapes. Supported arguments are: opset_version.")):
        model.export("m.onnx", dynamic_shapes={})
    with pytest.raises(ValueError, match=re.escape(
            "Unsupported arguments for format='torchscript': opset_version. Supported arguments are: "
            "check_tolerance, check_trace, strict.")):
        model.export("m.pt", format="torchscript", opset_version=17)
    with pytest.raises(ValueError, match=re.escape("Unsupported arguments for format='torch': colour.")):
        model.export("m.pt2", format="torch", colour="red")
    with pytest.raises(TypeError, match=re.escape("`filepath` must be a path (str or pathlib.Path), got int.")):
        model.export(3)
    with pytest.raises(TypeError, match=re.escape("export() expects a layerwise Model, got Dense.")):
        export.export_model(L.Dense(2), "m.onnx")
    assert not os.listdir(tmp_path)


# ---------------------------------------------------------------------- the model is left as it was


def test_export_leaves_the_model_untouched_and_trainable(tmp_path):
    model, arrays, _ = _case("user_layer")
    model.train()  # a torch user's training flag must come back too
    before = {w.path: w.numpy() for w in model.weights}
    parameter_names = [name for name, _ in model.named_parameters()]
    specs = [layer.input_spec for layer in model._flatten_layers()]
    scale = model.layers[0]
    for kind, name in FORMATS.items():
        model.export(str(tmp_path / name), format=kind, verbose=False)
        assert all(module.training for module in model.modules())
        assert [name for name, _ in model.named_parameters()] == parameter_names
        assert [layer.input_spec for layer in model._flatten_layers()] == specs
        assert type(scale.w) is layerwise.Variable and scale.w is scale._parameters["variable"]
        assert "w" not in scale._parameters and "w" not in vars(scale)
        for weight in model.weights:
            assert type(weight) is layerwise.Variable
            np.testing.assert_array_equal(weight.numpy(), before[weight.path])
    model.eval()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(arrays[0], np.zeros((7, 2), "float32"), epochs=1, verbose=0)
    assert any((weight.numpy() != before[weight.path]).any() for weight in model.weights)
    # The artifacts hold the weights as they were at export time.
    assert run_artifact("torch", str(tmp_path / "model.pt2"), arrays)[0].shape == (7, 2)


def test_artifacts_do_not_need_layerwise_classes(tmp_path):
    model = _case("cnn")[0]
    model.export(str(tmp_path / "model.pt2"), format="torch", verbose=False)
    program = torch.export.load(str(tmp_path / "model.pt2"))
    assert all(type(value) in (torch.Tensor, torch.nn.Parameter) for value in program.state_dict.values())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # saving and loading the archive warn about nothing
        model.export(str(tmp_path / "again.pt2"), format="torch", verbose=False)
        torch.export.load(str(tmp_path / "again.pt2"))


def test_model_export_method_signature_is_keras():
    import inspect

    parameters = inspect.signature(layerwise.Model.export).parameters
    assert list(parameters) == ["self", "filepath", "format", "verbose", "input_signature", "kwargs"]
    assert parameters["format"].default == "onnx"
    assert parameters["verbose"].default is None
    assert parameters["input_signature"].default is None
