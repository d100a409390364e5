"""The argument vocabulary shared by the CLI, the chapters and the bench.

Design
------
* One ``ArgumentParser`` whose usage errors become a one-sentence ``GluonNotesError`` (the CLI
  prints it on stderr and exits 2), so every command speaks the same way.
* One type per kind of value (``positive_int``, ``positive_float``, ``seed_list``, ``ctx_arg``):
  a bad value is refused while parsing, before any data is loaded or any epoch is trained.
* ``prepare_out`` checks the output folder is writable before training, and refuses an empty name
  (which would write into the working directory).
* This module imports no chapter, bench or CLI code: they import it.
"""
import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

from .context import parse_ctx
from .errors import GluonNotesError

#: seeds are 32-bit (numpy's ``np.random.seed`` refuses larger ones)
SEED_LIMIT = 2 ** 32


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors become one-sentence ``GluonNotesError`` (the CLI exits 2)."""

    def error(self, message):
        raise GluonNotesError("%s: %s (see `%s --help`)." % (self.prog, message, self.prog))


def _int_at_least(text, low):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number, got %r" % text) from None
    if value < low:
        raise argparse.ArgumentTypeError("must be at least %d, got %d" % (low, value))
    return value


def positive_int(text):
    """A whole number >= 1."""
    return _int_at_least(text, 1)


def nonnegative_int(text):
    """A whole number >= 0."""
    return _int_at_least(text, 0)


def positive_float(text):
    """A finite number > 0 (``inf`` and ``nan`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number, got %r" % text) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("must be a finite number, got %s" % text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0, got %s" % text)
    return value


def seed_list(text):
    """``0`` or ``0,1,2``: each seed in [0, 2**32), checked before any training starts."""
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected seeds like 0 or 0,1,2, got %r" % text) from None
    bad = [s for s in seeds if not 0 <= s < SEED_LIMIT]
    if bad:
        raise argparse.ArgumentTypeError("each seed must be in [0, %d), got %s"
                                         % (SEED_LIMIT, bad[0]))
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError("seed %r lists a seed twice" % text)
    return seeds


#: the help of every ``--ctx`` option
CTX_HELP = ("devices: cpu, gpu, gpu:0,1 or cpu:0,1; gpu alone falls back to the CPU (saying so) "
            "when there is no GPU, gpu:0 fails instead (default: %(default)s)")


def ctx_arg(text):
    """A ``--ctx`` value parsed by ``context.parse_ctx`` into a list of contexts.

    ``gpu`` without an id on a machine without a GPU gives ``[cpu(0)]`` (the book's ``try_gpu``)
    and one line on stderr saying so; ``gpu:0`` fails there instead.
    """
    try:
        ctx = parse_ctx(text)
    except GluonNotesError as err:
        raise argparse.ArgumentTypeError(str(err).rstrip(".")) from None
    if str(text).strip().lower() == "gpu" and ctx[0].device_type != "gpu":
        print("gluon-notes: no GPU found, so --ctx gpu runs on %s (--ctx gpu:0 would fail "
              "instead)." % ctx[0], file=sys.stderr)
    return ctx


def prepare_out(out, option="--out"):
    """Create the folder ``out`` if needed and check it is writable, before any training starts.

    Raises
    ------
    GluonNotesError
        If ``out`` is empty (it would mean the working directory) or cannot be written;
        ``option`` names the option in the message.
    """
    if not str(out).strip():
        raise GluonNotesError("%s is empty; name a folder, e.g. %s runs/x." % (option, option))
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe")
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise GluonNotesError("cannot write to %s %s (%s); choose a writable folder."
                              % (option, out, err.strerror or err)) from None
    return path


__all__ = ["ArgumentParser", "CTX_HELP", "SEED_LIMIT", "ctx_arg", "nonnegative_int",
           "positive_float", "positive_int", "prepare_out", "seed_list"]
