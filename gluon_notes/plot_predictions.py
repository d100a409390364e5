"""A grid of images with the true and the predicted label under each, the wrong ones in red.

Design
------
* ``show_predictions(X, y, y_hat, path)`` draws; it computes nothing. The caller predicts
  (``predict_labels`` does it for any trained classifier) and chooses the images.
* Under each image: ``true: LABEL`` and ``pred: LABEL``. A wrong prediction has its text and
  its frame in red (``WRONG``), a right one in black with a light grey frame, so the mistakes
  can be found at a glance and are still told apart in grey-scale print (the thick frame).
* Labels are Fashion-MNIST's text labels by default (``text_labels`` for another data set).
* Written like every figure of the project (``plot.finish_figure``: atomic save, closed).
"""
import numpy as np

from .errors import GluonNotesError
from .plot import finish_figure, plt

#: the colour of a wrong prediction's text and frame
WRONG = "#d1242f"
RIGHT, RIGHT_FRAME = "black", "#c8c8c8"


def _host(a):
    return np.asarray(a.asnumpy() if hasattr(a, "asnumpy") else a)


def predict_labels(net, X, batch_size=1000):
    """Predicted class indices of ``net`` for ``X`` (N, ...), in batches; a numpy int array."""
    out = []
    for i in range(0, X.shape[0], batch_size):
        out.append(_host(net(X[i:i + batch_size]).argmax(axis=1)))   # (B,)
    return np.concatenate(out).astype(int)


def show_predictions(X, y, y_hat, path=None, num_cols=8, title=None, text_labels=None,
                     scale=1.3):
    """Images in a grid with ``true: ...`` / ``pred: ...`` under each; wrong ones in red.

    Parameters
    ----------
    X : NDArray or ndarray, (N, 1, H, W) or (N, H, W)
        The images (grey scale).
    y, y_hat : sequence of int, (N,)
        True and predicted class indices.
    path : str or Path, optional
        Where to write the PNG (atomically).
    text_labels : sequence of str, optional
        Names of the classes (default: Fashion-MNIST's).

    Returns
    -------
    matplotlib.figure.Figure
        The (closed) figure; axis ``i`` holds image ``i`` and its two labels as its x label.
    """
    X, y, y_hat = _host(X), _host(y).astype(int).ravel(), _host(y_hat).astype(int).ravel()
    if not (len(X) == len(y) == len(y_hat)) or len(X) == 0:
        raise GluonNotesError("show_predictions needs as many labels and predictions as images "
                              "(got %d images, %d labels, %d predictions, at least 1); pass "
                              "one of each per image." % (len(X), len(y), len(y_hat)))
    if text_labels is None:
        from .data.fashion_mnist import TEXT_LABELS as text_labels
    n = len(X)
    num_cols = min(num_cols, n)
    num_rows = (n + num_cols - 1) // num_cols
    fig, axes = plt.subplots(num_rows, num_cols, squeeze=False,
                             figsize=(num_cols * scale, num_rows * (scale + 0.35)))
    axes = axes.ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            ax.axis("off")
            continue
        wrong = y[i] != y_hat[i]
        ax.imshow(X[i].reshape(X[i].shape[-2:]), cmap="gray_r")  # (H, W)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("true: %s\npred: %s" % (text_labels[y[i]], text_labels[y_hat[i]]),
                      fontsize=7, color=WRONG if wrong else RIGHT,
                      fontweight="bold" if wrong else "normal")
        for spine in ax.spines.values():
            spine.set_color(WRONG if wrong else RIGHT_FRAME)
            spine.set_linewidth(2.5 if wrong else 0.8)
    return finish_figure(fig, axes, path, title, legend=False)
