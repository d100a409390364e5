"""What ``gluon-notes report`` runs, and the book's own figures it compares with.

Design
------
* ``plan(quick)`` is the ordered list of ``(chapter, extra argv)`` runs: every chapter with its
  book settings, or (``--quick``, about ten minutes on an idle 2-core CPU) every chapter with
  the training-heavy ones capped by ``QUICK_ARGS`` (fewer epochs, ``--limit`` samples; enough
  steps that LeNet learns). Chapters absent from both tables run with
  their defaults, so a chapter added to ``gluon_notes/chapters`` joins the report by itself.
* ``REFERENCES``: figures from reference runs of the book's own code (d2lzh, 1st edition), each
  with the settings it was measured with. A run is compared only when its ``metrics.json``
  settings equal those (and it used all the data); otherwise it says "settings differ".
* ``compare`` marks a value better / equal / worse than the reference. "Equal" means within the
  reference's range widened by its stated tolerance (``tol``, absolute; ``rel_tol`` relative).
"""
from ..errors import GluonNotesError

#: the full plan's arguments that differ from a chapter's defaults: the book's own settings
BOOK_ARGS = {
    "poly-fit": ["--epochs", "100"],  # the book trains 100 epochs (the chapter's default is 200)
}

#: ``--quick``: sized to about ten minutes for CI on an idle 2-core CPU. Small chapters keep their
#: defaults (the ones with a reference keep the book's settings, so they are still compared); the
#: CNNs at 96-224 px train one epoch on the first images only; LeNet (sigmoid) trains two epochs
#: on all the data: with fewer steps it stays at chance (its first epoch does), with two it is
#: clearly above it. The dropout chapters train two of their five epochs.
QUICK_ARGS = dict(BOOK_ARGS, **{
    "lenet": ["--epochs", "2"],
    "batchnorm": ["--epochs", "1", "--limit", "5120"],
    "batchnorm-scratch": ["--epochs", "1", "--limit", "2048"],
    "lenet-improved": ["--epochs", "2", "--limit", "5120"],
    "alexnet": ["--epochs", "1", "--limit", "128"],
    "vgg": ["--epochs", "1", "--limit", "128"],
    "nin": ["--epochs", "1", "--limit", "128"],
    "googlenet": ["--epochs", "1", "--limit", "256"],
    "resnet18": ["--epochs", "1", "--limit", "256"],
    "densenet": ["--epochs", "1", "--limit", "256"],
    "course-cnn": ["--epochs", "1", "--limit", "6000"],
    "course-inception": ["--epochs", "1"],
    "losses": ["--epochs", "2", "--limit", "2000"],
    "dropout": ["--epochs", "2"],
    "dropout-scratch": ["--epochs", "2"],
})

_ACC = dict(metric="test_acc_mean", label="test accuracy", higher_is_better=True, tol=0.005)
# the book prints the loss of all 1,000 samples after the epoch; a chapter that records only
# the mean of the epoch's batch losses (``final_batch_loss``) is shown, not compared
_LINREG = dict(metric="final_train_loss_mean", label="training loss after the last epoch",
               fallback="final_batch_loss", higher_is_better=False, rel_tol=0.1, value=4.9e-5,
               settings=dict(num_epochs=3, batch_size=10, lr=0.03))
_POLY_W, _POLY_B = [1.176, -3.393, 5.604], 4.987

#: reference runs of the book's own code; ``value`` or ``range`` (low, high)
REFERENCES = {
    "softmax": dict(_ACC, value=0.843, settings=dict(num_epochs=5, batch_size=256, lr=0.1),
                    source="book 3.7, 5 epochs"),
    "softmax-scratch": dict(_ACC, value=0.843, settings=dict(num_epochs=5, batch_size=256,
                                                             lr=0.1),
                            source="book 3.7 (softmax), 5 epochs"),
    "mlp": dict(_ACC, range=(0.870, 0.876), settings=dict(num_epochs=5, batch_size=256, lr=0.5),
                source="book 3.10, 5 epochs"),
    "mlp-scratch": dict(_ACC, range=(0.870, 0.876),
                        settings=dict(num_epochs=5, batch_size=256, lr=0.5),
                        source="book 3.10 (MLP), 5 epochs"),
    "lenet": dict(_ACC, range=(0.757, 0.769),
                  settings=dict(num_epochs=5, batch_size=256, lr=0.9, resize=None),
                  source="book 5.5, LeNet (sigmoid), 5 epochs"),
    "nin": dict(_ACC, value=0.838, settings=dict(num_epochs=5, batch_size=128, lr=0.1,
                                                  resize=224),
                source="book 5.8, 5 epochs"),
    # the book's fit gives w and b; its largest distance to the truth is the compared figure
    "poly-fit": dict(metric="normal_max_abs_err_mean", label="max |w, b - truth|",
                     higher_is_better=False, tol=0.01,
                     value=max([abs(a - t) for a, t in zip(_POLY_W, [1.2, -3.4, 5.6])]
                               + [abs(_POLY_B - 5.0)]),
                     settings=dict(num_epochs=100, lr=0.01),
                     source="book 3.11.4: w = %s, b = %s after 100 epochs" % (_POLY_W, _POLY_B)),
    "linreg": dict(_LINREG, source="book 3.3, 3 epochs"),
    "linreg-scratch": dict(_LINREG, source="book 3.2, 3 epochs"),
}


def plan(chapters, quick=False, only=None):
    """``[(chapter, argv)]`` for the report, in ``chapters`` order (``only``: a subset)."""
    if only is not None:
        unknown = [c for c in only if c not in chapters]
        if unknown:
            raise GluonNotesError("--chapters names unknown chapter(s) %s; run `gluon-notes "
                                  "list` to see them." % ", ".join(unknown))
        chapters = [c for c in chapters if c in only]
    table = QUICK_ARGS if quick else BOOK_ARGS
    return [(c, list(table.get(c, []))) for c in chapters]


def derived(metrics):
    """Figures the references need that ``metrics.json`` does not hold directly."""
    runs = [r for r in metrics.get("runs", []) if r.get("history") and not r.get("interrupted")]
    out = {}
    if runs and all("loss" in r["history"][-1] for r in runs):
        out["final_batch_loss"] = sum(r["history"][-1]["loss"] for r in runs) / len(runs)
    return out


def _settings_differ(ref, settings):
    diff = ["%s %s (book %s)" % (k.replace("num_", ""), settings.get(k), v)
            for k, v in ref["settings"].items() if settings.get(k) != v]
    if settings.get("limit") is not None:
        diff.append("limit %s (book: all)" % settings["limit"])
    return diff


def compare(chapter, metrics):
    """The comparison of one chapter's ``metrics.json`` with its reference, or None.

    Returns a dict with ``reference`` (the figure or range), ``value``, ``verdict`` (better,
    equal, worse, settings differ, measured differently, no value) and ``note``.
    """
    ref = REFERENCES.get(chapter)
    if ref is None:
        return None
    low, high = ref.get("range") or (ref["value"], ref["value"])
    out = dict(metric=ref["metric"], label=ref["label"], reference=[low, high] if low != high
               else low, source=ref["source"], higher_is_better=ref["higher_is_better"],
               tolerance=ref.get("tol"), rel_tolerance=ref.get("rel_tol"))
    figures = dict(derived(metrics), **metrics)
    value = out["value"] = figures.get(ref["metric"])
    diff = _settings_differ(ref, metrics.get("settings", {}))
    if diff:
        return dict(out, verdict="settings differ", note="; ".join(diff))
    if value is None and figures.get(ref.get("fallback")) is not None:
        out.update(value=figures[ref["fallback"]], metric=ref["fallback"])
        return dict(out, verdict="measured differently", note=(
            "%s is the mean of the last epoch's batch losses; the book's figure is %s, which "
            "metrics.json does not record" % (ref["fallback"], ref["metric"])))
    if value is None:
        return dict(out, verdict="no value", note="metrics.json has no %s" % ref["metric"])
    tol = ref.get("tol") or 0.0
    lo, hi = low - tol - abs(low) * ref.get("rel_tol", 0), high + tol + abs(high) * ref.get(
        "rel_tol", 0)
    if lo <= value <= hi:
        verdict = "equal"
    elif (value > hi) == ref["higher_is_better"]:
        verdict = "better"
    else:
        verdict = "worse"
    return dict(out, verdict=verdict, note="equal within [%.4g, %.4g]" % (lo, hi))
