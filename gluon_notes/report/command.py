"""``gluon-notes report [--quick] [--out DIR] [--readme README.md]``: run every chapter,
compare with the book; ``--from DIR --readme README.md`` only rewrites the README's sections.

Design
------
* ``main(argv)`` parses (``cliargs.ArgumentParser``: a bad argument is one sentence, a
  ``GluonNotesError``), checks ``--out`` is writable, runs the plan (``plan.plan``) through
  ``runner.run_all`` and writes the three files (``render.write_report``).
* The document records the machine (``bench.machine_info``, plus physical cores from
  ``perf``), the date, the total seconds and, per chapter, what ``runner.run_chapter`` returns.
* ``--readme README.md`` then rewrites the README's generated sections from the new report
  (``readme.update``; its markers are checked before the chapters run); ``--from DIR`` runs
  nothing and rewrites them from the report already in ``DIR``.
* Exit status: 0 when every chapter ran, 1 when one failed or timed out (the report is written
  either way), 130 after Ctrl-C (the chapters that finished are written).
"""
import argparse
import datetime
import sys
import time
from pathlib import Path

from ..cliargs import ArgumentParser, positive_float, prepare_out
from ..errors import GluonNotesError
from .plan import plan
from .readme import add_arguments, find_sections, update
from .render import write_report
from .runner import run_all

TOLERANCE_NOTE = ("'equal' means within the reference (or its range) widened by a tolerance: "
                  "0.005 for accuracies, 10% for the regression loss, 0.01 for the polynomial "
                  "coefficients; a run whose settings differ from the reference's is not "
                  "compared.")


def parse_args(argv):
    p = ArgumentParser(prog="gluon-notes report",
                       description="Run every chapter (each in its own process) and write "
                                   "report.md, report.html and report.json with each chapter's "
                                   "final figures next to the book's own.")
    p.add_argument("--quick", action="store_true",
                   help="every chapter, the heavy ones with fewer epochs and --limit "
                        "(about 15 minutes on a 2-core CPU)")
    p.add_argument("--out", default="runs/report",
                   help="folder for the report and each chapter's results (default %(default)s)")
    p.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                   help="stop a chapter that runs longer than this (default: no limit)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    p.add_argument("--readme", default=None, metavar="README.md",
                   help="then rewrite this README's generated sections (results, gallery, "
                        "chapters) from the report")
    p.add_argument("--from", dest="from_dir", default=None, metavar="DIR",
                   help="run nothing: rewrite --readme from DIR/report.json")
    add_arguments(p)
    # for tests: a comma-separated subset of chapters
    p.add_argument("--chapters", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def machine():
    """The CPU, cores, load, Python/MXNet versions and platform of this machine."""
    from .. import perf
    from ..bench import machine_info
    info = machine_info(None)
    keep = ("cpu", "cores", "loadavg", "python", "platform", "mxnet")
    return dict({k: info[k] for k in keep}, physical_cores=perf.physical_cores())


def main(argv=None):
    """``gluon-notes report ARGV``; returns the exit status (0: every chapter ran)."""
    from ..chapters import list_chapters
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.from_dir is not None:
        return _readme_only(args)
    if args.readme is not None:  # a missing marker is found now, not after the run
        _check_readme(args.readme)
    only = None if args.chapters is None else [c.strip() for c in args.chapters.split(",")
                                               if c.strip()]
    runs = plan(list_chapters(), quick=args.quick, only=only)
    out = prepare_out(args.out)
    started, start = datetime.datetime.now().astimezone(), time.perf_counter()
    info = machine()
    results, interrupted = run_all(runs, out, timeout=args.timeout, progress=args.progress)
    doc = dict(quick=args.quick, date=started.isoformat(timespec="seconds"),
               seconds=round(time.perf_counter() - start, 1), machine=info,
               command="gluon-notes report" + (" --quick" if args.quick else ""),
               tolerance_note=TOLERANCE_NOTE, chapters=results)
    paths = write_report(out, doc)
    failed = [r["chapter"] for r in results if r["status"] in ("failed", "timeout")]
    print("wrote %s" % ", ".join(paths[n] for n in ("report.md", "report.html", "report.json")))
    if failed:
        print("gluon-notes report: %d chapter(s) did not finish: %s (see %s)"
              % (len(failed), ", ".join(failed), Path(out, "logs")), file=sys.stderr)
    if interrupted is not None:
        interrupted.note = "interrupted: the finished chapters are in %s." % paths["report.md"]
        raise interrupted
    if args.readme is not None:
        _update(out, args)
    return 1 if failed else 0


def _check_readme(readme):
    path = Path(readme)
    if not path.is_file():
        raise GluonNotesError("--readme %s does not exist; name the README whose generated "
                              "sections to rewrite." % readme)
    find_sections(path.read_text(encoding="utf-8"), path)


def _update(report_dir, args):
    changed = update(report_dir, args.readme, args.img_dir, args.predictions)
    print("%s %s" % ("updated" if changed else "unchanged:", args.readme))


def _readme_only(args):
    """``--from DIR --readme README.md``: no chapter runs."""
    if args.readme is None:
        raise GluonNotesError("--from only feeds --readme; add --readme README.md (or drop "
                              "--from to run the report).")
    ran = [o for o, v in (("--quick", args.quick), ("--chapters", args.chapters),
                          ("--timeout", args.timeout)) if v]
    if ran:
        raise GluonNotesError("--from runs no chapter, so %s has no effect; drop it, or drop "
                              "--from to run the report." % " and ".join(ran))
    _update(args.from_dir, args)
    return 0

