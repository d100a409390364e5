"""``python -m gluon_notes.dist -n 2 -s 1 [--hosts FILE] [--launcher local|ssh] -- COMMAND``."""
import sys

from ..errors import GluonNotesError
from .launch import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except GluonNotesError as err:
        print(err, file=sys.stderr)  # one sentence (usage errors already name the program)
        sys.exit(2)
