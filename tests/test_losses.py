"""gluon_notes.losses: numpy formulas, PyTorch itself, imperative and hybridized, with gradients."""
import itertools

import numpy as np
import mxnet as mx
import pytest

from conftest import require
from mxnet import autograd, nd

from gluon_notes.errors import GluonNotesError
from gluon_notes.losses import (AMSoftmaxLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss,
                                NLLLoss)

REDUCTIONS = ["mean", "sum", "none"]
N, C = 6, 4
W = np.array([1.0, 2.0, 0.5, 3.0], "float32")          # class weights
TOL = dict(rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- numpy references (float64)
def log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def reduce(per, dper, reduction, head, denominator=None):
    """Reduce per-element losses and their gradients (dper[i] = d per[i] / d input)."""
    if reduction == "none":
        return per, np.tensordot(head, dper, axes=head.ndim)
    den = 1.0 if reduction == "sum" else (per.size if denominator is None else denominator)
    return per.sum() / den, dper.sum(axis=tuple(range(per.ndim))) / den


def ref_class(scores, y, weight, ignore, eps, reduction, head, log_probs=False):
    """PyTorch's CE (on logits) or NLL (``log_probs``): value and gradient w.r.t. the scores."""
    z = scores.astype("float64")
    n, c = z.shape
    logp = z if log_probs else log_softmax(z)
    s = np.exp(logp)
    w = np.ones(c) if weight is None else weight.astype("float64")
    keep = np.ones(n, bool) if ignore is None else y != ignore
    yc = np.where(keep, y, 0).astype(int)
    onehot = np.eye(c)[yc]
    per = (1 - eps) * w[yc] * -logp[np.arange(n), yc] + eps / c * -(logp * w).sum(axis=1)
    if log_probs:
        grad = -w[yc, None] * onehot
    else:
        grad = (1 - eps) * w[yc, None] * (s - onehot) + eps / c * (w.sum() * s - w)
    per, grad = per * keep, grad * keep[:, None]
    dper = np.zeros((n, n, c))
    dper[np.arange(n), np.arange(n)] = grad
    return reduce(per, dper, reduction, head, (w[yc] * keep).sum())


def elementwise(per, grad, reduction, head):
    dper = np.zeros(per.shape + per.shape)
    for idx in np.ndindex(per.shape):
        dper[idx + idx] = grad[idx]
    return reduce(per, dper, reduction, head)


def ref_bce(p, y, weight, reduction, head):
    p, y = p.astype("float64"), y.astype("float64")
    w = 1.0 if weight is None else weight
    with np.errstate(divide="ignore"):
        per = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
    grad = (p - y) / np.maximum(p * (1 - p), 1e-12)
    return elementwise(w * per, w * grad, reduction, head)


def ref_bce_logits(x, y, weight, pos_weight, reduction, head):
    x, y = x.astype("float64"), y.astype("float64")
    w = 1.0 if weight is None else weight
    pw = 1.0 if pos_weight is None else pos_weight
    per = pw * y * np.logaddexp(0, -x) + (1 - y) * np.logaddexp(0, x)
    grad = 0.5 * (1 + np.tanh(x / 2)) * (1 + (pw - 1) * y) - pw * y    # sigmoid, no overflow
    return elementwise(w * per, w * grad, reduction, head)


# ---------------------------------------------------------------- running the Gluon loss
def run(loss, X, y, hybridize, head):
    """Value and input gradient of ``loss(X, y)``, imperatively or hybridized (graph warm)."""
    if hybridize:
        loss.hybridize()
        loss(nd.array(X), nd.array(y))
    x = nd.array(X)
    x.attach_grad()
    with autograd.record():
        out = loss(x, nd.array(y))
    out.backward(nd.array(head) if out.shape == head.shape else None)
    value, grad = out.asnumpy(), x.grad.asnumpy()
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    return (value if out.shape == head.shape else value.reshape(())), grad


def logits():
    z = np.random.randn(N, C).astype("float32") * 3
    z[0] = [100, -100, 0, 50]       # extreme logits
    z[1] = [-1e4, 1e4, 0, 3]
    return z


def labels(ignore):
    y = np.array([0, 3, 1, 2, 1, 0], "float32")
    if ignore is not None and ignore < 0:
        y[[2, 5]] = ignore
    return y


def head_for(reduction, shape):
    return np.random.rand(*shape).astype("float32") if reduction == "none" else np.ones(())


def check_torch(fn, X, head, value, grad):
    torch = require("torch")
    t = torch.tensor(X, requires_grad=True)
    out = fn(torch, t)
    out.backward(torch.tensor(head, dtype=out.dtype) if out.dim() else None)
    np.testing.assert_allclose(value, out.detach().numpy(), **TOL)
    np.testing.assert_allclose(grad, t.grad.numpy(), **TOL)


CLASS_CASES = list(itertools.product([None, W], [None, -100, 1], REDUCTIONS, [False, True]))
CLASS_IDS = ["%s-ignore%s-%s-%s" % ("w" if w is not None else "now", i, r, "hyb" if h else "imp")
             for w, i, r, h in CLASS_CASES]


@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("weight,ignore,reduction,hybridize", CLASS_CASES, ids=CLASS_IDS)
def test_cross_entropy(weight, ignore, reduction, hybridize, eps):
    X, y, head = logits(), labels(ignore), head_for(reduction, (N,))
    loss = CrossEntropyLoss(weight, ignore, reduction, label_smoothing=eps)
    value, grad = run(loss, X, y, hybridize, head)
    ref_v, ref_g = ref_class(X, y, weight, ignore, eps, reduction, head)
    np.testing.assert_allclose(value, ref_v, **TOL)
    np.testing.assert_allclose(grad, ref_g, **TOL)
    check_torch(lambda torch, t: torch.nn.functional.cross_entropy(
        t, torch.tensor(y).long(), None if weight is None else torch.tensor(weight),
        ignore_index=-100 if ignore is None else ignore, reduction=reduction,
        label_smoothing=eps), X, head, value, grad)


@pytest.mark.parametrize("weight,ignore,reduction,hybridize", CLASS_CASES, ids=CLASS_IDS)
def test_nll(weight, ignore, reduction, hybridize):
    X = log_softmax(logits().astype("float64")).astype("float32")
    y, head = labels(ignore), head_for(reduction, (N,))
    value, grad = run(NLLLoss(weight, ignore, reduction), X, y, hybridize, head)
    ref_v, ref_g = ref_class(X, y, weight, ignore, 0.0, reduction, head, log_probs=True)
    np.testing.assert_allclose(value, ref_v, **TOL)
    np.testing.assert_allclose(grad, ref_g, **TOL)
    check_torch(lambda torch, t: torch.nn.functional.nll_loss(
        t, torch.tensor(y).long(), None if weight is None else torch.tensor(weight),
        ignore_index=-100 if ignore is None else ignore, reduction=reduction), X, head,
        value, grad)


def test_mean_with_every_target_ignored_is_nan_as_in_pytorch():
    out = CrossEntropyLoss(ignore_index=-100)(nd.array(logits()[:2]), nd.array([-100, -100]))
    assert np.isnan(out.asscalar())


def probabilities():
    p = np.random.rand(N, C).astype("float32")
    p[0] = [0.0, 1.0, 0.0, 1.0]     # the clamped logs
    p[1] = [1e-8, 1 - 1e-7, 0.5, 0.25]
    return p


def targets():
    y = (np.random.rand(N, C) > 0.5).astype("float32")
    y[0] = [1, 0, 0, 1]
    return y


@pytest.mark.parametrize("hybridize", [False, True], ids=["imp", "hyb"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "class", "element"])
def test_bce(weight, reduction, hybridize):
    P, y, head = probabilities(), targets(), head_for(reduction, (N, C))
    w = {None: None, "class": W, "element": np.random.rand(N, C).astype("float32")}[weight]
    value, grad = run(BCELoss(w, reduction), P, y, hybridize, head)
    ref_v, ref_g = ref_bce(P, y, w, reduction, head)
    np.testing.assert_allclose(value, ref_v, **TOL)
    np.testing.assert_allclose(grad, ref_g, **TOL)
    check_torch(lambda torch, t: torch.nn.functional.binary_cross_entropy(
        t, torch.tensor(y), None if w is None else torch.tensor(w), reduction=reduction),
        P, head, value, grad)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imp", "hyb"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(None, None), (W, None), (None, W[::-1].copy()),
                                               (W, np.array([0.3, 1, 2, 5], "float32"))])
def test_bce_with_logits(weight, pos_weight, reduction, hybridize):
    X, y, head = logits(), targets(), head_for(reduction, (N, C))
    X[2] = [0.0, 100.0, -100.0, 20.5]
    loss = BCEWithLogitsLoss(weight, pos_weight, reduction)
    value, grad = run(loss, X, y, hybridize, head)
    ref_v, ref_g = ref_bce_logits(X, y, weight, pos_weight, reduction, head)
    np.testing.assert_allclose(value, ref_v, **TOL)
    np.testing.assert_allclose(grad, ref_g, **TOL)
    check_torch(lambda torch, t: torch.nn.functional.binary_cross_entropy_with_logits(
        t, torch.tensor(y), None if weight is None else torch.tensor(weight), reduction=reduction,
        pos_weight=None if pos_weight is None else torch.tensor(pos_weight)), X, head, value, grad)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imp", "hyb"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin,scale", [(0.35, 30.0), (0.0, 1.0)])
def test_amsoftmax(margin, scale, reduction, hybridize):
    cos = np.tanh(np.random.randn(N, C)).astype("float32")
    cos[0] = [1.0, -1.0, 0.0, 1.0]
    y, head = labels(None), head_for(reduction, (N,))
    value, grad = run(AMSoftmaxLoss(margin, scale, reduction), cos, y, hybridize, head)
    z = scale * (cos - margin * np.eye(C)[y.astype(int)])
    ref_v, ref_g = ref_class(z, y, None, None, 0.0, reduction, head)
    np.testing.assert_allclose(value, ref_v, **TOL)
    np.testing.assert_allclose(grad, scale * ref_g, **TOL)
    check_torch(lambda torch, t: torch.nn.functional.cross_entropy(
        scale * (t - margin * torch.nn.functional.one_hot(torch.tensor(y).long(), C)),
        torch.tensor(y).long(), reduction=reduction), cos, head, value, grad)


# ---------------------------------------------------------------- errors a person sees
def one_sentence(excinfo):
    msg = str(excinfo.value)
    assert msg.endswith(".") and "\n" not in msg and msg.count(". ") == 0, msg
    return msg


@pytest.mark.parametrize("loss,y,match", [
    (CrossEntropyLoss(), [0, 1, 4], "label 4 at position 2"),
    (CrossEntropyLoss(), [0, -1, 1], "label -1"),
    (CrossEntropyLoss(), [0, -100, 1], "pass ignore_index"),
    (CrossEntropyLoss(ignore_index=-1), [0, -100, 1], "or ignore_index=-1"),
    (NLLLoss(), [0, 1.5, 1], "label 1.5"),
    (AMSoftmaxLoss(), [0, 1, 9], "label 9"),
    (CrossEntropyLoss(), [0, 1], "2 labels for 3 examples"),
    (NLLLoss(weight=[1, 2]), [0, 1, 1], "2 class weights but the scores have 4"),
])
def test_bad_labels_raise(loss, y, match):
    X = nd.array(np.tanh(np.random.randn(3, 4)))
    with pytest.raises(GluonNotesError, match=match) as e:
        loss(X, nd.array(y))
    one_sentence(e)
    if "label " in match:  # a hybridized graph cannot check (documented): it clips the label
        loss.hybridize()
        assert np.isfinite(loss(X, nd.array(y)).asnumpy()).all()


@pytest.mark.parametrize("make,X,y,match", [
    (BCELoss, [[0.5, 1.2]], [[0, 1]], "probabilities in \\[0, 1\\] but got 1.2"),
    (BCELoss, [[-0.1, 0.5]], [[0, 1]], "got -0.1"),
    (BCELoss, [[np.nan, 0.5]], [[0, 1]], "got nan"),
    (lambda: BCELoss(weight=[1, 2, 3]), [[0.5, 0.5]], [[0, 1]], "does not broadcast"),
    (AMSoftmaxLoss, [[2.0, 0.5]], [0], "cosines in \\[-1, 1\\]"),
    (CrossEntropyLoss, [[[2.0, 0.5]]], [0], "expects \\(batch, classes\\)"),
])
def test_bad_inputs_raise(make, X, y, match):
    with pytest.raises(GluonNotesError, match=match) as e:
        make()(nd.array(X), nd.array(y))
    one_sentence(e)


@pytest.mark.parametrize("make", [
    lambda: CrossEntropyLoss(reduction="avg"), lambda: CrossEntropyLoss(label_smoothing=1.5),
    lambda: AMSoftmaxLoss(margin=-0.1), lambda: NLLLoss(weight=[[1, 2]]),
    lambda: BCEWithLogitsLoss(pos_weight=[1, np.inf])])
def test_bad_settings_raise(make):
    with pytest.raises(GluonNotesError) as e:
        make()
    one_sentence(e)


def test_bce_target_of_the_input_size_is_reshaped_and_other_sizes_raise():
    p = nd.array([[0.2], [0.9]])
    a = BCELoss(reduction="none")(p, nd.array([0, 1])).asnumpy()
    b = BCELoss(reduction="none")(p, nd.array([[0], [1]])).asnumpy()
    assert a.shape == (2, 1) and np.array_equal(a, b)
    with pytest.raises(GluonNotesError, match="one target per input element"):
        BCEWithLogitsLoss()(p, nd.array([0, 1, 1]))


def test_weights_follow_the_input_to_another_context():
    X, y = logits(), labels(None)
    loss = CrossEntropyLoss(weight=W)
    here = loss(nd.array(X), nd.array(y)).asnumpy()
    there = loss(nd.array(X, ctx=mx.cpu(1)), nd.array(y, ctx=mx.cpu(1)))
    assert there.context == mx.cpu(1)
    np.testing.assert_array_equal(there.asnumpy(), here)
