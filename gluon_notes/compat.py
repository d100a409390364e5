"""The one place that touches MXNet's private API, so the next MXNet bump is a one-file change.

Design
------
* Every use of an underscore attribute of MXNet (``Parameter._data``, ``Block._children``,
  ``HybridBlock._active``, ``Trainer._kvstore``, ...) goes through a function here.
* ``check_mxnet()`` checks the installed version once, on first use, and raises one sentence
  when it is not the 1.9 line these functions were written against.
* Public MXNet API is used directly everywhere else; nothing here changes MXNet's behaviour.
* numpy >= 1.24: the aliases it removed (``np.bool``, ...) are restored by
  ``restore_numpy_aliases``, which lives in ``numpy_compat`` (no mxnet import) so that the
  package can apply it before MXNet is imported; it is re-exported here.
"""
from .numpy_compat import REMOVED_ALIASES, check_numpy, restore_numpy_aliases  # noqa: F401

import mxnet as mx

from .errors import GluonNotesError

#: the MXNet line the private attributes below were read from
SUPPORTED = (1, 9)
_checked = False


def check_mxnet():
    """Raise ``GluonNotesError`` once if the installed MXNet is not 1.9.x (checked once)."""
    global _checked
    if _checked:
        return
    version = tuple(int(p) for p in mx.__version__.split(".")[:2] if p.isdigit())
    if version != SUPPORTED:
        raise GluonNotesError(
            "gluon_notes reads MXNet internals of version %d.%d, but mxnet %s is installed; "
            "install mxnet==1.9.1 (or mxnet-cu117==1.9.1) through constraints.txt."
            % (SUPPORTED + (mx.__version__,)))
    _checked = True


# ---------------------------------------------------------------------------- parameters
def param_state(p):
    """``'ready'`` (has data), ``'deferred'`` (waits for its shape) or ``'none'``
    (not initialized) for a ``gluon.Parameter``."""
    check_mxnet()
    if p._data is not None:
        return "ready"
    return "deferred" if p._deferred_init else "none"


def deferred_ctx(p):
    """The contexts a deferred parameter will be created on."""
    check_mxnet()
    return list(p._deferred_init[1])


def finish_deferred_init(p):
    """Create a deferred parameter's data now that its shape is known."""
    check_mxnet()
    p._finish_deferred_init()


# ---------------------------------------------------------------------------- blocks
def children(block):
    """The direct child blocks of ``block``, in registration order."""
    check_mxnet()
    return list(block._children.values())


def block_kwargs(block):
    """The keyword arguments a built-in layer passes to its operator (e.g. BatchNorm's
    ``use_global_stats``, ``axis``)."""
    check_mxnet()
    return block._kwargs


def is_active(block):
    """Whether a HybridBlock runs its cached graph (``hybridize()`` was called)."""
    check_mxnet()
    return block._active


def set_active(block, active):
    """Switch a HybridBlock's cached graph on or off without clearing it."""
    check_mxnet()
    block._active = active


def params_with_prefix(net):
    """``{name: Parameter}`` with the structural names ``save_parameters`` writes."""
    check_mxnet()
    return net._collect_params_with_prefix()


# ---------------------------------------------------------------------------- trainer, symbols
def trainer_kvstore(trainer):
    """The KVStore a ``gluon.Trainer`` uses, or None (MXNet creates it lazily, on the first
    ``step``; see ``init_trainer_kvstore``)."""
    check_mxnet()
    return getattr(trainer, "_kvstore", None)


def init_trainer_kvstore(trainer):
    """Make a ``gluon.Trainer`` create its KVStore now instead of on its first ``step``."""
    check_mxnet()
    if not getattr(trainer, "_kv_initialized", True):
        trainer._init_kvstore()
    return getattr(trainer, "_kvstore", None)


def symbol_creator():
    """MXNet's fast C entry point that builds a Symbol from an operator handle."""
    check_mxnet()
    from mxnet._ctypes.symbol import _symbol_creator
    return _symbol_creator


def op_handle(name):
    """The C handle of the registered operator ``name`` (what ``symbol_creator`` takes)."""
    check_mxnet()
    import ctypes
    from mxnet.base import _LIB, c_str, check_call
    handle = ctypes.c_void_p()
    check_call(_LIB.NNGetOpHandle(c_str(name), ctypes.byref(handle)))
    return handle.value


def override_get_data(dataset_cls, get_data):
    """Replace how a ``gluon.data`` dataset class (e.g. ``vision.FashionMNIST``) fills its
    ``_data``/``_label`` (its private ``_get_data``, called by its constructor)."""
    check_mxnet()
    dataset_cls._get_data = get_data


def optimizer_update_impl(optimizer_cls, optimizer, *args):
    """Call ``optimizer_cls._update_impl`` (the multi-tensor update of MXNet's optimizers)."""
    check_mxnet()
    return optimizer_cls._update_impl(optimizer, *args)


def mark_grad_fresh(array):
    """Mark a parameter array's gradient as freshly computed, as ``backward`` does (so that
    ``Trainer.step`` updates with it again without a new backward pass)."""
    check_mxnet()
    array._fresh_grad = True


def trainer_internals(trainer):
    """The private state ``gluon.Trainer.step`` works from, as a dict: ``params`` (the
    Parameters, in the order of the optimizer's indices), ``updaters`` (one per device),
    ``scale`` (the gradient scale before division by the batch size), ``kvstore``,
    ``update_on_kvstore``, ``ready`` (KVStore and parameters initialized) and ``loss_scaler``
    (AMP's, or None)."""
    check_mxnet()
    return dict(params=trainer._params, updaters=trainer._updaters, scale=trainer._scale,
                kvstore=trainer._kvstore, update_on_kvstore=trainer._update_on_kvstore,
                ready=trainer._kv_initialized and not trainer._params_to_init,
                loss_scaler=getattr(trainer, "_amp_loss_scaler", None))


def param_arrays(p):
    """A Parameter's ``(data list, gradient list)``, one array per device (None before init);
    the lists are replaced, not changed, when the parameter moves or changes ``grad_req``."""
    check_mxnet()
    return p._data, p._grad


def optimizer_lrs_wds(optimizer, device_id, indices):
    """Count one update of ``indices`` on device ``device_id``, as ``Optimizer.update`` does,
    and return their learning rates and weight decays (two lists)."""
    check_mxnet()
    optimizer._set_current_context(device_id)
    optimizer._update_count(indices)
    return optimizer._get_lrs(indices), optimizer._get_wds(indices)
