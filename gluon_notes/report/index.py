"""The README's chapter index: every chapter, its book section or course part, its script and
the notebooks that cover it.

Design
------
* The chapters are the registry's (``chapters.list_chapters``), each with its summary line;
  the book section is read from the summary (``book 3.7`` or ``(5.3)``), the PyTorch course's
  part from ``COURSE``, the rest from ``OTHER``.
* A notebook covers a chapter when one of its code cells calls ``get_chapter('ID')`` or holds
  one of the chapter's ``EVIDENCE`` strings (chosen by reading the notebooks: the library call
  that does the chapter's work). A notebook edited so that the evidence disappears loses the
  link rather than keeping a wrong one; a test checks that every evidence string is found.
* Notebooks that cover no chapter are listed after the table, so every notebook is named.
* Links are relative to the README's folder.
"""
import json
import os
import re
from pathlib import Path

#: the PyTorch course's chapters (issues #10 and #11): part and topic
COURSE = {
    "losses": "part 1: losses", "info-theory": "part 1: information theory",
    "init-variance": "part 1: initialization", "optimizers": "part 1: optimizers",
    "train-eval": "part 1: train/eval modes",
    "course-cnn": "part 2: CNNs", "course-inception": "part 2: CNNs",
    "gd-variants": "part 2: gradient descent", "saddle": "part 2: critical points",
    "rnn-hello": "part 2: RNNs", "gan": "part 2: GANs", "estimation": "part 2: estimation",
    "bn-pitfalls": "part 2: BatchNorm pitfalls",
}
#: chapters neither in the book nor in the course
OTHER = {"lenet-improved": "beyond the book (5.5's LeNet, a modern recipe)"}

#: code in a notebook that shows it covers a chapter without calling ``get_chapter``
EVIDENCE = {
    "softmax": ["get_model('softmax_regression')"],
    "mlp": ["fit(get_model('mlp')"],
    "lenet": ["print_summary(get_model('lenet'))"],
    "batchnorm": ["get_model('lenet_bn')"],
    "custom-layer": ["CenteredLayer()", "MyDense(units"],
    "conv-layer": ["corr2d(X, K)"],
    "info-theory": ["info.entropy(", "info.compare_models()"],
    "rnn-hello": ["rnn_hello.train_variant("],
}

_SECTION = r"[1-9]\d*\.\d+(?:\.\d+)*"   # 3.7, 5.10.2 (not a rate such as 0.2)
_BOOK = re.compile(r"\((?:book )?(%s)\)|book (%s)" % (_SECTION, _SECTION))
_TAGS = re.compile(r"\s*\((?:book )?(?:%s)\)|\s*\(course\)" % _SECTION)


def source(chapter, summary):
    """``(sort key, text)``: where a chapter comes from (book section, course part, other)."""
    if chapter in COURSE:
        return (1, COURSE[chapter]), "PyTorch course, " + COURSE[chapter]
    m = _BOOK.search(summary)
    if m:
        section = m.group(1) or m.group(2)
        return (0, tuple(int(x) for x in section.split("."))), "book " + section
    return (2, ()), OTHER.get(chapter, "")


def what(summary):
    """The summary without its section tag."""
    text = _TAGS.sub("", summary).strip()
    return re.sub(r"\s+([;.,])", r"\1", text)


def notebook_code(path):
    """The source of a notebook's code cells, joined."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def covers(chapter, code):
    """Whether notebook ``code`` covers ``chapter`` (``get_chapter`` call or evidence)."""
    calls = ("get_chapter('%s')" % chapter, 'get_chapter("%s")' % chapter)
    return any(s in code for s in calls + tuple(EVIDENCE.get(chapter, ())))


def _link(path, readme_dir, text):
    return "[%s](%s)" % (text, Path(os.path.relpath(path, readme_dir)).as_posix())


def chapter_rows(chapters, readme_dir, package_dir, notebooks_dir):
    """``[(chapter, source, what, script link, notebook links)]`` sorted by source;
    ``chapters`` is ``[(id, summary)]``."""
    notebooks = {p: notebook_code(p) for p in sorted(Path(notebooks_dir).glob("*.ipynb"))}
    rows = []
    for cid, summary in chapters:
        key, src = source(cid, summary)
        script = Path(package_dir, "chapters", cid.replace("-", "_") + ".py")
        nbs = [_link(p, readme_dir, p.stem) for p, code in notebooks.items() if covers(cid, code)]
        rows.append((key, cid, src, what(summary), _link(script, readme_dir, script.name),
                     ", ".join(nbs) or "-"))
    return [row[1:] for row in sorted(rows)]


def uncovering_notebooks(chapters, readme_dir, notebooks_dir):
    """Links to the notebooks that cover no chapter."""
    ids = [cid for cid, _ in chapters]
    return [_link(p, readme_dir, p.stem) for p in sorted(Path(notebooks_dir).glob("*.ipynb"))
            if not any(covers(cid, notebook_code(p)) for cid in ids)]


def markdown(chapters, readme_dir, package_dir, notebooks_dir):
    """The chapter index as Markdown lines."""
    lines = ["| chapter | book / course | what it shows | script | notebook |",
             "|---|---|---|---|---|"]
    for cid, src, text, script, nbs in chapter_rows(chapters, readme_dir, package_dir,
                                                      notebooks_dir):
        lines.append("| `%s` | %s | %s | %s | %s |" % (cid, src or "-", text.replace("|", "\\|"),
                                                      script, nbs))
    rest = uncovering_notebooks(chapters, readme_dir, notebooks_dir)
    if rest:
        lines += ["", "Notebooks on other topics: %s." % ", ".join(rest)]
    return lines
