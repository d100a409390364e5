"""gluon_notes: runnable, tested MXNet Gluon code for Dive into Deep Learning (1st ed., MXNet).

Importing the package checks the stack first, because mxnet 1.9.1 fails in obscure ways on
numpy 2 and on Pythons it was never built for, and restores the aliases numpy 1.24 removed
(``np.bool``, ...) before anything imports mxnet (``gluon_notes/numpy_compat.py``).
"""
import sys

__version__ = "0.1.0"

SUPPORTED_STACK = ("Python 3.9-3.12 with numpy>=1.23.5,<2 and mxnet 1.9.1 "
                   "(install with `make install`, or `pip install -c constraints.txt -e .[cpu]`)")


def _check_stack():
    """Raise ImportError with one sentence when Python or numpy cannot run mxnet 1.9.1; else
    restore numpy's removed aliases (numpy >= 1.24) and import mxnet."""
    if not (3, 9) <= sys.version_info[:2] <= (3, 12):
        raise ImportError("gluon_notes needs %s; this is Python %d.%d."
                          % (SUPPORTED_STACK, *sys.version_info[:2]))
    from . import numpy_compat  # numpy only: must run before mxnet is imported
    numpy_compat.check_numpy()
    numpy_compat.restore_numpy_aliases()
    try:
        import mxnet  # noqa: F401
    except ImportError as err:
        raise ImportError("gluon_notes needs %s; mxnet could not be imported (%s)."
                          % (SUPPORTED_STACK, err)) from None


from . import perf  # noqa: E402  (no mxnet import: must set MXNet's environment first)

PERF_SETTINGS = perf.configure()  # opt-in CPU profile (GLUON_NOTES_PERF=1), gluon_notes/perf.py
_check_stack()
perf.start_engine_quietly(PERF_SETTINGS)

from .errors import GluonNotesError  # noqa: E402
from .context import try_gpu, try_all_gpus, parse_ctx  # noqa: E402

__all__ = ["GluonNotesError", "try_gpu", "try_all_gpus", "parse_ctx", "__version__"]
