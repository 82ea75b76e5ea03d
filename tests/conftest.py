"""Shared test set-up: real Keras (the parity oracle) runs on its torch backend."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

import layerwise


@pytest.fixture(autouse=True)
def fresh_session():
    """Each test starts with fresh layer names and a fixed seed."""
    layerwise.backend.clear_session()
    layerwise.utils.set_random_seed(0)
    yield
