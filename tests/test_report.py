"""``gluon-notes report``: the plan, the comparison with the book, the three files, the browser."""
import json
import re
import subprocess

import pytest

from gluon_notes.chapters import list_chapters
from gluon_notes.errors import GluonNotesError
from gluon_notes.report import QUICK_ARGS, REFERENCES, compare, main, plan, run_all, run_chapter

#: two fast chapters: one with a figure and a book reference, one that only prints shapes
TINY = ["linreg", "padding-stride"]


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    rc = main(["--out", str(out), "--chapters", ",".join(TINY), "--no-progress"])
    return rc, out


def _metrics(chapter, **settings):
    return dict(chapter=chapter, settings=dict(REFERENCES[chapter]["settings"],
                                               **dict(dict(limit=None), **settings)))


def test_compare_marks_better_equal_worse_with_the_stated_tolerance():
    # softmax: 0.843, accuracies equal within 0.005
    assert compare("softmax", dict(_metrics("softmax"), test_acc_mean=0.8475))["verdict"] == "equal"
    assert compare("softmax", dict(_metrics("softmax"), test_acc_mean=0.849))["verdict"] == "better"
    assert compare("softmax", dict(_metrics("softmax"), test_acc_mean=0.837))["verdict"] == "worse"
    # a range: anything in [0.870 - 0.005, 0.876 + 0.005] is equal
    for acc, verdict in [(0.866, "equal"), (0.880, "equal"), (0.882, "better"), (0.86, "worse")]:
        assert compare("mlp", dict(_metrics("mlp"), test_acc_mean=acc))["verdict"] == verdict
    # lower is better for the polynomial's distance to the truth (book: 0.024, tol 0.01)
    c = compare("poly-fit", dict(_metrics("poly-fit"), normal_max_abs_err_mean=0.005))
    assert c["verdict"] == "better" and c["reference"] == pytest.approx(0.024)
    assert compare("poly-fit", dict(_metrics("poly-fit"),
                                    normal_max_abs_err_mean=0.04))["verdict"] == "worse"
    assert compare("padding-stride", {"settings": {}}) is None


def test_compare_says_settings_differ_instead_of_a_verdict():
    c = compare("lenet", dict(_metrics("lenet", num_epochs=2, limit=10240), test_acc_mean=0.5))
    assert c["verdict"] == "settings differ"
    assert "epochs 2 (book 5)" in c["note"] and "limit 10240" in c["note"]


def test_linreg_batch_mean_loss_is_shown_not_compared():
    runs = [dict(seed=0, history=[dict(epoch=3, loss=6e-5)])]
    c = compare("linreg", dict(_metrics("linreg"), runs=runs))
    assert c["verdict"] == "measured differently" and c["value"] == pytest.approx(6e-5)
    c = compare("linreg", dict(_metrics("linreg"), runs=runs, final_train_loss_mean=4.8e-5))
    assert c["verdict"] == "equal" and c["value"] == 4.8e-5


def test_plan_covers_every_chapter_and_quick_caps_the_heavy_ones():
    chapters = list_chapters()
    full, quick = plan(chapters), plan(chapters, quick=True)
    assert [c for c, _ in full] == [c for c, _ in quick] == chapters
    assert set(QUICK_ARGS) <= set(chapters), "QUICK_ARGS names a chapter that does not exist"
    for heavy in ("alexnet", "vgg", "nin", "googlenet", "resnet18", "densenet"):
        assert "--limit" in dict(quick)[heavy] and dict(full)[heavy] == []
    # chapters with a reference at the book's settings are still compared by --quick
    for book in ("softmax", "mlp", "poly-fit", "linreg"):
        assert dict(quick)[book] == dict(full)[book]
    assert plan(chapters, only=["mlp", "linreg"]) == [("linreg", []), ("mlp", [])]


def test_bad_input_is_one_sentence(tmp_path):
    with pytest.raises(GluonNotesError, match="unknown chapter.*nope"):
        main(["--out", str(tmp_path), "--chapters", "linreg,nope"])
    with pytest.raises(GluonNotesError, match="--timeout"):
        main(["--out", str(tmp_path), "--timeout", "0"])
    with pytest.raises(GluonNotesError, match="--out is empty"):
        main(["--out", " "])


def test_a_failing_chapter_is_reported_and_the_rest_go_on(tmp_path):
    results, interrupted = run_all([("padding-stride", ["--no-such-option"]),
                                    ("channels", [])], tmp_path, progress=False)
    assert interrupted is None
    bad, good = results
    assert bad["status"] == "failed" and "exit status 2" in bad["reason"]
    assert "--no-such-option" in bad["reason"]  # the chapter's own one-sentence error
    assert good["status"] == "ok" and (tmp_path / "channels" / "metrics.json").exists()


def test_a_chapter_past_its_timeout_is_stopped(tmp_path):
    r = run_chapter("padding-stride", [], tmp_path, timeout=0.2)
    assert r["status"] == "timeout" and r["figures"] == {}


def test_tiny_report_writes_the_three_files(tiny_report):
    rc, out = tiny_report
    assert rc == 0
    doc = json.loads((out / "report.json").read_text())
    assert [r["chapter"] for r in doc["chapters"]] == TINY
    assert all(r["status"] == "ok" and r["seconds"] > 0 for r in doc["chapters"])
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["cpu"]
    linreg = doc["chapters"][0]
    assert linreg["figures"]["err_w_mean"] < 0.01  # w is learned
    assert linreg["comparison"]["reference"] == 4.9e-5 and linreg["images"] == [
        "linreg/curves.png"]
    # the json records the checksums of the pages written with it
    assert set(doc["files"]) == {"report.md", "report.html"}
    md = (out / "report.md").read_text()
    assert re.search(r"^\| linreg \| \(defaults\) \| ok \|", md, re.M)
    assert "![linreg/curves.png](linreg/curves.png)" in md
    html = (out / "report.html").read_text()
    srcs = re.findall(r"<img [^>]*src='([^']*)'", html)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")
    assert not re.search(r"(src|href)=['\"](https?:|file:|/)", html), "the page links outside"


def _chromium(*args, cwd):
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--user-data-dir=%s" % (cwd / "profile")] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.needs("chromium")
def test_report_html_renders_every_figure_in_chromium(tiny_report, tmp_path):
    _, out = tiny_report
    expected = sum(len(r["images"]) for r in json.loads((out / "report.json").read_text())
                   ["chapters"])
    # a copy of the page (moved away from its figures' folders, to prove it needs none) with a
    # script that writes how many images decoded into the DOM once the page has loaded
    probe = ("<script>window.addEventListener('load', function () { var n = 0; "
             "for (var i of document.images) if (i.complete && i.naturalWidth > 0) n++; "
             "document.body.setAttribute('data-loaded', n + '/' + document.images.length); "
             "});</script></body>")
    page = tmp_path / "page.html"
    page.write_text((out / "report.html").read_text().replace("</body>", probe))
    r = _chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'data-loaded="%d/%d"' % (expected, expected) in r.stdout, r.stdout[:500]
    # and a screenshot of the page itself is not blank
    shot = tmp_path / "shot.png"
    r = _chromium("--screenshot=%s" % shot, "--window-size=1280,1400", (out / "report.html")
                  .as_uri(), cwd=tmp_path)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    from matplotlib.image import imread
    img = imread(str(shot))  # (H, W, channels) in [0, 1]
    assert img.shape[:2] == (1400, 1280) and img[..., :3].std() > 0.05
