"""The README's gallery: a few key figures of one report run, copied small into ``docs/img``.

Design
------
* ``GALLERY`` names each figure: a chapter's PNG from the run (copied through ``shrink_png``:
  at most ``MAX_WIDTH`` pixels wide, a 256-colour palette, so the committed files stay small
  and the same source gives the same bytes), the benchmark's chart where ``gluon-notes bench``
  left it (``docs/bench.png``, linked, not copied), or the predictions grid.
* The predictions grid comes from a model of the run: the chapters do not keep their weights,
  so ``predictions_png`` runs the ``softmax`` chapter again with the run's arguments plus
  ``--checkpoint`` (same seed, same data: the same model, a few seconds), loads the last
  checkpoint, predicts the first test images and draws them (``plot_predictions``). The figure's
  title carries the re-run's test accuracy and says whether it equals the run's.
* ``docs/bench.png`` is looked up in the repository (beside the ``gluon_notes`` package), and
  every path is written relative to the README.
* A figure whose source is missing (a chapter that failed) is left out, with one line on
  stderr; ``build(..., predictions=False)`` keeps the grid already in ``docs/img`` (no training).
"""
import json
import os
import sys
import tempfile
from pathlib import Path

from ..atomic import atomic_write

MAX_WIDTH = 1280
REPO_DIR = Path(__file__).resolve().parents[2]
#: the chapters ``predictions_png`` can re-run, and their registry model
MODELS = {"softmax": "softmax_regression", "mlp": "mlp"}

#: (file in docs/img or None, what, source, caption); source: ("chapter", CHAPTER, PNG),
#: ("repo", PATH) or ("predictions", CHAPTER)
GALLERY = [
    ("training_curves.png", "Training curves", ("chapter", "mlp", "curves.png"),
     "the MLP's loss and accuracy per epoch, training (solid) and test (dashed)"),
    ("fashion_predictions.png", "Predictions on Fashion-MNIST", ("predictions", "softmax"),
     "the first test images with their true and predicted labels, the mistakes in red; the "
     "softmax chapter's model, trained again with the run's settings and seed"),
    ("init_variance.png", "Variance propagation", ("chapter", "init-variance",
                                                   "init_variance.png"),
     "each layer's output std in a 100-layer MLP per initialization, and the gradient's chain "
     "product"),
    (None, "Hybridized vs imperative", ("repo", "docs/bench.png"),
     "speed-ups of `hybridize()` and the one loop against PyTorch eager, from `gluon-notes "
     "bench` (not part of the report; docs/bench.json)"),
]


def shrink_png(src, dst, max_width=MAX_WIDTH, colors=256):
    """Copy the PNG ``src`` to ``dst`` at most ``max_width`` pixels wide, as a palette PNG."""
    from PIL import Image
    with Image.open(src) as img:
        img = img.convert("RGB")
        if img.width > max_width:
            img = img.resize((max_width, round(img.height * max_width / img.width)),
                             Image.LANCZOS)
        # octree keeps the few saturated line colours of a plot (median cut merges them)
        img = img.quantize(colors=colors, method=Image.FASTOCTREE, dither=Image.NONE)
        atomic_write(str(dst), lambda tmp: img.save(tmp, format="PNG", optimize=True))


def _chapter_result(doc, chapter):
    for r in doc["chapters"]:
        if r["chapter"] == chapter:
            return r
    return None


def predictions_png(doc, dst, chapter="softmax", count=24):
    """Train ``chapter`` again with the run's arguments (and ``--checkpoint``), then draw the
    first ``count`` test images with its predictions into ``dst``. Returns the re-run's test
    accuracy, or None (with a line on stderr) when the run has no result for ``chapter``."""
    from ..chapters import get_chapter
    from ..checkpoint import read_manifest
    from ..data import load_fashion_mnist
    from ..io import load_parameters
    from ..models import get_model
    from ..plot_predictions import predict_labels, show_predictions
    r = _chapter_result(doc, chapter)
    if r is None or r["status"] != "ok":
        print("gallery: the run has no finished %s chapter; no predictions grid." % chapter,
              file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="gluon-notes-grid-") as tmp:
        get_chapter(chapter).main(list(r["argv"]) + ["--out", os.path.join(tmp, "out"),
                                                     "--checkpoint", os.path.join(tmp, "ckpt")])
        metrics = json.loads(Path(tmp, "out", "metrics.json").read_text())
        seed = metrics["settings"]["seed"][0]
        _, folder = read_manifest(os.path.join(tmp, "ckpt", "seed-%d" % seed))
        net = load_parameters(get_model(MODELS[chapter]), os.path.join(folder, "net.params"))
    X, y = load_fashion_mnist("test")
    acc = float((predict_labels(net, X) == y.asnumpy()).mean())
    run_acc = r["figures"].get("test_acc_mean")
    same = "as in the run" if run_acc is not None and abs(run_acc - acc) < 5e-5 else \
        "the run: %s" % ("%.4f" % run_acc if run_acc is not None else "?")
    show_predictions(X[:count], y[:count], predict_labels(net, X[:count]), dst,
                     title="%s, seed %d: test accuracy %.4f (%s)" % (chapter, seed, acc, same))
    return acc


def build(doc, report_dir, readme_dir, img_dir, predictions=True):
    """Write the gallery's figures into ``img_dir``; return ``[(what, caption, path)]`` with
    each path relative to ``readme_dir`` (POSIX), for the figures that exist."""
    report_dir, readme_dir, img_dir = Path(report_dir), Path(readme_dir), Path(img_dir)
    img_dir.mkdir(parents=True, exist_ok=True)
    items = []
    for name, what, source, caption in GALLERY:
        path = REPO_DIR / source[1] if source[0] == "repo" else img_dir / name
        made = source[0] == "repo" or (source[0] == "predictions" and not predictions)
        if source[0] == "chapter":
            r = _chapter_result(doc, source[1])
            src = report_dir / source[1] / source[2]
            if r is not None and r["status"] == "ok" and src.is_file():
                shrink_png(src, path)
                made = True
        elif source[0] == "predictions" and predictions:
            with tempfile.TemporaryDirectory(prefix="gluon-notes-grid-") as tmp:
                if predictions_png(doc, Path(tmp, name), source[1]) is not None:
                    shrink_png(Path(tmp, name), path)
                    made = True
        if made and path.is_file():
            items.append((what, caption, Path(os.path.relpath(path, readme_dir)).as_posix()))
        else:
            print("gallery: no %s (%s); left out." % (what.lower(), path), file=sys.stderr)
    return items
