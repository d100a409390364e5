"""Chapter scripts: one module per book section, each with ``DEFAULTS`` and ``main(argv)``.

A module ``gluon_notes/chapters/softmax_scratch.py`` is the chapter id ``softmax-scratch``;
modules whose names start with ``_`` are helpers, not chapters.
"""
import importlib
import pkgutil

from ..errors import GluonNotesError


def list_chapters():
    """Sorted chapter ids."""
    return sorted(m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_"))


def get_chapter(chapter_id):
    """Import the module of ``chapter_id``; an unknown id raises ``GluonNotesError``."""
    ids = list_chapters()
    if chapter_id not in ids:
        raise GluonNotesError("unknown chapter %r; run `gluon-notes list` to see the %d chapters "
                              "(%s)." % (chapter_id, len(ids), ", ".join(ids)))
    return importlib.import_module(__name__ + "." + chapter_id.replace("-", "_"))


def summary(chapter_id):
    """First line of a chapter's docstring."""
    doc = get_chapter(chapter_id).__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
