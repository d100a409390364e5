"""Input shapes: one sentence instead of MXNet's shape errors when a network gets the wrong input.

Design
------
* ``InputChecked`` (a mixin for Blocks, first among the bases) makes a model refuse a wrong
  input when it is called, imperative or hybridized: an input with the wrong number of
  axes is refused before MXNet sees it, and MXNet's shape errors become ``InputShapeError``
  naming the shape the model expects (the first input it took, else the shape it was built
  for, ``input_shape``) and the shape it got.
* ``forward_checked(net, X)`` does the same for any network (``evaluate``'s first batch), and
  ``output_shape(net, X)`` finds the output's shape without running the network when it can
  (shape inference on a HybridBlock's symbol: nothing initialized, no random number drawn), so
  that ``fit``'s check of the first batch leaves the training's random stream as it was.
* On a network's first call (deferred initialization) MXNet prints the arguments of a failed
  shape inference to stdout before raising; that dump is held back, anything else printed
  during the call is passed on.
"""
import contextlib
import io
import sys
import warnings

from mxnet import nd, sym
from mxnet.base import MXNetError
from mxnet.gluon import nn

from .errors import GluonNotesError, InputShapeError

_DUMP_HEAD = "infer_shape error. Arguments:"


def _drop_dump(text):
    """``text`` without MXNet's "infer_shape error" block (its head and indented lines)."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == _DUMP_HEAD:
            skipping = True
            continue
        if skipping and line.startswith("  "):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def _quiet_dump(active=True):
    """Hold back stdout during the block; pass it on, without MXNet's dump if the block fails."""
    if not active:
        yield
        return
    buf, failed = io.StringIO(), False
    try:
        with contextlib.redirect_stdout(buf):
            yield
    except BaseException:
        failed = True
        raise
    finally:
        text = buf.getvalue()
        text = _drop_dump(text) if failed else text
        if text:
            sys.stdout.write(text)


def _is_shape_error(err):
    if isinstance(err, GluonNotesError):
        return False
    # an uninitialized network reports shape errors as ValueError (deferred initialization)
    return isinstance(err, MXNetError) or str(err).startswith("Deferred initialization failed")


def mxnet_reason(err):
    """The line of an MXNet error that says what failed, without the C++ stack."""
    for line in str(err).splitlines():
        if "Check failed" in line or "Shape inconsistent" in line:
            text = line.split("Check failed:")[-1].strip()
            text = text.split(" : ")[-1].strip()
            return text.split("MXNetError: ")[-1][:160]
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


def batch_shape(per_sample):
    """``(N, 1, 28, 28)`` for a per-sample shape ``(1, 28, 28)``."""
    return "(%s)" % ", ".join(["N"] + [str(d) for d in per_sample])


def shape_error(name, got, expected, err=None):
    """The ``InputShapeError`` for ``name`` given an input of shape ``got``; its attributes
    ``got``, ``expected`` (per sample, or None) and ``reason`` (MXNet's, or None) say why."""
    reason = mxnet_reason(err) if err is not None else None
    said = " (%s)" % reason if reason else ""
    if expected is None:
        error = InputShapeError("%s cannot take inputs of shape %s%s; give inputs of the shape "
                                "it was built for." % (name, tuple(got), said))
    else:
        error = InputShapeError("%s takes inputs of shape %s but got %s%s; reshape or resize the "
                                "data to that shape." % (name, batch_shape(expected), tuple(got),
                                                          said))
    error.got, error.expected, error.reason = tuple(got), expected, reason
    return error


def forward_checked(net, X, name=None, expected=None):
    """``net(X)``, with MXNet's shape errors turned into one ``InputShapeError`` sentence."""
    name = name or getattr(net, "model_name", None) or "the network %s" % net.name
    try:
        with _quiet_dump():
            return net(X)
    except (MXNetError, ValueError) as err:
        if not _is_shape_error(err):
            raise
        raise shape_error(name, X.shape, expected, err) from None


def output_shape(net, X):
    """Shape of ``net(X)`` (its first output), inferred on the symbol of a HybridBlock when
    possible, else by calling ``net`` in predict mode; a wrong input shape is one sentence."""
    if isinstance(net, nn.HybridBlock):
        try:
            with _quiet_dump(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = net(sym.var("data"))
                shapes = out.infer_shape(data=X.shape)[1]
            if shapes and shapes[0] and 0 not in shapes[0]:
                return tuple(shapes[0])
        except Exception:  # noqa: BLE001  (not inferable on the symbol: the forward call decides)
            pass
    y_hat = forward_checked(net, X)
    return tuple((y_hat[0] if isinstance(y_hat, (list, tuple)) else y_hat).shape)


class InputChecked:
    """Mixin for Blocks: a wrong input shape is one sentence, not an MXNet traceback.

    Put it first among the bases: ``class Net(InputChecked, nn.HybridBlock)``. Class (or
    instance) attributes: ``model_name`` (used in messages) and ``input_shape`` (per-sample
    shape the model is built for, or None when any works until the first call). Inside a
    hybridized parent the check is compiled away; use ``forward_checked`` on the parent.
    """
    model_name = None
    input_shape = None
    first_input_shape = None  # set by the first call that succeeds

    def expected_input_shape(self):
        """Per-sample shape this model takes: the first one it took, else ``input_shape``."""
        return self.first_input_shape or self.input_shape

    def __call__(self, x, *args):
        if not isinstance(x, nd.NDArray):   # a Symbol: inside a hybridized parent, or a dry run
            return super().__call__(x, *args)
        name = self.model_name or self.name
        expected = self.expected_input_shape()
        if self.input_shape is not None and x.ndim != len(self.input_shape) + 1:
            raise shape_error(name, x.shape, expected)
        first = self.first_input_shape is None
        try:
            with _quiet_dump(first):
                out = super().__call__(x, *args)
        except (MXNetError, ValueError) as err:
            if not _is_shape_error(err):
                raise
            raise shape_error(name, x.shape, expected, err) from None
        if first:
            self.first_input_shape = tuple(x.shape[1:])
        return out


class CheckedSequential(InputChecked, nn.HybridSequential):
    """A ``HybridSequential`` that checks its input: the container of the registered models.

    Parameters
    ----------
    model_name : str, optional
        Name used in messages (``get_model`` sets the registered name).
    input_shape : tuple, optional
        Per-sample shape the model is built for, e.g. ``(1, 28, 28)``.
    **kwargs
        As ``nn.HybridSequential`` (``prefix``, ``params``).
    """

    def __init__(self, model_name=None, input_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.model_name, self.input_shape = model_name, input_shape


__all__ = ["InputChecked", "CheckedSequential", "forward_checked", "output_shape", "shape_error",
           "batch_shape", "mxnet_reason"]
