"""Context checks: say which device each array or parameter is on, and how to move it (book 4.6).

MXNet copies nothing between devices on its own: ``net(X)`` with ``X`` on another context than
the parameters fails with a message naming only the parameter, and arrays on two CPU contexts
even combine silently. ``check_same_context`` turns both into one sentence that names every
context and the call that fixes it. Several CPU contexts (``mx.cpu(0)``, ``mx.cpu(1)``) run
exactly the code that several GPUs run, which is how this is tested without a GPU.
"""
from mxnet import gluon, nd

from .errors import GluonNotesError


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


__all__ = ["ContextError", "ContextChecked", "check_same_context", "checked_forward"]
