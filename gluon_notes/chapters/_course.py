"""Figure helpers of the PyTorch-course chapters (init-variance, optimizers, train-eval).

A chapter draws its panels on ``figure(rows, cols)`` and writes them with ``save_figure`` into
its ``--out`` folder (atomically, through ``plot``), beside the ``metrics.json`` of
``save_results``.
"""
from pathlib import Path

from ..plot import _save, plt


def figure(rows=1, cols=1, width=5.0, height=3.6):
    """A figure of ``rows`` x ``cols`` panels, each ``width`` x ``height`` inches; axes 2-D."""
    return plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)


def save_figure(fig, args, name):
    """Write ``fig`` as ``args.out/name`` (atomically), close it and return the path."""
    path = Path(args.out) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    print("wrote %s" % path)
    return path
