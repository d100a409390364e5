"""Shared fixtures: every test starts from the same seeds."""
import os
import random

import numpy as np
import mxnet as mx
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def seed():
    """Seed Python, numpy and MXNet before each test so every test is repeatable."""
    random.seed(0)
    np.random.seed(0)
    mx.random.seed(0)
    return 0


def fashion_mnist_available():
    from gluon_notes.data import find_fashion_mnist
    try:
        find_fashion_mnist(download=False)
        return True
    except Exception:  # noqa: BLE001
        return False
