"""``gluon-notes``: list and run chapter scripts, check the data, benchmark hybridize.

Errors the user can fix are printed as one sentence on stderr, with exit status 2 and no
traceback (a usage message that ends with status 2 goes to stderr too). Ctrl-C ends with status
130 and one line; a chapter interrupted while training has saved its finished epochs first and
says where.
"""
import sys

from . import __version__, perf
from .errors import GluonNotesError

USAGE = """gluon-notes list                  chapters and what each shows
gluon-notes run CHAPTER [options] run one (see `gluon-notes run CHAPTER --help`)
gluon-notes data [--root DIR]     find and verify Fashion-MNIST
gluon-notes bench [options]       hybridized vs imperative speed
gluon-notes report [--quick] [--out DIR] [--readme README.md] [--from DIR]
                                  run every chapter, compare with the book's figures
gluon-notes launch -n N -s S -- run CHAPTER --kvstore dist_sync [options]
                                  the same chapter on N workers and S servers (MXNet's KVStore)
gluon-notes launch --bench [options]
                                  samples/s and time to accuracy on 1, 2 and 4 workers"""


def _list(argv):
    from .chapters import list_chapters, summary
    if argv:
        raise GluonNotesError("gluon-notes list takes no arguments, got %s." % " ".join(argv))
    for cid in list_chapters():
        print("%-22s %s" % (cid, summary(cid)))
    return 0


def _run(argv, entry_point=False):
    """Run a chapter. As the process's entry point (``gluon-notes run``), a chapter that wants
    another CPU profile restarts the process with it first (``perf.reexec``); a call from Python
    (``main([...])``, a notebook) never replaces its process and runs with the current one."""
    from .chapters import get_chapter
    if not argv or argv[0].startswith("-"):
        raise GluonNotesError("name a chapter: gluon-notes run CHAPTER (see `gluon-notes list`).")
    chapter = get_chapter(argv[0])
    profile = getattr(chapter, "CPU_PROFILE", "default")
    trains = not {"-h", "--help", "--summary"} & set(argv)
    if entry_point and trains:
        perf.reexec(profile, ["run"] + list(argv), note=(
            "gluon-notes: %s trains with the %s CPU profile (%s), which suits it on a CPU; "
            "GLUON_NOTES_PERF=0 keeps MXNet's defaults." % (argv[0], profile,
                                                            perf.describe(profile))))
    chapter.main(argv[1:])
    return 0


def _data(argv):
    from .cliargs import ArgumentParser
    from .data import find_fashion_mnist, load_fashion_mnist
    p = ArgumentParser(prog="gluon-notes data", description="find and verify Fashion-MNIST")
    p.add_argument("--root", help="folder with the four idx .gz files")
    args = p.parse_args(argv)
    folder = find_fashion_mnist(args.root)
    for split in ("train", "test"):
        X, _ = load_fashion_mnist(split, args.root)
        print("%s: %d images verified in %s" % (split, X.shape[0], folder))
    return 0


def _bench(argv):
    from . import bench
    return bench.main(argv) or 0


def _report(argv):
    from .report import main as report_main
    return report_main(argv)


def _launch(argv):
    """``gluon-notes launch ... -- COMMAND``: a command after ``--`` that is one of ours
    (``run CHAPTER ...``) runs as ``python -m gluon_notes.cli`` in every worker."""
    from .dist import main as launch_main
    argv = list(argv)
    if "--" in argv:
        cut = argv.index("--") + 1
        if cut < len(argv) and argv[cut] in COMMANDS:
            argv[cut:cut] = [sys.executable, "-m", "gluon_notes.cli"]
    return launch_main(argv, prog="gluon-notes launch")


COMMANDS = {"list": _list, "run": _run, "data": _data, "bench": _bench, "report": _report,
            "launch": _launch}


def run_main(fn, argv=None):
    """Call ``fn(argv)``; a ``GluonNotesError`` becomes one line on stderr and exit status 2."""
    try:
        rc = fn(argv)
        return rc if isinstance(rc, int) else 0
    except GluonNotesError as err:
        print("gluon-notes: error: %s" % err, file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # a chapter's runner sets .note after saving what finished
        print("gluon-notes: %s" % getattr(err, "note", "interrupted."), file=sys.stderr)
        return 130


def _dispatch(argv, entry_point=False):
    if argv[0] == "--version":
        print("gluon-notes " + __version__)
        return 0
    command = COMMANDS.get(argv[0])
    if command is None:
        raise GluonNotesError("unknown command %r; use one of: %s."
                              % (argv[0], ", ".join(COMMANDS)))
    if command is _run:
        return _run(argv[1:], entry_point)
    return command(argv[1:])


def main(argv=None):
    """``gluon-notes ARGV``; ``argv=None`` (the console script) reads ``sys.argv`` and may
    restart the process with a chapter's CPU profile."""
    entry_point = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage:\n" + USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    return run_main(lambda a: _dispatch(a, entry_point), argv)


if __name__ == "__main__":
    sys.exit(main())
