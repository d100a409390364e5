"""Contexts (book 4.6): which devices to use, and checks that arrays and parameters agree.

Design
------
* Choosing: ``try_gpu``, ``try_all_gpus`` and the ``--ctx`` syntax (``parse_ctx``) give a list of
  contexts; every path takes a single context or a list.
* ``--ctx gpu`` (no id) means "the first GPU if there is one": without a GPU it falls back to
  ``cpu(0)``, as the book's ``try_gpu`` does, and the CLI says so in one line on stderr
  (``gluon_notes.cliargs.ctx_arg``); ``--ctx gpu:0`` requires the GPU and fails without it.
* Checking: MXNet copies nothing between devices on its own: ``net(X)`` with ``X`` on another
  context than the parameters fails with a message naming only the parameter, and arrays on two
  CPU contexts even combine silently. ``check_same_context`` turns both into one sentence that
  names every context and the call that fixes it.
* Several CPU contexts (``cpu:0,1``) run exactly the code that several GPUs run, which is how the
  multi-device path and the checks are tested on machines without a GPU.
"""
import re

import mxnet as mx
from mxnet import gluon, nd

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
        raise GluonNotesError("ctx must be an mx.Context or a non-empty list of them, got %r."
                              % (ctx,))
    return ctx


# ---- checks: arrays and parameters on the same context --------------------------------

class ContextError(GluonNotesError):
    """Arrays and parameters live on different contexts."""


def _contexts(item):
    """Contexts of a Parameter or of all parameters of a Block (empty if not initialized)."""
    params = [item] if isinstance(item, gluon.Parameter) else item.collect_params().values()
    ctxs = []
    for p in params:
        try:
            found = p.list_ctx()
        except RuntimeError:  # not initialized: placed nowhere yet
            found = []
        ctxs += [c for c in found if c not in ctxs]
    return ctxs


def _py(ctx):
    """``mx.cpu(1)`` as Python source, for the advice in error messages."""
    return "mx.%s(%d)" % (ctx.device_type, ctx.device_id)


def check_same_context(*items):
    """Return the context shared by all ``items`` (NDArrays, Parameters, Blocks).

    Arrays must share one context, and it must be one that every parameter was initialized
    on. Uninitialized parameters are ignored.

    Raises
    ------
    ContextError
        Naming the context of each side and how to move the data or the parameters.

    Examples
    --------
    >>> net = nn.Dense(2); net.initialize(ctx=mx.cpu(0))
    >>> check_same_context(nd.ones((1, 3), ctx=mx.cpu(1)), net)
    Traceback (most recent call last):
    ContextError: the input is on cpu(1) but the parameters of dense0 are on cpu(0); ...
    """
    arrays, params = [], []
    for i, item in enumerate(items):
        if isinstance(item, nd.NDArray):
            arrays.append(("array #%d" % i, item.context))
        elif isinstance(item, (gluon.Parameter, gluon.Block)):
            ctxs = _contexts(item)
            label = ("parameter %s is" if isinstance(item, gluon.Parameter)
                     else "the parameters of %s are") % item.name
            if ctxs:
                params.append((label, ctxs))
        else:
            raise TypeError("check_same_context takes NDArrays, Parameters or Blocks, got %s."
                            % type(item).__name__)
    if len(arrays) == 1:
        arrays = [("the input", arrays[0][1])]
    for label, ctx in arrays[1:]:
        if ctx != arrays[0][1]:
            raise ContextError("%s is on %s but %s is on %s; move one with .as_in_context(%s) "
                               "before combining them."
                               % (arrays[0][0], arrays[0][1], label, ctx, _py(arrays[0][1])))
    for label, ctxs in params:
        for alabel, ctx in arrays[:1]:
            if ctx not in ctxs:
                raise ContextError(
                    "%s is on %s but %s on %s; move the data with X.as_in_context(%s) or the "
                    "parameters with net.collect_params().reset_ctx(%s)."
                    % (alabel, ctx, label, ", ".join(map(str, ctxs)), _py(ctxs[0]), _py(ctx)))
    if arrays:
        return arrays[0][1]
    return params[0][1][0] if params else None


def checked_forward(net, *inputs):
    """``net(*inputs)`` after ``check_same_context(*inputs, net)``.

    Works for any Block, including a hybridized container: its compiled graph never calls
    the children's ``forward``, so their own checks (``ContextChecked``) do not run there.

    Examples
    --------
    >>> net = nn.HybridSequential(); net.add(nn.Dense(2)); net.initialize(); net.hybridize()
    >>> checked_forward(net, nd.ones((1, 3))).shape
    (1, 2)
    """
    check_same_context(*inputs, net)
    return net(*inputs)


class ContextChecked:
    """Mixin for Blocks: ``forward`` first checks the input's context against the parameters'.

    Put it first among the bases: ``class MyDense(ContextChecked, nn.HybridBlock)``. Inside a
    hybridized container the check is compiled away; use ``checked_forward`` on the container.
    """

    def forward(self, x, *args):
        if isinstance(x, nd.NDArray):
            check_same_context(x, self)
        return super().forward(x, *args)




__all__ = ["ContextChecked", "ContextError", "as_ctx_list", "check_same_context",
           "checked_forward", "num_gpus", "parse_ctx", "try_all_gpus", "try_gpu"]
