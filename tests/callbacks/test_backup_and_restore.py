"""BackupAndRestore: what a backup holds, exact continuation after an interruption, and the kill test."""

import json
import os
import random
import re
import runpy
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest
import torch

import layerwise
from layerwise.callbacks.backup_and_restore import STATE_GROUP, BackupAndRestore
from layerwise.callbacks.callback import Callback
from layerwise.saving.registry import builtin_objects
from layerwise.saving.safety import UnsafeFileError


def _model(seed=1, metrics=("mae",)):
    layerwise.backend.clear_session()
    layerwise.utils.set_random_seed(seed)
    model = layerwise.Sequential([
        layerwise.layers.Dense(8, activation="relu", input_shape=(4,)),
        layerwise.layers.BatchNormalization(),
        layerwise.layers.Dropout(0.3),            # torch's global generator
        layerwise.layers.Dropout(0.2, seed=5),    # the layer's own generator
        layerwise.layers.Dense(1),
    ])
    model.compile(optimizer=layerwise.optimizers.Adam(0.01), loss="mse", metrics=list(metrics))
    return model


def _data(n=40):
    rng = np.random.RandomState(0)
    return rng.rand(n, 4).astype("float32"), rng.rand(n, 1).astype("float32")


class Interrupt(Callback):
    """Raises after ``after`` training batches (counted over the whole fit), like a crash."""

    def __init__(self, after=None, at_epoch=None):
        super().__init__()
        self.after, self.at_epoch, self.count = after, at_epoch, 0

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("Interrupting!")

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1
        if self.count == self.after:
            raise RuntimeError("Interrupting!")


def _assert_same_weights(a, b):
    assert len(a) == len(b)
    for ours, theirs in zip(a, b):
        assert np.array_equal(ours, theirs)


def _interrupted_then_resumed(tmp_path, fit_kwargs, save_freq, interrupt, model_kwargs=None):
    """(reference model, reference history, resumed model, resumed history) for one set-up."""
    x, y = _data()
    model_kwargs = model_kwargs or {}
    reference = _model(**model_kwargs)
    reference_history = reference.fit(x, y, verbose=0, callbacks=[BackupAndRestore(tmp_path / "ref", save_freq)],
                                      **fit_kwargs)
    backup = BackupAndRestore(tmp_path / "backup", save_freq=save_freq)
    first = _model(**model_kwargs)
    with pytest.raises(RuntimeError, match="Interrupting!"):
        first.fit(x, y, verbose=0, callbacks=[backup, interrupt], **fit_kwargs)
    assert sorted(os.listdir(tmp_path / "backup")) == ["latest.weights.h5", "training_metadata.json"]
    resumed = _model(**model_kwargs)  # a new process would build the model afresh, from the seed
    resumed_history = resumed.fit(x, y, verbose=0, callbacks=[backup], **fit_kwargs)
    return reference, reference_history, resumed, resumed_history


def test_resume_mid_epoch_gives_identical_weights_and_logs(tmp_path):
    fit_kwargs = {"epochs": 4, "batch_size": 8, "validation_split": 0.2}  # 4 batches per epoch
    reference, ref_history, resumed, history = _interrupted_then_resumed(
        tmp_path, fit_kwargs, save_freq=3, interrupt=Interrupt(after=8))
    _assert_same_weights(resumed.get_weights(), reference.get_weights())
    # the backup after batch 6 (epoch 2, batch 2): epoch 2 resumes at its third batch
    assert history.epoch == [1, 2, 3]
    for name, values in history.history.items():
        assert values == ref_history.history[name][1:], name  # the running metrics were restored too
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations) == 16
    assert not (tmp_path / "backup").exists()  # delete_checkpoint=True, training finished


def test_resume_at_an_epoch_boundary_as_in_keras_example(tmp_path):
    # Keras's docstring example, shortened: interrupted as epoch 4 begins, the second fit runs epochs 4 and 5.
    fit_kwargs = {"epochs": 6, "batch_size": 20}
    reference, _, resumed, history = _interrupted_then_resumed(
        tmp_path, fit_kwargs, save_freq="epoch", interrupt=Interrupt(at_epoch=4))
    assert len(history.history["loss"]) == 2 and history.epoch == [4, 5]
    _assert_same_weights(resumed.get_weights(), reference.get_weights())


@pytest.mark.parametrize("shuffle", [True, "batch"])
def test_resume_with_steps_per_execution_and_batch_shuffling(tmp_path, shuffle):
    x, y = _data()

    def model():
        m = _model()
        m.compile(optimizer="rmsprop", loss="mse", steps_per_execution=2)
        return m

    reference = model()
    reference.fit(x, y, epochs=3, batch_size=5, shuffle=shuffle, verbose=0)
    backup = BackupAndRestore(tmp_path / "b", save_freq=4)
    with pytest.raises(RuntimeError):
        model().fit(x, y, epochs=3, batch_size=5, shuffle=shuffle, verbose=0, callbacks=[backup, Interrupt(after=7)])
    resumed = model()
    resumed.fit(x, y, epochs=3, batch_size=5, shuffle=shuffle, verbose=0, callbacks=[backup])
    _assert_same_weights(resumed.get_weights(), reference.get_weights())


def test_resume_mid_epoch_with_a_shuffling_dataloader(tmp_path):
    from torch.utils.data import DataLoader, TensorDataset

    x, y = _data()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8, shuffle=True)
    reference = _model()
    reference.fit(loader, epochs=3, verbose=0)
    backup = BackupAndRestore(tmp_path / "b", save_freq=3)
    with pytest.raises(RuntimeError):
        _model().fit(loader, epochs=3, verbose=0, callbacks=[backup, Interrupt(after=8)])
    resumed = _model()
    history = resumed.fit(loader, epochs=3, verbose=0, callbacks=[backup])
    assert history.epoch == [1, 2]  # 5 batches per epoch: the backup after batch 6 is in epoch 2
    _assert_same_weights(resumed.get_weights(), reference.get_weights())


def test_resume_when_every_batch_of_the_epoch_was_done(tmp_path):
    # The backup after the epoch's last batch: only validation and the epoch's end remain.
    fit_kwargs = {"epochs": 3, "batch_size": 8, "validation_split": 0.2}
    reference, ref_history, resumed, history = _interrupted_then_resumed(
        tmp_path, fit_kwargs, save_freq=4, interrupt=Interrupt(after=5))
    _assert_same_weights(resumed.get_weights(), reference.get_weights())
    assert history.epoch == [0, 1, 2]
    assert history.history == ref_history.history


def test_the_backup_files(tmp_path):
    x, y = _data()
    backup = BackupAndRestore(tmp_path / "b", save_freq=3)
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[backup, Interrupt(after=7)])
    weights_file = tmp_path / "b" / "latest.weights.h5"
    # Keras's metadata file: the epoch to restart, the last batch seen (0-based, within the epoch)
    assert json.loads((tmp_path / "b" / "training_metadata.json").read_text()) == {"epoch": 1, "batch": 0}
    with h5py.File(weights_file, "r") as h5:
        group = h5[STATE_GROUP]
        assert isinstance(group, h5py.Group) and len(group) == 0  # attributes only: no weights datasets
        state = json.loads(group.attrs["metadata"].tobytes())
        assert {k: state[k] for k in ("epoch", "step", "batches_since_save", "last_batch")} == {
            "epoch": 1, "step": 1, "batches_since_save": 0, "last_batch": 0}
    # a plain weights file for load_weights: the model's weights and the optimizer's state after 6 steps
    fresh = _model(seed=9)
    fresh.fit(x[:8], y[:8], epochs=1, verbose=0)
    fresh.load_weights(str(weights_file))
    assert int(fresh.optimizer.iterations) == 6


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    x, y = _data()
    backup = BackupAndRestore(tmp_path / "b", save_freq="epoch", double_checkpoint=True)
    with pytest.raises(RuntimeError):
        _model().fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[backup, Interrupt(at_epoch=3)])
    assert sorted(os.listdir(tmp_path / "b")) == [
        "latest.weights.h5", "latest.weights.h5.bkp", "training_metadata.json", "training_metadata.json.bkp"]
    latest = tmp_path / "b" / "latest.weights.h5"
    latest.write_bytes(latest.read_bytes()[:100])  # damaged on disk
    history = _model().fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[backup])
    assert history.epoch == [2, 3, 4]  # from the previous backup (end of epoch 2)


def test_a_damaged_backup_without_a_previous_one_is_refused(tmp_path):
    x, y = _data()
    backup = BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[backup, Interrupt(at_epoch=1)])
    latest = tmp_path / "b" / "latest.weights.h5"
    latest.write_bytes(latest.read_bytes()[:100])
    with pytest.raises(UnsafeFileError) as error:
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[backup])
    message = str(error.value)
    assert message.startswith(f"BackupAndRestore cannot resume from the backup in '{tmp_path}/b': '{latest}' "
                              "cannot be read as HDF5 (truncated or corrupt?): ")
    assert message.endswith(" Delete that directory (or pass another backup_dir) to start training afresh.")


def test_a_backup_of_another_model_is_refused_and_nothing_changes(tmp_path):
    x, y = _data()
    backup = BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[backup, Interrupt(at_epoch=1)])
    other = layerwise.Sequential([layerwise.layers.Dense(2, input_shape=(4,)), layerwise.layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    before = other.get_weights()
    with pytest.raises(UnsafeFileError) as error:
        other.fit(x, y, epochs=3, verbose=0, callbacks=[backup])
    latest = tmp_path / "b" / "latest.weights.h5"
    assert str(error.value) == (
        f"BackupAndRestore cannot resume from the backup in '{tmp_path}/b': Refused the backup '{latest}': it "
        "holds the random generator of layer 'dropout_1' (layer 4 of the model), which this model does not "
        "have: the backup was made for a different model. Delete that directory (or pass another backup_dir) "
        "to start training afresh."
    )
    _assert_same_weights(other.get_weights(), before)


def test_delete_checkpoint_removes_only_its_own_files(tmp_path):
    x, y = _data()
    directory = tmp_path / "b"
    directory.mkdir()
    (directory / "notes.txt").write_text("mine")
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(directory)])
    assert sorted(os.listdir(directory)) == ["notes.txt"]
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "kept", delete_checkpoint=False)])
    assert sorted(os.listdir(tmp_path / "kept")) == ["latest.weights.h5", "training_metadata.json"]
    # a finished run's backup points past the last epoch: running it again trains no more
    history = _model().fit(x, y, epochs=2, verbose=0,
                           callbacks=[BackupAndRestore(tmp_path / "kept", delete_checkpoint=False)])
    assert history.epoch == []


def test_save_freq_false_only_restores(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b", save_freq=False)])
    assert not (tmp_path / "b").exists()


def test_resumes_from_a_backup_in_keras_form(tmp_path):
    # What Keras's BackupAndRestore writes: weights plus {"epoch", "batch"}; it resumes at that epoch's start.
    x, y = _data()
    trained = _model()
    trained.fit(x, y, epochs=2, verbose=0)
    (tmp_path / "b").mkdir()
    trained.save_weights(str(tmp_path / "b" / "latest.weights.h5"))
    (tmp_path / "b" / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    model = _model(seed=3)
    seen = []
    spy = layerwise.callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append(model.get_weights()))
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b"), spy])
    assert history.epoch == [2, 3]
    _assert_same_weights(seen[0], trained.get_weights())
    assert int(model.optimizer.iterations) == 8


def test_stale_temporary_files_are_removed(tmp_path):
    directory = tmp_path / "b"
    directory.mkdir()
    stale = directory / ".latest.weights.h5.x1y2z3.tmp"
    stale.write_bytes(b"half a file")
    other = directory / ".somebody-elses.tmp"
    other.write_bytes(b"")
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(directory, delete_checkpoint=False)])
    assert sorted(os.listdir(directory)) == [".somebody-elses.tmp", "latest.weights.h5", "training_metadata.json"]


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError) as error:
        BackupAndRestore("")
    assert str(error.value) == "Empty `backup_dir` argument passed"
    for save_freq in ("batch", 0, 1.5):
        with pytest.raises(ValueError) as error:
            BackupAndRestore("b", save_freq=save_freq)
        assert str(error.value) == (
            f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. Expected either 'epoch' "
            "or an integer value. (BackupAndRestore takes 'epoch', to save at the end of every epoch, or a "
            f"positive number of batches, e.g. save_freq=100; got save_freq={save_freq!r})."
        )
    with pytest.raises(ValueError) as error:
        BackupAndRestore(3)
    assert str(error.value) == (
        "BackupAndRestore: `backup_dir` must be a directory path (str or os.PathLike), e.g. 'backup'; got "
        "backup_dir=3."
    )
    (tmp_path / "file").write_text("")
    x, y = _data()
    with pytest.raises(ValueError) as error:
        _model().fit(x, y, verbose=0, callbacks=[BackupAndRestore(tmp_path / "file")])
    assert str(error.value) == (
        f"BackupAndRestore: backup_dir '{tmp_path}/file' is a file; it must be a directory (or not exist yet). "
        "Choose another backup_dir."
    )


def test_arguments_and_defaults_are_keras():
    callback = BackupAndRestore("backup")
    assert (callback.backup_dir, callback.save_freq, callback.double_checkpoint, callback.delete_checkpoint) == (
        "backup", "epoch", False, True)
    assert builtin_objects("callbacks")["BackupAndRestore"] is BackupAndRestore
    assert layerwise.callbacks.BackupAndRestore is BackupAndRestore


# ---------------------------------------------------------------------- the kill test

_SCRIPT = textwrap.dedent('''
    """Trains a small seeded model with BackupAndRestore; the test kills it and runs it again."""
    import json
    import sys
    import time

    import numpy as np
    import torch

    import layerwise as keras


    def build_model():
        keras.utils.set_random_seed(7)
        model = keras.Sequential([
            keras.layers.Dense(16, activation="relu", input_shape=(6,)),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.25),
            keras.layers.Dropout(0.1, seed=3),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
        return model


    class Progress(keras.callbacks.Callback):
        """Touches `marker` after `after` batches; then waits to be killed if `pause`; sleeps `delay` per batch."""

        def __init__(self, marker, after, pause, delay):
            super().__init__()
            self.marker, self.after, self.pause, self.delay, self.count = marker, after, pause, delay, 0

        def on_train_batch_end(self, batch, logs=None):
            self.count += 1
            if self.delay:
                time.sleep(self.delay)
            if self.count == self.after:
                open(self.marker, "w").close()
                if self.pause:
                    time.sleep(300)  # the test kills the process during this sleep


    def main(backup_dir, out, marker="", after=0, pause=0, delay=0.0, save_freq=5):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            rng = np.random.RandomState(0)
            x = rng.rand(96, 6).astype("float32")
            y = (x.sum(axis=1, keepdims=True) > 3).astype("float32")
            model = build_model()
            history = model.fit(
                x, y, batch_size=8, epochs=3, validation_split=0.25, verbose=0,   # 9 batches per epoch
                callbacks=[keras.callbacks.BackupAndRestore(backup_dir, save_freq=int(save_freq),
                                                            delete_checkpoint=False),
                           Progress(marker, int(after), int(pause), float(delay))])
            np.savez(out, *model.get_weights())
            with open(out + ".json", "w") as handle:
                json.dump({"epoch": history.epoch, "history": history.history}, handle)
        finally:
            torch.set_num_threads(threads)


    if __name__ == "__main__":
        main(*sys.argv[1:])
''')

_TEMPORARY = re.compile(r"^\.(latest\.weights\.h5|training_metadata\.json)\..+\.tmp$")


def _start(script, *args):
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(layerwise.__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(marker, process, timeout=180):
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the training script did not reach its marker in time"
        time.sleep(0.02)
    return True


def _kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def _check_backup_dir(directory, namespace):
    """Every file in the backup loads; the only others are temporaries of an interrupted write."""
    names = sorted(os.listdir(directory))
    complete = [n for n in names if not _TEMPORARY.match(n)]
    assert complete == ["latest.weights.h5", "training_metadata.json"], names
    metadata = json.loads((directory / "training_metadata.json").read_text())
    assert set(metadata) == {"epoch", "batch"}
    model = namespace["build_model"]()
    model.load_weights(str(directory / "latest.weights.h5"))
    return names, metadata


def _results(out):
    with np.load(out) as arrays:
        weights = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    with open(str(out) + ".json") as handle:
        return weights, json.load(handle)


def test_sigkill_mid_epoch_then_restart_ends_with_identical_weights(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    backup, marker = tmp_path / "backup", tmp_path / "marker"
    # Run 1 stops after 11 batches (epoch 2, its 2nd batch) and waits there to be killed; its last
    # backup was after batch 10, so one trained batch is lost and must be trained again.
    first = _start(script, backup, tmp_path / "first.npz", marker, 11, 1)
    try:
        namespace = runpy.run_path(str(script))  # the uninterrupted reference, in this process meanwhile
        namespace["main"](tmp_path / "ref_backup", str(tmp_path / "reference.npz"))
        assert _wait_for(marker, first), first.communicate()[1].decode()
    finally:
        _kill(first)
    names, metadata = _check_backup_dir(backup, namespace)
    assert names == ["latest.weights.h5", "training_metadata.json"]  # killed while idle: no temporaries
    assert metadata == {"epoch": 1, "batch": 0}

    # Run 2 backs up after every batch, so that most of its time goes into writing backups, and is killed
    # at a random moment: most likely while writing one (possibly after finishing).
    second_marker = tmp_path / "marker2"
    second = _start(script, backup, tmp_path / "second.npz", second_marker, 2, 0, 0, 1)
    try:
        reached = _wait_for(second_marker, second)
        time.sleep(random.uniform(0.0, 0.05))
    finally:
        if second.poll() is None:
            _kill(second)
        else:
            second.communicate()
    assert reached or second.returncode == 0
    _check_backup_dir(backup, namespace)

    # Run 3 finishes.
    third = _start(script, backup, tmp_path / "final.npz")
    _, err = third.communicate(timeout=300)
    assert third.returncode == 0, err.decode()
    final_weights, final_log = _results(tmp_path / "final.npz")
    reference_weights, reference_log = _results(tmp_path / "reference.npz")
    _assert_same_weights(final_weights, reference_weights)
    # The epochs run 3 logged exactly what the uninterrupted run logged for them.
    assert final_log["epoch"] == reference_log["epoch"][-len(final_log["epoch"]):]
    for name, values in final_log["history"].items():
        assert values == reference_log["history"][name][-len(values):], name
    # No temporaries left behind; the kept backup is complete.
    names, metadata = _check_backup_dir(backup, namespace)
    assert names == ["latest.weights.h5", "training_metadata.json"]
    assert metadata == {"epoch": 3, "batch": 0}
    assert torch.get_num_threads() >= 1
