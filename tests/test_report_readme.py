"""The README's generated sections (``gluon_notes.report.readme``) on a synthetic report, and the
predicted-labels grid (``gluon_notes.plot_predictions``). Nothing here trains."""
import json
import re

import numpy as np
import pytest
from matplotlib.colors import to_hex
from PIL import Image

from gluon_notes.chapters import list_chapters
from gluon_notes.errors import GluonNotesError
from gluon_notes.plot_predictions import WRONG, show_predictions
from gluon_notes.report import compare, gallery, index
from gluon_notes.report import main as report_main
from gluon_notes.report.readme import MARKERS, NOTEBOOKS_DIR, marker_lines, update

BEFORE = "# project\n\nHand-written intro | with a pipe.\n\n## Results\n\n"
BETWEEN = "\n\nHand-written text between the sections.\n\n"
AFTER = "\n\n## The end\n\nHand-written outro.\n"


def _png(path, width=1600, height=300):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (30, 120, 200)).save(path)


def _result(chapter, status="ok", figures=None, settings=None, images=(), seconds=1.5,
            reason=""):
    metrics = dict(settings=settings or {}, **(figures or {}))
    comparison = compare(chapter, metrics) if status == "ok" else None
    return dict(chapter=chapter, argv=[], status=status, reason=reason, seconds=seconds,
                figures=figures or {}, cpu=None, images=list(images), comparison=comparison,
                log="logs/%s.log" % chapter, settings=settings)


@pytest.fixture
def report_dir(tmp_path):
    out = tmp_path / "report"
    book = dict(num_epochs=5, batch_size=256, lr=0.1, seed=[0], limit=None)
    chapters = [
        _result("init-variance", images=["init-variance/init_variance.png"], seconds=22.4),
        _result("lenet", status="failed", reason="exit status 1: boom", seconds=3.0),
        _result("mlp", figures=dict(test_acc_mean=0.8712), images=["mlp/curves.png"],
                settings=dict(book, lr=0.5, seed=[0, 1, 2]), seconds=21.2),
        _result("padding-stride", seconds=2.7),
        _result("softmax", figures=dict(test_acc_mean=0.8265, seconds_per_epoch=0.85),
                settings=book, images=["softmax/curves.png"], seconds=12.2),
    ]
    for r in chapters:
        for img in r["images"]:
            _png(out / img)
    doc = dict(quick=True, date="2026-12-04T16:35:47+00:00", seconds=2201.7,
               machine=dict(cpu="AMD EPYC", cores=2, physical_cores=2, loadavg=[7.6, 8.0, 8.9],
                            python="3.11.7", mxnet="1.9.1", platform="Linux"),
               command="gluon-notes report --quick", tolerance_note="'equal' means close.",
               chapters=chapters)
    (out / "report.json").write_text(json.dumps(doc))
    return out


def _readme_text():
    parts = [BEFORE]
    for i, name in enumerate(MARKERS):
        start, end = marker_lines(name)
        parts += [start, "\nold generated text\n", end, BETWEEN if i < len(MARKERS) - 1 else ""]
    return "".join(parts) + AFTER


@pytest.fixture
def readme(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(_readme_text())
    return path


def _section(text, name):
    start, end = marker_lines(name)
    return text.split(start + "\n", 1)[1].split("\n" + end, 1)[0]


def _rows(section):
    return {cells[0]: cells for cells in (
        [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in section.splitlines() if line.startswith("| `"))}


def test_results_table_rows_machine_and_date(report_dir, readme):
    assert update(report_dir, readme, predictions=False) is True
    section = _section(readme.read_text(), "results")
    rows = _rows(section)
    assert list(rows) == ["`init-variance`", "`lenet`", "`mlp`", "`padding-stride`",
                          "`softmax`"]
    assert rows["`softmax`"] == [
        "`softmax`", "5 epochs, batch 256, lr 0.1", "test acc mean 0.8265, seconds per epoch 0.85",
        "test accuracy 0.843 (book 3.7, 5 epochs)", "0.8265: worse", "12.2"]
    assert rows["`mlp`"][1] == "5 epochs, batch 256, lr 0.5, seeds 0,1,2"
    assert rows["`mlp`"][4] == "0.8712: equal"
    assert rows["`lenet`"][4] == "failed: exit status 1: boom"
    assert rows["`padding-stride`"][1:5] == ["defaults", "", "", ""]
    assert "AMD EPYC, 2 logical CPUs (2 physical cores)" in section
    assert "2026-12-04 16:35:47" in section and "`gluon-notes report --quick`" in section
    assert "quick:" in section and "1 equal, 1 worse, 1 did not finish" in section


def _targets(text):
    return re.findall(r"\]\(([^)]+)\)", text)


def test_gallery_and_index_links_are_files(report_dir, readme):
    img_dir = readme.parent / "docs" / "img"
    _png(img_dir / "fashion_predictions.png", 400, 200)  # kept: predictions=False trains nothing
    update(report_dir, readme, predictions=False)
    text = readme.read_text()
    for name in ("gallery", "chapters"):
        targets = _targets(_section(text, name))
        assert targets and all((readme.parent / t).is_file() for t in targets), targets
    shown = _targets(_section(text, "gallery"))
    assert shown[:3] == ["docs/img/training_curves.png", "docs/img/fashion_predictions.png",
                         "docs/img/init_variance.png"]
    assert shown[3].endswith("docs/bench.png")
    with Image.open(img_dir / "init_variance.png") as img:   # 1600 px wide: shrunk, palette
        assert img.width == gallery.MAX_WIDTH and img.mode == "P"
    rows = _rows(_section(text, "chapters"))
    assert sorted(r.strip("`") for r in rows) == list_chapters()
    assert "[softmax.py](" in rows["`softmax`"][3] and rows["`softmax`"][1] == "book 3.7"
    assert "ch3_softmax_mlp" in rows["`softmax`"][4] and rows["`linreg`"][4] == "-"
    assert rows["`gan`"][1].startswith("PyTorch course, part 2")
    assert "hybridize_bench" in _section(text, "chapters")  # a notebook without a chapter


def test_a_missing_figure_is_left_out_not_kept_stale(report_dir, readme):
    img_dir = readme.parent / "docs" / "img"
    _png(img_dir / "training_curves.png", 100, 100)        # from an earlier run
    (report_dir / "mlp" / "curves.png").unlink()             # this run has none
    update(report_dir, readme, predictions=False)
    shown = _targets(_section(readme.read_text(), "gallery"))
    assert not any("training_curves" in t or "fashion_predictions" in t for t in shown)


def test_idempotent_and_the_rest_untouched(report_dir, readme):
    update(report_dir, readme, predictions=False)
    first = readme.read_text()
    images = {p.name: p.read_bytes() for p in (readme.parent / "docs" / "img").iterdir()}
    assert update(report_dir, readme, predictions=False) is False
    assert readme.read_text() == first
    assert images == {p.name: p.read_bytes() for p in (readme.parent / "docs" / "img").iterdir()}
    assert first.startswith(BEFORE + marker_lines("results")[0] + "\n")
    assert first.endswith(marker_lines("chapters")[1] + AFTER)
    assert first.count(BETWEEN) == 2 and "old generated text" not in first


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("<!-- gallery:end -->\n", ""),
     r"has no line `<!-- gallery:end -->`; add the pair"),
    (lambda t: t + "<!-- results:start -->\n", r"`<!-- results:start -->` 2 times; keep one"),
    (lambda t: t.replace("<!-- chapters:start -->", "<!-- x -->").replace(
        "<!-- chapters:end -->", "<!-- chapters:start -->").replace("<!-- x -->",
                                                                      "<!-- chapters:end -->"),
     r"`<!-- chapters:end -->` before `<!-- chapters:start -->`"),
])
def test_bad_markers_are_one_sentence_and_nothing_is_written(report_dir, readme, edit, message):
    readme.write_text(edit(readme.read_text()))
    before = readme.read_bytes()
    with pytest.raises(GluonNotesError, match=message):
        update(report_dir, readme, predictions=False)
    assert readme.read_bytes() == before and not (readme.parent / "docs").exists()


def test_a_missing_or_broken_report_is_one_sentence(tmp_path, readme):
    with pytest.raises(GluonNotesError, match=r"has no report\.json; run `gluon-notes report"):
        update(tmp_path / "nowhere", readme, predictions=False)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{not json")
    with pytest.raises(GluonNotesError, match="is not valid JSON"):
        update(tmp_path / "broken", readme, predictions=False)
    (tmp_path / "broken" / "report.json").write_text("{}")
    with pytest.raises(GluonNotesError, match="lacks chapters, machine, date"):
        update(tmp_path / "broken", readme, predictions=False)
    with pytest.raises(GluonNotesError, match="does not exist"):
        update(tmp_path / "broken", tmp_path / "NOPE.md", predictions=False)
    assert readme.read_text() == _readme_text()


def test_report_command_readme_options(report_dir, readme, tmp_path):
    assert report_main(["--from", str(report_dir), "--readme", str(readme),
                        "--keep-predictions"]) == 0
    assert "`softmax`" in _section(readme.read_text(), "results")
    with pytest.raises(GluonNotesError, match="--from only feeds --readme"):
        report_main(["--from", str(report_dir)])
    with pytest.raises(GluonNotesError, match="--quick has no effect"):
        report_main(["--from", str(report_dir), "--readme", str(readme), "--quick"])
    # a README without its markers fails before any chapter runs
    bad = tmp_path / "BAD.md"
    bad.write_text("# no markers\n")
    out = tmp_path / "never"
    with pytest.raises(GluonNotesError, match="has no line `<!-- results:start -->`"):
        report_main(["--readme", str(bad), "--out", str(out), "--chapters", "linreg"])
    assert not out.exists()


def test_every_notebook_evidence_string_is_in_a_notebook_and_every_chapter_has_a_source():
    code = "\n".join(index.notebook_code(p) for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    missing = [(c, s) for c, strings in index.EVIDENCE.items() for s in strings if s not in code]
    assert not missing, "notebooks changed: update index.EVIDENCE for %s" % missing
    assert set(index.EVIDENCE) | set(index.COURSE) | set(index.OTHER) <= set(list_chapters())
    from gluon_notes.chapters import summary
    assert [c for c in list_chapters() if not index.source(c, summary(c))[1]] == []
    assert index.source("dropout", "Dropout: nn.Dropout(0.2) (book 3.13.3).")[1] == "book 3.13.3"
    assert index.what("Pooling: max (5.4).") == "Pooling: max."


def test_show_predictions_labels_each_image_and_marks_the_wrong_ones(tmp_path):
    X = np.random.uniform(size=(5, 1, 8, 8)).astype("float32")   # (N, C, H, W)
    y, y_hat = [0, 1, 2, 3, 9], [0, 7, 2, 3, 5]                   # images 1 and 4 wrong
    path = tmp_path / "grid.png"
    fig = show_predictions(X, y, y_hat, path, num_cols=3, title="tiny")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = fig.axes
    assert len(axes) == 6 and not axes[5].axison                 # 2 x 3 grid, one cell empty
    labels = [ax.xaxis.label for ax in axes[:5]]
    assert labels[1].get_text() == "true: trouser\npred: sneaker"
    assert labels[4].get_text() == "true: ankle boot\npred: sandal"
    wrong = [to_hex(lbl.get_color()) == WRONG for lbl in labels]
    assert wrong == [False, True, False, False, True]
    frames = [to_hex(ax.spines["left"].get_edgecolor()) == WRONG for ax in axes[:5]]
    assert frames == wrong
    with pytest.raises(GluonNotesError, match="as many labels and predictions as images"):
        show_predictions(X, y[:4], y_hat)
