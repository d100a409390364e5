"""Importing gluon_notes on a stack mxnet 1.9.1 cannot run gives one clear sentence."""
import sys

import numpy
import pytest

import gluon_notes


def test_supported_stack_passes():
    assert gluon_notes._check_stack() is None  # noqa: SLF001  (this interpreter is supported)


def test_python_38_is_refused_since_matplotlib_39_needs_39(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 8, 18, "final", 0))
    with pytest.raises(ImportError, match=r"Python 3\.9-3\.12.*this is Python 3\.8"):
        gluon_notes._check_stack()  # noqa: SLF001


@pytest.mark.parametrize("version", ["2.0.1", "1.22.4"])
def test_numpy_outside_the_range_is_refused_with_the_range_named(monkeypatch, version):
    monkeypatch.setattr(numpy, "__version__", version)
    with pytest.raises(ImportError, match=r"numpy %s is installed" % version.replace(".", r"\.")) \
            as info:
        gluon_notes._check_stack()  # noqa: SLF001
    assert "numpy>=1.23.5,<2" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("version", ["1.23.5", "1.24.0", "1.26.4"])
def test_numpy_inside_the_range_passes(monkeypatch, version):
    monkeypatch.setattr(numpy, "__version__", version)
    assert gluon_notes._check_stack() is None  # noqa: SLF001


def test_python_312_passes_and_313_is_refused(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 12, 1, "final", 0))
    assert gluon_notes._check_stack() is None  # noqa: SLF001
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    with pytest.raises(ImportError, match=r"this is Python 3\.13"):
        gluon_notes._check_stack()  # noqa: SLF001
