"""``python -m gluon_notes.dist -n 2 -s 1 [--hosts FILE] [--launcher local|ssh] -- COMMAND``."""
import sys

from ..errors import GluonNotesError
from .launch import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except GluonNotesError as err:
        print("python -m gluon_notes.dist: %s" % err, file=sys.stderr)
        sys.exit(2)
