"""Running a bench script in a child process with a CPU profile, and reading its JSON answer.

Design
------
* MXNet fixes its engine and OpenMP threads when it is imported, so a measurement that needs a
  profile other than the bench's own runs as ``python -m gluon_notes.bench.X SPEC`` in a child
  started with ``perf.child_env(profile)`` (the user's ``GLUON_NOTES_PERF`` still wins).
* The child prints one ``TICK`` line per finished step (the parent's progress bar moves) and,
  last, its result as one JSON line; an error is one sentence on stderr and exit status 2
  (``script.run_script``), which the parent raises as one ``GluonNotesError`` naming the task.
* stderr goes to a temporary file, so a chatty child can never block on a full pipe.
"""
import json
import subprocess
import sys
import tempfile

from .. import perf
from ..errors import GluonNotesError
from .script import ERROR_PREFIX

TICK = "#tick"  # the child's progress line: one step finished


def run_child(module, spec, profile, what, tick=None):
    """Run ``python -m MODULE json(spec)`` with ``profile``; return its last stdout line, parsed.

    ``what`` names the task in an error ("the loop benchmark of lenet"); ``tick()`` runs at each
    ``TICK`` line.
    """
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", module, json.dumps(spec)],
                                env=perf.child_env(profile), stdout=subprocess.PIPE,
                                stderr=err, text=True)
        lines = []
        for line in proc.stdout:
            if line.strip() == TICK:
                if tick:
                    tick()
            elif line.strip():
                lines.append(line)
        returncode = proc.wait()
        err.seek(0)
        stderr = err.read()
    if returncode != 0 or not lines:
        why = (stderr.strip().splitlines() or ["exit status %d" % returncode])[-1]
        raise GluonNotesError("%s failed in its child process: %s"
                              % (what, why.replace(ERROR_PREFIX, "")))
    return json.loads(lines[-1])
