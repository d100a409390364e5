"""Figures written to files with the Agg backend (shown inline when used from a notebook)."""
import numpy as np
import matplotlib

if matplotlib.get_backend().lower() not in ("module://matplotlib_inline.backend_inline",):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .atomic import atomic_write  # noqa: E402


def _save(fig, path):
    if path is not None:
        atomic_write(str(path), lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight",
                                                        format="png"))
    return fig


def finish_figure(fig, axes, path=None, title=None, legend=True, fontsize=7):
    """The common end of every figure: a grid on each panel, legends (on every panel, or on the
    panels listed in ``legend``), the title, a tight layout; saved to ``path`` (atomically,
    when given) and closed. Returns ``fig``."""
    axes = list(np.ravel(axes))
    for ax in axes:
        ax.grid(alpha=0.3)
    with_legend = axes if legend is True else [] if legend is False else list(np.ravel(legend))
    for ax in with_legend:
        ax.legend(fontsize=fontsize)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return fig


def plot_histories(histories, path=None, title=None):
    """Loss and accuracy per epoch, one line per run; ``histories`` is ``[(label, History)]``.

    Panels: training (solid) and test (dashed) loss; training and test accuracy when measured.
    """
    has_acc = any(h["test_acc"][0] is not None or h["train_acc"][0] is not None
                  for _, h in histories)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5, 3.6),
                             squeeze=False)
    axes = axes[0]
    for i, (label, h) in enumerate(histories):
        color = "C%d" % i
        epochs = h["epoch"]
        axes[0].plot(epochs, h["loss"], "-o", color=color, ms=3, label=label + " train")
        if h["test_loss"][0] is not None:
            axes[0].plot(epochs, h["test_loss"], "--s", color=color, ms=3, label=label + " test")
        if has_acc:
            if h["train_acc"][0] is not None:
                axes[1].plot(epochs, h["train_acc"], "-o", color=color, ms=3,
                             label=label + " train")
            if h["test_acc"][0] is not None:
                axes[1].plot(epochs, h["test_acc"], "--s", color=color, ms=3, label=label + " test")
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
    if has_acc:
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        lo, hi = ax.get_xlim()
        if hi - lo < 2:  # one epoch: whole-number ticks around it, not 0.945 ... 1.05
            mid = round((lo + hi) / 2)
            ax.set_xlim(mid - 1, mid + 1)
    return finish_figure(fig, axes, path, title)


def semilogy(curves, path=None, title=None, xlabel="epoch", ylabel="loss"):
    """Curves on a log y axis (book: ``semilogy``); ``curves`` is ``[(label, xs, ys)]``."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for label, xs, ys in curves:
        ax.semilogy(xs, ys, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return fig


def show_images(imgs, num_rows, num_cols, titles=None, path=None, scale=1.5):
    """A grid of images (book: ``show_images``); ``imgs`` is (N, H, W) or (N, 1, H, W)."""
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale),
                             squeeze=False)
    imgs = imgs.asnumpy() if hasattr(imgs, "asnumpy") else imgs
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(imgs):
            img = imgs[i]
            ax.imshow(img.reshape(img.shape[-2:]), cmap="gray_r")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return fig


def show_fashion_mnist(X, y, path=None, num_cols=9):
    """Images of a Fashion-MNIST batch with their text labels (book section 3.5.1)."""
    from .data import get_fashion_mnist_labels
    n = min(len(X), num_cols * 2)
    titles = get_fashion_mnist_labels(y[:n])
    return show_images(X[:n], (n + num_cols - 1) // num_cols, min(n, num_cols), titles, path)
