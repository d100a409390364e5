"""Rewrite the README's generated sections from one ``report.json``.

Design
------
* Three sections, each between its own pair of marker lines (``MARKERS``, e.g.
  ``<!-- results:start -->`` / ``<!-- results:end -->``): the results table of the run, a
  gallery of key figures (``gallery``) and the chapter index (``index``). Everything outside
  the markers is left byte for byte as it was; inside, the text is replaced.
* Idempotent: the text depends only on ``report.json``, the chapter registry, the notebooks
  and which gallery figures exist, never on the time or the paths it was called with (links
  are relative to the README), so a second run writes the same README.
* Everything is checked before anything is written: the report exists and parses, each marker
  is on a line of its own, once, start before end. Each failure is one sentence
  (``GluonNotesError``). The README is replaced atomically, and only when its text changes.
* ``python -m gluon_notes.report.readme REPORT_DIR README.md`` or
  ``gluon-notes report --from REPORT_DIR --readme README.md`` (``command``).
"""
import json
import sys
from pathlib import Path

from ..atomic import atomic_write
from ..errors import GluonNotesError
from . import gallery, index
from .render import _figures, _reference, _verdict

MARKERS = ("results", "gallery", "chapters")
PACKAGE_DIR = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PACKAGE_DIR.parent / "notebooks"
REGENERATE = "gluon-notes report --from REPORT_DIR --readme README.md"


def marker_lines(name):
    """The start and end lines of section ``name``."""
    return "<!-- %s:start -->" % name, "<!-- %s:end -->" % name


def load_report(report_dir):
    """The document of ``REPORT_DIR/report.json``; a missing or unreadable one is one
    sentence."""
    path = Path(report_dir) / "report.json"
    if not path.is_file():
        raise GluonNotesError("%s has no report.json; run `gluon-notes report --out %s` first, "
                              "or name the folder that holds one." % (report_dir, report_dir))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise GluonNotesError("%s is not valid JSON (%s); run the report again." % (
            path, str(err).split(":")[0])) from None
    missing = [k for k in ("chapters", "machine", "date") if not isinstance(doc, dict)
               or k not in doc]
    if missing:
        raise GluonNotesError("%s lacks %s, so it is not a report of `gluon-notes report`; run "
                              "the report again." % (path, ", ".join(missing)))
    return doc


def find_sections(text, readme):
    """``{name: (start line index, end line index)}``; raises on a missing, repeated or
    misordered marker, naming the README and the line to add."""
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    found = {}
    for name in MARKERS:
        start, end = marker_lines(name)
        where = [[i for i, s in enumerate(stripped) if s == m] for m in (start, end)]
        for m, at in zip((start, end), where):
            if not at:
                raise GluonNotesError("%s has no line `%s`; add the pair `%s` / `%s` on lines "
                                      "of their own where the %s section belongs."
                                      % (readme, m, start, end, name))
            if len(at) > 1:
                raise GluonNotesError("%s has the line `%s` %d times; keep one." % (
                    readme, m, len(at)))
        if where[0][0] > where[1][0]:
            raise GluonNotesError("%s has `%s` before `%s`; put the start line first."
                                  % (readme, end, start))
        found[name] = (where[0][0], where[1][0])
    spans = sorted(found.values())
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        raise GluonNotesError("%s has one generated section inside another; close each "
                              "section (its :end line) before the next :start line." % readme)
    return found


def replace_sections(text, bodies, readme):
    """``text`` with the lines between each pair of markers replaced by ``bodies[name]``."""
    lines = text.split("\n")
    for name, (start, end) in sorted(find_sections(text, readme).items(),
                                     key=lambda kv: -kv[1][0]):
        lines[start + 1:end] = bodies[name]
    return "\n".join(lines)


def _settings(r):
    s = r.get("settings") or {}
    parts = [fmt % s[k] for k, fmt in (("num_epochs", "%s epoch"), ("batch_size", "batch %s"),
                                       ("lr", "lr %s"), ("resize", "%s px"),
                                       ("limit", "first %s images")) if s.get(k) is not None]
    if s.get("num_epochs") not in (None, 1):
        parts[0] += "s"
    seeds = s.get("seed")
    if isinstance(seeds, list) and len(seeds) > 1:
        parts.append("seeds " + ",".join(str(x) for x in seeds))
    return ", ".join(parts) or "defaults"


def _machine(doc):
    m = doc["machine"]
    load = m.get("loadavg") or []
    return "%s, %s logical CPUs (%s physical cores)%s" % (
        m.get("cpu", "?"), m.get("cores", "?"), m.get("physical_cores", "?"),
        ", load average %.1f at the start" % load[0] if load else "")


def _counts(doc):
    verdicts = [(r["comparison"] or {}).get("verdict") for r in doc["chapters"]]
    named = ("better", "equal", "worse", "settings differ", "measured differently")
    parts = ["%d %s" % (verdicts.count(v), v) for v in named if verdicts.count(v)]
    failed = sum(r["status"] != "ok" for r in doc["chapters"])
    return ", ".join(parts + (["%d did not finish" % failed] if failed else [])) or "none"


def results_section(doc):
    """The results table with the run's machine, date and kind (full or ``--quick``)."""
    kind = ("quick: the training-heavy chapters capped to fewer epochs and images"
            if doc.get("quick") else "full: every chapter with its book settings")
    lines = [
        "<!-- generated from report.json by `%s`; edits here are overwritten -->" % REGENERATE,
        "",
        "From one run of `%s` (%s) on %s, on %s; Python %s, MXNet %s. %d chapters, %.0f s in "
        "all. Against the book's own code: %s." % (
            doc.get("command", "gluon-notes report"), kind, doc["date"].replace("T", " "),
            _machine(doc), doc["machine"].get("python", "?"), doc["machine"].get("mxnet", "?"),
            len(doc["chapters"]), doc.get("seconds") or 0, _counts(doc)),
        ""]
    if doc.get("tolerance_note"):
        lines += [doc["tolerance_note"], ""]
    lines += ["| chapter | settings | final figures | the book's reference | verdict | seconds |",
              "|---|---|---|---|---|---|"]
    for r in doc["chapters"]:
        verdict = _verdict(r["comparison"]) if r["status"] == "ok" else (
            "%s: %s" % (r["status"], r.get("reason", "")))
        cells = [_settings(r), _figures(r), _reference(r["comparison"]), verdict,
                 "" if r.get("seconds") is None else "%.1f" % r["seconds"]]
        lines.append("| `%s` | %s |" % (r["chapter"], " | ".join(
            c.replace("|", "\\|").replace("\n", " ") for c in cells)))
    return lines


def gallery_section(items):
    """``[(what, caption, path)]`` as Markdown: a bold title, the caption, the image."""
    lines = ["<!-- generated by `%s`; the figures are in docs/img -->" % REGENERATE]
    for what, caption, path in items:
        lines += ["", "**%s**: %s." % (what, caption), "", "![%s](%s)" % (what, path)]
    return lines + [""]


def chapters_section(readme_dir):
    """The chapter index of the registry's chapters."""
    from ..chapters import list_chapters, summary
    chapters = [(c, summary(c)) for c in list_chapters()]
    return ["<!-- generated by `%s` from `gluon-notes list` and notebooks/ -->" % REGENERATE,
            ""] + index.markdown(chapters, readme_dir, PACKAGE_DIR, NOTEBOOKS_DIR) + [""]


def update(report_dir, readme, img_dir=None, predictions=True):
    """Rewrite the three sections of ``readme`` from ``REPORT_DIR/report.json``; the gallery's
    figures go to ``img_dir`` (default: ``docs/img`` beside the README). Returns True when the
    README's text changed."""
    readme = Path(readme)
    if not readme.is_file():
        raise GluonNotesError("%s does not exist; name the README to update (its generated "
                              "sections need marker lines)." % readme)
    text = readme.read_text(encoding="utf-8")
    find_sections(text, readme)                    # every marker is checked before any write
    doc = load_report(report_dir)
    readme_dir = readme.resolve().parent
    img_dir = readme_dir / "docs" / "img" if img_dir is None else Path(img_dir)
    items = gallery.build(doc, report_dir, readme_dir, img_dir, predictions=predictions)
    new = replace_sections(text, dict(results=results_section(doc),
                                      gallery=gallery_section(items),
                                      chapters=chapters_section(readme_dir)), readme)
    if new == text:
        return False
    atomic_write(str(readme), lambda tmp: Path(tmp).write_text(new, encoding="utf-8"))
    return True


def add_arguments(p):
    """``--img-dir`` and ``--keep-predictions``, shared by this module's and the report's
    command lines."""
    p.add_argument("--img-dir", default=None,
                   help="folder for the gallery's figures (default: docs/img beside the README)")
    p.add_argument("--keep-predictions", dest="predictions", action="store_false",
                   help="keep the predictions grid already in the image folder instead of "
                        "training the softmax chapter again")


def main(argv=None):
    """``python -m gluon_notes.report.readme REPORT_DIR README.md``; returns 0."""
    from ..cliargs import ArgumentParser
    p = ArgumentParser(prog="python -m gluon_notes.report.readme",
                       description="Rewrite README.md's generated sections (results, gallery, "
                                   "chapters) from REPORT_DIR/report.json.")
    p.add_argument("report_dir", help="the --out folder of a `gluon-notes report` run")
    p.add_argument("readme", nargs="?", default="README.md", help="default %(default)s")
    add_arguments(p)
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    changed = update(args.report_dir, args.readme, args.img_dir, args.predictions)
    print("%s %s" % ("updated" if changed else "unchanged:", args.readme))
    return 0


if __name__ == "__main__":  # the CLI's convention: one sentence, exit status 2
    try:
        sys.exit(main())
    except GluonNotesError as err:
        print("gluon-notes: error: %s" % err, file=sys.stderr)
        sys.exit(2)
