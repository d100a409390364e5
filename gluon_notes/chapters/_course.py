"""RECONSTRUCTED placeholder: the course-chapter figure helpers used by ``init_variance``.

The owner's original untracked ``_course.py`` was overwritten by mistake by the engineer building
part 2's CNN chapters (who has moved their code to ``_course_cnn.py``); this minimal stand-in
provides the two names ``init_variance`` imports, inferred from how it calls them. Please
replace it with your own version.
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
