"""The report's three files: ``report.md``, ``report.html`` (one self-contained page) and
``report.json``.

Design
------
* One document (``report.json``'s content) feeds all three, so they always agree.
* ``report.html`` embeds every figure as a base64 PNG data URI and its style inline: the page
  needs no other file and no network.
* ``report.md`` links the figures by their paths relative to the report folder.
* The three files are written as one group (``atomic.write_group``, ``report.json`` last).
"""
import base64
import html
from pathlib import Path

from ..atomic import write_group

VERDICT_COLORS = {"better": "#1a7f37", "equal": "#0969da", "worse": "#cf222e"}


def _num(v):
    if isinstance(v, float):
        return "%.4g" % v
    return str(v)


def _reference(c):
    if c is None:
        return ""
    ref = c["reference"]
    ref = "%s-%s" % tuple(_num(x) for x in ref) if isinstance(ref, list) else _num(ref)
    return "%s %s (%s)" % (c["label"], ref, c["source"])


def _verdict(c):
    if c is None:
        return ""
    value = "" if c["value"] is None else "%s: " % _num(c["value"])
    note = " (%s)" % c["note"] if c["verdict"] not in ("better", "equal", "worse") else ""
    return value + c["verdict"] + note


def _figures(r):
    return ", ".join("%s %s" % (k.replace("_", " "), _num(v)) for k, v in r["figures"].items())


def _status(r):
    return r["status"] if r["status"] == "ok" else "%s: %s" % (r["status"], r["reason"])


def rows(doc):
    """One row of strings per chapter: chapter, argv, status, seconds, figures, reference,
    comparison."""
    for r in doc["chapters"]:
        yield [r["chapter"], " ".join(r["argv"]) or "(defaults)", _status(r),
               "" if r["seconds"] is None else "%.1f" % r["seconds"], _figures(r),
               _reference(r["comparison"]), _verdict(r["comparison"])]


HEADER = ["chapter", "arguments", "status", "seconds", "final figures", "reference (book's code)",
          "here vs reference"]


def _machine_line(doc):
    m = doc["machine"]
    return ("%s, %s logical CPUs (%s physical cores), load average %s at the start; Python %s, "
            "MXNet %s; %s" % (m["cpu"], m["cores"], m["physical_cores"],
                              "/".join("%.1f" % x for x in m["loadavg"]), m["python"],
                              m["mxnet"], m["platform"]))


def _intro(doc):
    return ("%s run of %d chapter(s) on %s, %.0f s in all. %s" % (
        "Quick (--quick)" if doc["quick"] else "Full", len(doc["chapters"]), doc["date"],
        doc["seconds"], doc["tolerance_note"]))


def markdown(doc):
    """``report.md``: the intro, the machine, the table and the figures (linked)."""
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    lines = ["# gluon-notes report", "", _intro(doc), "", "Machine: " + _machine_line(doc), "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows(doc)]
    lines += ["", "## Figures", ""]
    for r in doc["chapters"]:
        for img in r["images"]:
            lines += ["### %s: %s" % (r["chapter"], Path(img).name), "", "![%s](%s)" % (img, img),
                      ""]
    return "\n".join(lines) + "\n"


CSS = """body{font-family:sans-serif;margin:1.5em;max-width:1200px;color:#1f2328}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f6f8fa}.fig{display:inline-block;margin:6px;
vertical-align:top}.fig img{max-width:560px;border:1px solid #d0d7de}code{font-size:12px}"""


def _data_uri(path):
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def page(doc, root):
    """``report.html``: one self-contained page; figures are read from ``root`` and embedded."""
    e = html.escape
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>gluon-notes report</title>",
           "<style>%s</style></head><body><h1>gluon-notes report</h1>" % CSS,
           "<p>%s</p><p>Machine: %s</p>" % (e(_intro(doc)), e(_machine_line(doc))),
           "<table><tr>%s</tr>" % "".join("<th>%s</th>" % e(h) for h in HEADER)]
    for r, row in zip(doc["chapters"], rows(doc)):
        verdict = (r["comparison"] or {}).get("verdict")
        cells = ["<td>%s</td>" % e(c) for c in row]
        cells[0] = "<td><a href='#%s'>%s</a></td>" % (e(r["chapter"]), e(r["chapter"]))
        if verdict in VERDICT_COLORS:
            cells[-1] = "<td style='color:%s;font-weight:bold'>%s</td>" % (
                VERDICT_COLORS[verdict], e(row[-1]))
        out.append("<tr>%s</tr>" % "".join(cells))
    out.append("</table><h2>Figures</h2>")
    for r in doc["chapters"]:
        if not r["images"]:
            continue
        out.append("<h3 id='%s'>%s</h3>" % (e(r["chapter"]), e(r["chapter"])))
        for img in r["images"]:
            out.append("<div class='fig'><img alt='%s' src='%s'><br><code>%s</code></div>"
                       % (e(img), _data_uri(Path(root) / img), e(img)))
    out.append("</body></html>")
    return "\n".join(out)


def _text_writer(text):
    def write(tmp):
        Path(tmp).write_text(text, encoding="utf-8")
    return write


def write_report(out, doc):
    """Write ``report.md``, ``report.html`` and ``report.json`` into ``out`` as one group;
    returns ``{name: path}``."""
    return write_group(out, {"report.md": _text_writer(markdown(doc)),
                             "report.html": _text_writer(page(doc, out)),
                             "report.json": doc})
