"""Importing gluon_notes on a stack mxnet 1.9.1 cannot run gives one clear sentence."""
import sys

import numpy
import pytest

import gluon_notes


def test_supported_stack_passes():
    assert gluon_notes._check_stack() is None  # noqa: SLF001  (this interpreter is supported)


def test_python_38_is_refused_since_matplotlib_39_needs_39(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 8, 18, "final", 0))
    with pytest.raises(ImportError, match=r"Python 3\.9-3\.11.*this is Python 3\.8"):
        gluon_notes._check_stack()  # noqa: SLF001


def test_new_numpy_is_refused_with_the_supported_stack_named(monkeypatch):
    monkeypatch.setattr(numpy, "__version__", "2.0.1")
    with pytest.raises(ImportError, match=r"numpy 2\.0\.1 is installed.*numpy >= 1\.24") as info:
        gluon_notes._check_stack()  # noqa: SLF001
    assert "numpy 1.23" in str(info.value) and "\n" not in str(info.value)


def test_unsupported_python_is_refused(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 12, 1, "final", 0))
    with pytest.raises(ImportError, match=r"this is Python 3\.12"):
        gluon_notes._check_stack()  # noqa: SLF001
