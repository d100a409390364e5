"""numpy 1.24-1.26 under mxnet 1.9.1: the aliases numpy removed, restored before MXNet is imported.

Design
------
* numpy 1.24 removed six aliases of Python builtins (``np.bool``, ``np.int``, ``np.float``,
  ``np.complex``, ``np.object``, ``np.str``; deprecated since 1.20). mxnet 1.9.1 reads
  ``np.bool`` when it is imported (``mxnet/numpy/utils.py``) and in ``mx.np`` operators, and
  ``np.int`` in ``mxnet.test_utils`` (apache/mxnet#21165; its fix was never released).
* ``restore_numpy_aliases()`` sets back only those of the six that numpy no longer has, each to
  the very builtin it aliased, and touches nothing else: on numpy 1.23 (which still serves them,
  with a DeprecationWarning) it changes nothing. Calling it again changes nothing either.
* ``check_numpy()`` refuses a numpy outside ``numpy>=1.23.5,<2`` with one sentence; numpy 2
  removed more than aliases (``np.PZERO``, ...) and mxnet's own metadata requires numpy < 2.
* ``gluon_notes/__init__.py`` calls both before anything imports mxnet, so the package import,
  the ``gluon-notes`` command and ``python -m gluon_notes...`` all run with them. A script that
  imports mxnet itself imports ``gluon_notes`` first.
* This module imports numpy only, never mxnet nor the rest of the package (no relative
  imports), so a script that must not import the package can load it by file path
  (``importlib.util.spec_from_file_location``); ``gluon_notes.compat`` re-exports it.
"""
import builtins
import warnings

import numpy

#: the aliases numpy 1.24 removed, each naming the builtin it was
REMOVED_ALIASES = ("bool", "int", "float", "complex", "object", "str")
#: the numpy versions gluon_notes runs on: ``MIN_NUMPY <= version < MAX_NUMPY``
MIN_NUMPY, MAX_NUMPY = (1, 23, 5), (2,)
SUPPORTED_RANGE = "numpy>=1.23.5,<2 on Python 3.9-3.12"
#: the aliases this process restored (empty on numpy 1.23)
RESTORED = []


def _has(module, name):
    """Whether ``module.name`` resolves, without the warnings numpy gives for (former) aliases."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(module, name)
        except AttributeError:
            return False
    return True


def restore_numpy_aliases(module=None):
    """Set each of ``REMOVED_ALIASES`` that ``module`` (numpy) lacks to its builtin.

    Parameters
    ----------
    module : module, optional
        The numpy module to repair (default: the imported ``numpy``).

    Returns
    -------
    list of str
        The names set now, e.g. ``['bool', 'int', ...]`` on numpy 1.26, ``[]`` on numpy 1.23
        or when they were restored already.
    """
    module = numpy if module is None else module
    missing = [name for name in REMOVED_ALIASES if not _has(module, name)]
    for name in missing:
        setattr(module, name, getattr(builtins, name))
    if module is numpy:
        RESTORED.extend(missing)
    return missing


def _version_tuple(version):
    """``'1.26.4'`` -> ``(1, 26, 4)``; ``'2.0.0rc1'`` -> ``(2, 0, 0)`` (leading digits only)."""
    parts = []
    for part in version.split(".")[:3]:
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        parts.append(int(digits or 0))
    return tuple(parts)


def check_numpy(version=None):
    """Raise ImportError (one sentence) when numpy ``version`` (default: the installed one) is
    outside ``numpy>=1.23.5,<2``."""
    version = numpy.__version__ if version is None else version
    if MIN_NUMPY <= _version_tuple(version) < MAX_NUMPY:
        return
    raise ImportError(
        "gluon_notes runs mxnet 1.9.1 on %s only, but numpy %s is installed; install a "
        "supported numpy with `pip install -c constraints.txt -e .[cpu]` (numpy 1.23.5) or "
        "`pip install \"numpy>=1.23.5,<2\"`." % (SUPPORTED_RANGE, version))
