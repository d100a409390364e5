"""Reading and writing (book 4.5): parameters, exported graphs, and clear errors when they fail.

* ``nd.save``/``nd.load`` store one NDArray, a list or a dict of them (no helper needed).
* ``save_parameters``/``load_parameters`` store the parameters of a Block by structure
  (``0.weight``, ``1.bias``, ...); loading into another architecture raises one sentence that
  names the first mismatch instead of MXNet's assertion.
* ``export``/``imports`` store a hybridized network as ``PREFIX-symbol.json`` (the graph) and
  ``PREFIX-0000.params`` (the values), and load it back as a ``SymbolBlock`` with no Python
  class needed.
"""
import warnings
from pathlib import Path

import mxnet as mx
from mxnet import gluon, nd

from .atomic import atomic_write
from .compat import params_with_prefix
from .errors import GluonNotesError


def _read(path):
    """``nd.load(path)`` with one-sentence errors for a missing or unreadable file."""
    if Path(path).is_dir():
        raise GluonNotesError("%s is a folder, not a parameter file; point to the file written "
                              "by save_parameters(net, path)." % path)
    if not Path(path).is_file():
        raise GluonNotesError("parameter file %s does not exist; check the path, or save it "
                              "first with save_parameters(net, path)." % path)
    try:
        return nd.load(str(path))
    except mx.base.MXNetError:
        raise GluonNotesError("%s is not a readable MXNet parameter file (truncated, or of "
                              "another kind); point to a file written by save_parameters or "
                              "export." % path) from None


def save_parameters(net, path):
    """``net.save_parameters(path)`` through ``atomic.atomic_write``: an interrupted save never
    leaves a half-written file in place of a good one, and two saves at once never collide."""
    path = Path(path)
    atomic_write(path, net.save_parameters)
    return path


def _shape_mismatch(expected, saved):
    if len(expected) != len(saved):
        return True
    return any(e not in (0, s) for e, s in zip(expected, saved))  # 0: not inferred yet


def _names(names, limit=4):
    names = sorted(names)
    more = ", ..." if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_parameters(net, path, allow_missing=False, ignore_extra=False):
    """Raise ``GluonNotesError`` naming the first way the file at ``path`` does not fit ``net``.

    Files from ``save_parameters`` are keyed by structure (``0.weight``, ``hidden.bias``);
    files from ``export`` (``arg:dense0_weight``) belong to ``imports``.
    """
    loaded = _read(path)
    if not isinstance(loaded, dict):
        raise GluonNotesError("%s holds a list of arrays, not named parameters; load it with "
                              "nd.load, or save parameters with save_parameters." % path)
    if any(k.startswith(("arg:", "aux:")) for k in loaded):
        raise GluonNotesError("%s was written by export, whose names do not fit a Block; load "
                              "it with imports(prefix), or write it with save_parameters(net, "
                              "path) to load it into a Block." % path)
    params = params_with_prefix(net)  # save_parameters' keys
    fix = "load it into the architecture it was saved from"
    missing = [k for k in params if k not in loaded]
    if missing and not allow_missing:
        raise GluonNotesError("%s does not match this network: it has no value for parameter "
                              "%s (it holds %s); %s." % (path, missing[0], _names(loaded), fix))
    extra = [k for k in loaded if k not in params]
    if extra and not ignore_extra:
        raise GluonNotesError("%s does not match this network: it holds parameter %s, which "
                              "the network lacks (the network has %s); %s."
                              % (path, extra[0], _names(params), fix))
    for name, p in params.items():
        if name in loaded and _shape_mismatch(p.shape, loaded[name].shape):
            raise GluonNotesError("%s does not match this network: parameter %s has shape %s "
                                  "in the file but %s in the network; %s."
                                  % (path, name, loaded[name].shape, p.shape, fix))


def load_parameters(net, path, ctx=None, allow_missing=False, ignore_extra=False):
    """``net.load_parameters`` with a one-sentence ``GluonNotesError`` on any mismatch.

    Examples
    --------
    >>> net = nn.Dense(3, in_units=4); net.initialize(); save_parameters(net, 'a.params')
    >>> load_parameters(nn.Dense(3, in_units=5), 'a.params')
    Traceback (most recent call last):
    GluonNotesError: a.params does not match this network: parameter weight has shape (3, 4)
    in the file but (3, 5) in the network; load it into the architecture it was saved from.
    """
    check_parameters(net, path, allow_missing, ignore_extra)
    try:
        net.load_parameters(str(path), ctx=ctx, allow_missing=allow_missing,
                            ignore_extra=ignore_extra)
    except (AssertionError, ValueError, mx.base.MXNetError) as err:
        first = str(err).strip().splitlines()[0].rstrip(".") if str(err).strip() else "?"
        raise GluonNotesError("%s does not fit this network (MXNet says: %s); load it into the "
                              "architecture it was saved from." % (path, first)) from None
    return net


def export(net, prefix, X=None, epoch=0):
    """Hybridize ``net``, run it on ``X`` if given, and write ``PREFIX-symbol.json`` and
    ``PREFIX-%04d.params``; return both paths.

    The graph is only known after a forward pass of the hybridized net, so pass ``X`` unless
    the net already ran hybridized.
    """
    if not isinstance(net, gluon.HybridBlock):
        raise GluonNotesError("%s is a Block, and only a HybridBlock has a graph to export; "
                              "write it as a HybridBlock, or use save_parameters instead."
                              % type(net).__name__)
    net.hybridize()
    if X is not None:
        net(X)
    try:
        net.export(str(prefix), epoch=epoch)
    except RuntimeError:
        raise GluonNotesError("export needs the graph of one forward pass; call "
                              "export(net, prefix, X) with an example input X.") from None
    return "%s-symbol.json" % prefix, "%s-%04d.params" % (prefix, epoch)


def imports(prefix, epoch=0, ctx=None, input_names=None):
    """Load ``PREFIX-symbol.json`` and its parameters as a ``SymbolBlock``.

    ``input_names`` defaults to the graph's inputs that are not parameters (``['data']`` for a
    net exported by ``export``).
    """
    symbol_file, params_file = "%s-symbol.json" % prefix, "%s-%04d.params" % (prefix, epoch)
    if not Path(symbol_file).is_file():
        raise GluonNotesError("graph file %s does not exist; write it with export(net, %r, X)."
                              % (symbol_file, str(prefix)))
    if input_names is None:
        names = {k.split(":", 1)[-1] for k in _read(params_file)}
        input_names = [n for n in mx.sym.load(symbol_file).list_inputs() if n not in names]
    with warnings.catch_warnings():  # the input's dtype is only known at the first call
        warnings.filterwarnings("ignore", message="Cannot decide type")
        return gluon.SymbolBlock.imports(symbol_file, list(input_names), params_file, ctx=ctx)


__all__ = ["check_parameters", "export", "imports", "load_parameters", "save_parameters"]
