"""Devices: ``try_gpu``, ``try_all_gpus`` and the ``--ctx`` syntax.

Every path takes a single context or a list; several CPU contexts (``cpu:0,1``) run exactly the
code that several GPUs run, which is how the multi-device path is tested on machines without GPU.
"""
import re

import mxnet as mx

from .errors import GluonNotesError


def num_gpus():
    """Number of GPUs MXNet can use (0 on a CPU-only build)."""
    try:
        return mx.context.num_gpus()
    except mx.base.MXNetError:
        return 0


def try_gpu(i=0):
    """Return ``mx.gpu(i)`` if it exists, else ``mx.cpu()`` (book section 4.6).

    Examples
    --------
    >>> try_gpu()  # on a CPU-only build
    cpu(0)
    """
    return mx.gpu(i) if num_gpus() >= i + 1 else mx.cpu()


def try_all_gpus():
    """Return all GPUs, or ``[mx.cpu()]`` if there are none."""
    n = num_gpus()
    return [mx.gpu(i) for i in range(n)] if n else [mx.cpu()]


_CTX_RE = re.compile(r"^(cpu|gpu)(?::(\d+(?:,\d+)*))?$")


def parse_ctx(text):
    """Parse ``cpu``, ``gpu``, ``gpu:0,1`` or ``cpu:0,1`` into a list of contexts.

    ``gpu`` alone means GPU 0 and falls back to the CPU when no GPU exists (like ``try_gpu``);
    explicit GPU ids must exist.

    Raises
    ------
    GluonNotesError
        If the text is malformed or names a GPU that does not exist.
    """
    m = _CTX_RE.match(str(text).strip().lower())
    if not m:
        raise GluonNotesError("--ctx %r is not a device list; use cpu, gpu, gpu:0,1 or cpu:0,1."
                              % (text,))
    kind, ids = m.group(1), m.group(2)
    if kind == "gpu" and ids is None:
        return [try_gpu()]
    ids = [int(i) for i in ids.split(",")] if ids else [0]
    if len(set(ids)) != len(ids):
        raise GluonNotesError("--ctx %r names a device twice; list each id once." % (text,))
    if kind == "gpu":
        n = num_gpus()
        missing = [i for i in ids if i >= n]
        if missing:
            raise GluonNotesError("--ctx %r asks for GPU %s but this MXNet sees %d GPU(s); use "
                                  "--ctx cpu, or install a CUDA build such as mxnet-cu117==1.9.1."
                                  % (text, ",".join(map(str, missing)), n))
        return [mx.gpu(i) for i in ids]
    return [mx.cpu(i) for i in ids]


def as_ctx_list(ctx):
    """Normalise ``None`` / a context / a list / a ``--ctx`` string to a non-empty list."""
    if ctx is None:
        return [try_gpu()]
    if isinstance(ctx, str):
        return parse_ctx(ctx)
    if isinstance(ctx, mx.Context):
        return [ctx]
    ctx = list(ctx)
    if not ctx or not all(isinstance(c, mx.Context) for c in ctx):
        raise GluonNotesError("ctx must be an mx.Context or a non-empty list of them, got %r." % (ctx,))
    return ctx
