"""Shared fixtures: every test starts from the same seeds; optional peers are promised or not.

Optional peers
--------------
* ``torch`` (the bench's and the PyTorch-course tests' reference), ``data`` (the real
  Fashion-MNIST files) and ``chromium`` (the report's browser test) are optional for a user, but
  ``make test`` promises them by setting ``GLUON_NOTES_REQUIRE=torch,data,chromium``.
* A test that needs a peer says so with ``@pytest.mark.needs("data")`` / ``needs("torch")``, or
  calls ``require("torch")`` to get the module. When the peer is missing it FAILS if the peer was
  promised, and skips with a reason only when it was not (the user opted out).
* Only the peer's own absence turns into a skip: any other error while looking for it (corrupt
  data, a broken torch install) propagates and fails the test.
"""
import importlib
import os
import random
import shutil

import numpy as np
import gluon_notes  # noqa: F401  (before mxnet: restores the numpy aliases mxnet 1.9.1 needs)
import mxnet as mx
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

#: peers the environment promises (``make test`` sets ``GLUON_NOTES_REQUIRE=torch,data``)
PROMISED = {p.strip() for p in os.environ.get("GLUON_NOTES_REQUIRE", "").split(",") if p.strip()}
PEERS = ("torch", "data", "chromium")


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(peer): the test needs an optional peer (torch, "
                                       "data, chromium); it fails when GLUON_NOTES_REQUIRE "
                                       "promises the peer and it is missing, and skips otherwise")
    unknown = PROMISED - set(PEERS)
    if unknown:
        raise pytest.UsageError("GLUON_NOTES_REQUIRE names unknown peers %s; use %s."
                                % (sorted(unknown), ",".join(PEERS)))


@pytest.fixture(autouse=True)
def seed():
    """Seed Python, numpy and MXNet before each test so every test is repeatable."""
    random.seed(0)
    np.random.seed(0)
    mx.random.seed(0)
    return 0


def _missing(peer):
    """Why ``peer`` is unavailable, or None when it is there. Only its absence counts."""
    if peer == "torch":
        try:
            importlib.import_module("torch")
        except ModuleNotFoundError as err:
            return "PyTorch is not installed (%s)" % err
        return None
    if peer == "data":
        from gluon_notes.data import find_fashion_mnist
        from gluon_notes.errors import DataError
        try:  # with download=False, find only looks for the four files: DataError = absent
            find_fashion_mnist(download=False)
        except DataError as err:
            return "Fashion-MNIST was not found (%s)" % err
        return None
    if peer == "chromium":
        return None if shutil.which("chromium") else "Debian's chromium is not installed"
    raise ValueError("unknown peer %r; use one of %s" % (peer, PEERS))


def _absent(peer):
    """Fail (promised) or skip (not promised) when ``peer`` is missing."""
    why = _missing(peer)
    if why is None:
        return
    if peer in PROMISED:
        pytest.fail("GLUON_NOTES_REQUIRE promises %s, but %s." % (peer, why), pytrace=False)
    pytest.skip("%s; `make test` installs it" % why)


def require(peer):
    """Inside a test: the peer's module (torch) or True (data), else fail/skip as above."""
    _absent(peer)
    return importlib.import_module("torch") if peer == "torch" else True


def pytest_runtest_setup(item):
    for mark in item.iter_markers(name="needs"):
        for peer in mark.args:
            _absent(peer)
