"""``gluon-notes report``: every chapter run, its final figures next to the book's own.

Design
------
* ``main(argv)`` is the command (``command``): it runs the plan, each chapter in its own
  process (``runner``), and writes ``report.md``, ``report.html`` (one self-contained page, the
  figures embedded) and ``report.json`` (``render``).
* ``plan`` holds what runs (the book's settings, or ``--quick``'s documented subset) and the
  reference figures of the book's own code, with ``compare`` (better / equal / worse).
* ``readme.update`` rewrites README's generated sections (results, gallery, chapter index)
  from a report folder (``gluon-notes report --readme``).
* The package imports nothing from ``gluon_notes.cli`` (the CLI imports it, never the reverse)
  and no chapter module: chapters run only in child processes, named by ``list_chapters``.
"""
from .command import main
from .readme import update
from .plan import BOOK_ARGS, QUICK_ARGS, REFERENCES, compare, plan
from .render import write_report
from .runner import run_all, run_chapter

__all__ = ["BOOK_ARGS", "QUICK_ARGS", "REFERENCES", "compare", "main", "plan", "run_all",
           "run_chapter", "update", "write_report"]
