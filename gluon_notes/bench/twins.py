"""The PyTorch twins: give one the Gluon weights, and check it computes what the Gluon net does.

Design
------
* ``copy_to_torch`` loads Gluon parameter values (``collect_params`` order) into the twin's state
  (parameters and batch-norm statistics, in definition order); a count or shape that differs is a
  ``ValueError`` naming the tensor.
* ``check_twin`` builds the Gluon network and its twin with the same weights and compares, on a
  small random batch: the inference outputs; then one SGD training step's per-sample loss, every
  gradient, and every weight after the update. Both sides compute in float64, so the tolerance
  can be tight (rounding, not a loose margin, is all it allows for). It returns, per workload,
  None (the twin agrees) or one sentence saying what differs.
* A twin that differs is never timed: the bench records the sentence instead of a speed, so no
  PyTorch ratio is reported for it (``gluon-notes bench --peer torch`` makes it an error).
* ``agree`` is the one tolerance used for every such comparison (also between Gluon's modes).
* ``torch`` is passed in: nothing here imports PyTorch.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd

from ..errors import GluonNotesError

#: the workloads a twin check speaks for: 'loop' trains, so it needs the 'train' check
CHECKED = {"inference": "inference", "train": "train", "loop": "train"}


class TwinMismatch(GluonNotesError):
    """A PyTorch twin does not compute what its Gluon network computes."""


#: relative tolerance of ``agree``: float32 results, and the float64 twin check
FLOAT32, FLOAT64 = 1e-3, 1e-6


def agree(ref, got, tol=FLOAT32):
    """Whether ``got`` matches ``ref`` within relative tolerance ``tol`` (plus an absolute margin
    of ``tol / 10`` of ``ref``'s largest magnitude, for entries that cancel to near zero)."""
    return ref.shape == got.shape and bool(np.allclose(
        got, ref, rtol=tol, atol=tol / 100 + tol / 10 * np.abs(ref).max(initial=0)))


def difference(ref, got):
    """How ``got`` differs from ``ref``, for a message: the largest difference or the shapes."""
    if ref.shape != got.shape:
        return "a shape %s vs %s" % (got.shape, ref.shape)
    return "max difference %.3g" % np.abs(ref - got).max(initial=0)


def copy_to_torch(params, tnet, torch):
    """Copy Gluon parameter values (a list of numpy arrays, in ``collect_params`` order) into the
    PyTorch twin's state (parameters and batch-norm running statistics, in definition order)."""
    keys = twin_keys(tnet)
    if len(keys) != len(params):
        raise ValueError("the PyTorch twin has %d tensors, the Gluon net %d"
                         % (len(keys), len(params)))
    state = {}
    for key, value in zip(keys, params):
        ref = tnet.state_dict()[key]
        if tuple(ref.shape) != value.shape:
            raise ValueError("%s has shape %s in PyTorch but %s in Gluon"
                             % (key, tuple(ref.shape), value.shape))
        state[key] = torch.from_numpy(np.ascontiguousarray(value))
    tnet.load_state_dict(state, strict=False)
    return tnet


def twin_keys(tnet):
    """The twin's state names in the order of the Gluon parameters they receive."""
    return [k for k in tnet.state_dict() if not k.endswith("num_batches_tracked")]


def _gluon_reference(model, X, y, lr):
    """The Gluon side: weights, inference output, and one SGD step's loss, gradients, weights."""
    mx.random.seed(0)
    net = model.make()
    net.initialize(mx.init.Xavier(), ctx=mx.cpu())
    net.cast("float64")
    Xn, yn = nd.array(X, dtype="float64"), nd.array(y, dtype="float64")
    ref = dict(output=net(Xn).asnumpy())  # (N, classes), batch-norm with running statistics
    params = list(net.collect_params().values())
    ref["weights"] = [p.data().asnumpy() for p in params]
    ref["trainable"] = [i for i, p in enumerate(params) if p.grad_req != "null"]
    trainer = gluon.Trainer([params[i] for i in ref["trainable"]], "sgd", {"learning_rate": lr})
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(net(Xn), yn)  # (N,)
    l.backward()
    ref["loss"] = l.asnumpy()
    ref["grads"] = [params[i].grad().asnumpy() for i in ref["trainable"]]
    trainer.step(len(X))  # w -= lr * sum of gradients / N
    ref["stepped"] = [params[i].data().asnumpy() for i in ref["trainable"]]
    return ref


def _compare(pairs):
    """The first ``(what, ref, got)`` of ``pairs`` that disagrees, as words; None if all agree."""
    for what, ref, got in pairs:
        if not agree(ref, got, FLOAT64):
            return "%s (%s)" % (what, difference(ref, got))
    return None


def check_twin(model, torch, batch_size=2, lr=0.1):
    """Check ``model``'s PyTorch twin against its Gluon network, given the same weights.

    Returns
    -------
    dict
        ``{'inference': problem, 'train': problem}``: None where the twin agrees, else one
        sentence naming what differs (an output, the loss, a gradient or an updated weight).
    """
    rng = np.random.RandomState(1)
    X = rng.uniform(size=(batch_size,) + tuple(model.input_shape))  # float64
    y = rng.randint(0, model.classes, size=batch_size).astype(np.float64)
    ref = _gluon_reference(model, X, y, lr)
    try:
        tnet = copy_to_torch(ref["weights"], model.make_torch(torch).double(), torch)
    except ValueError as err:
        return dict.fromkeys(("inference", "train"), _sentence(model, "its weights", str(err)))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y).long()
    with torch.no_grad():
        out = tnet.eval()(Xt).numpy()
    bad = _compare([("output", ref["output"], out)])
    if bad:
        return dict.fromkeys(("inference", "train"), _sentence(model, "its inference", bad))
    keys = twin_keys(tnet)
    named = dict(tnet.named_parameters())
    tparams = [named.get(keys[i]) for i in ref["trainable"]]
    if any(p is None for p in tparams):
        return dict(inference=None, train=_sentence(
            model, "its training step", "a trainable Gluon parameter is a buffer in PyTorch"))
    opt = torch.optim.SGD(tparams, lr=lr / batch_size)  # the sum's gradients, as in Gluon
    l = torch.nn.functional.cross_entropy(tnet.train()(Xt), yt, reduction="none")  # (N,)
    opt.zero_grad()
    l.sum().backward()
    grads = [p.grad.numpy().copy() for p in tparams]
    opt.step()
    names = [keys[i] for i in ref["trainable"]]
    bad = _compare([("loss", ref["loss"], l.detach().numpy())]
                   + [("gradient of %s" % k, g, t) for k, g, t in zip(names, ref["grads"], grads)]
                   + [("%s after one SGD step" % k, w, p.detach().numpy())
                      for k, w, p in zip(names, ref["stepped"], tparams)])
    return dict(inference=None, train=bad and _sentence(model, "its training step", bad))


def _sentence(model, where, what):
    return ("%s: the PyTorch twin, given the Gluon weights, differs in %s: %s; no PyTorch "
            "speed is reported for it (fix its make_torch in gluon_notes/bench/models.py)."
            % (model.name, where, what))
