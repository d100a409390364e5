"""How the bench's ``python -m`` scripts end: one sentence on stderr and exit status 2.

Design
------
* ``run_script(fn, argv)`` calls ``fn(argv)``; a ``GluonNotesError`` becomes one line on stderr
  (``gluon-notes: error: ...``) and exit status 2, Ctrl-C exit status 130, as the CLI does.
* It lives here, not in ``gluon_notes.cli``: the bench package imports nothing from the CLI.
"""
import sys

from ..errors import GluonNotesError

#: the prefix of an error line, which the parent of a child script strips
ERROR_PREFIX = "gluon-notes: error: "


def run_script(fn, argv=None):
    """``fn(argv)`` as a script's exit status: its int result (else 0), 2 on a
    ``GluonNotesError`` (one line on stderr), 130 on Ctrl-C."""
    try:
        rc = fn(argv)
        return rc if isinstance(rc, int) else 0
    except GluonNotesError as err:
        print(ERROR_PREFIX + str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gluon-notes: interrupted", file=sys.stderr)
        return 130
