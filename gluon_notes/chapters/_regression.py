"""Shared wiring of the regression chapters (linear regression, polynomial fit, weight decay)."""
from mxnet import nd

from ..data import ArrayLoader
from ..plot import semilogy
from ..train import fit


def train_regression(net, loss, train, test=None, *, batch_size, num_epochs, lr, ctx, seed,
                     hybridize=False, trainer=None, eval_loss=None, verbose=True, init=None,
                     **fit_kw):
    """Fit ``net`` on ``train = (X, y)`` (and report the loss on ``test``); return the History.

    ``fit_kw`` goes on to ``fit`` (e.g. ``checkpoint``, ``resume``)."""
    train_iter = ArrayLoader(*train, batch_size=batch_size, shuffle=True)
    test_iter = ArrayLoader(*test, batch_size=max(batch_size, 256)) if test is not None else None
    return fit(net, train_iter, test_iter, loss, num_epochs, lr=lr, ctx=ctx, seed=seed,
               hybridize=hybridize, trainer=trainer, accuracy=False, eval_loss=eval_loss,
               verbose=verbose, init=init, **fit_kw)


def weights_of(w, b):
    """Plain lists of a learned weight and bias (any shapes)."""
    return (nd.array(w).reshape((-1,)).asnumpy().tolist(),
            float(nd.array(b).reshape((-1,))[0].asscalar()))


def loss_curves(histories, path, title=None):
    """Train and test loss of every experiment on a log scale (book: ``semilogy``)."""
    curves = []
    for label, h in histories:
        curves += [(label + " train", h["epoch"], h["loss"]),
                   (label + " test", h["epoch"], h["test_loss"])]
    return semilogy(curves, path, title=title)
