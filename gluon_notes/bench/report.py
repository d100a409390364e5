"""What ``gluon-notes bench`` shows a person: the printed table and ``bench.png``.

Design
------
* ``format_table`` prints every result row: a figure where one was measured, else its status
  (``not installed``, ``refused``...); each refused PyTorch comparison adds its reason below.
* ``bench_figure`` / ``plot_bench`` draw only measured figures: a model whose PyTorch twin was
  refused gets no bar on the ratio-to-PyTorch panel.
* The CNNs' achieved GFLOP/s (``bench.flops``) get their own lines in the table, under the
  fp32 GEMM rates they are a fraction of, and their own panel in the figure (the fraction of
  the best GEMM rate when it was measured, else GFLOP/s).
"""
from ..atomic import atomic_write
from ..plot import plt

WORKLOADS = ("inference", "train", "loop")
#: one colour per mode on every panel
MODE_COLORS = {"imperative": "C0", "hybridize": "C1", "static": "C2", "torch": "C3"}


def _batch(sel):
    """'batch 256', or 'batch 256 (resnet18_96: 64)' when a model's batch differs."""
    first = sel[0]["batch_size"]
    other = {r["model"]: r["batch_size"] for r in sel if r["batch_size"] != first}
    return "batch %d" % first + (" (%s)" % ", ".join("%s: %d" % kv for kv in other.items())
                                 if other else "")


def format_table(rows, peer="ok", gemm=None):
    """Milliseconds per call (speed-up vs imperative), loop samples/s (ratio vs PyTorch), and,
    for the CNNs, achieved GFLOP/s (fraction of the best rate of ``gemm``, ``gemm.summarize``).
    """
    lines = []
    for workload in WORKLOADS:
        sel = [r for r in rows if r["workload"] == workload]
        if not sel:
            continue
        modes = list(dict.fromkeys(r["mode"] for r in sel))
        unit = "samples/s (x PyTorch)" if workload == "loop" else "ms per call (x imperative)"
        lines.append("%s, %s: %s" % (workload, _batch(sel), unit))
        lines.append("  %-9s" % "model" + "".join("%22s" % m for m in modes))
        for model in dict.fromkeys(r["model"] for r in sel):
            cells = []
            for m in modes:
                r = next((x for x in sel if x["model"] == model and x["mode"] == m), None)
                cells.append("%22s" % _cell(r, workload))
            lines.append("  %-9s" % model + "".join(cells))
        profiles = {r["model"]: "%(profile)s (%(engine)s, %(mxnet_omp_threads)s OpenMP threads)"
                    % r["cpu"] for r in sel if r.get("cpu")}
        if profiles:
            lines.append("  MXNet ran each loop in a child process with its CPU profile: "
                         + "; ".join("%s %s" % kv for kv in profiles.items()))
        if workload != "loop":
            lines.append("  first call (deferred init + graph build), ms: " + "; ".join(
                "%s %s" % (model, "/".join("%.1f" % r["first_call_ms"] for r in sel
                                           if r["model"] == model and "first_call_ms" in r))
                for model in dict.fromkeys(r["model"] for r in sel)))
    lines += _achieved_lines(rows, gemm)
    refusals = {}  # one line per reason, naming the workloads it refused
    for r in rows:
        if r.get("reason"):
            refusals.setdefault(r["reason"], []).append(r["workload"])
    for reason, workloads in refusals.items():
        lines.append("PyTorch comparison refused (%s): %s" % (", ".join(workloads), reason))
    return "\n".join(lines)


def _achieved_lines(rows, gemm):
    """The GEMM rates, then one line per CNN and workload: GFLOP/s (fraction) per mode."""
    lines = []
    if gemm:
        lines.append("fp32 GEMM %d^3, GFLOP/s (best of %d; %s, %s MXNet OpenMP threads): %s" % (
            gemm["size"], gemm["repeats"], gemm["cpu"]["engine"], gemm["cpu"]["mxnet_omp_threads"],
            "; ".join("%s %.1f" % (k, v["gflops"]) + (" (best)" if k == gemm["best"] else "")
                      for k, v in gemm["rates"].items())))
    sel = [r for r in rows if "gflops" in r]
    if not sel:
        return lines
    modes = list(dict.fromkeys(r["mode"] for r in sel))
    lines.append("achieved GFLOP/s%s, counted from the layer shapes (a training step = 3 "
                 "forward passes):" % (" (fraction of the best GEMM)" if gemm else ""))
    lines.append("  %-21s" % "model, workload" + "".join("%15s" % m for m in modes))
    for key in dict.fromkeys((r["model"], r["workload"]) for r in sel):
        cells = []
        for m in modes:
            r = next((x for x in sel if (x["model"], x["workload"]) == key and x["mode"] == m),
                     None)
            cells.append("%15s" % ("-" if r is None else "%.1f" % r["gflops"] + (
                " (%.2f)" % r["gemm_fraction"] if "gemm_fraction" in r else "")))
        lines.append("  %-21s" % ("%s, %s" % key) + "".join(cells))
    return lines


def _cell(r, workload):
    if r is None:
        return "-"
    if r.get("throughput") is None:
        return r.get("status", "-")
    if workload == "loop":
        ratio = r.get("vs_torch")
        return "%.0f" % r["throughput"] + (" (%.2fx)" % ratio if ratio else "")
    if r["mode"] == "torch":
        return "%.3f" % r["ms_median"]
    return "%.3f (%.1fx)" % (r["ms_median"], r["speedup_vs_imperative"])


def _bar_value(r, workload, vs_torch):
    """A bar's height: speed-up vs imperative, ratio to PyTorch (loop), or 1000 samples/s."""
    if workload != "loop":
        return r["speedup_vs_imperative"]
    if not vs_torch:
        return r["throughput"] / 1e3
    return 1.0 if r["mode"] == "torch" else r["vs_torch"]


def plot_bench(rows, path, title=None):
    """Write ``bench_figure(rows, title)`` to ``path`` (atomically)."""
    atomic_write(str(path), bench_figure(rows, title))


def bench_figure(rows, title=None):
    """``write(path)`` that draws the chart of ``rows`` and saves it there as PNG (for
    ``atomic.write_group``, which writes it together with ``bench.json``)."""
    def write(path):
        fig = _draw(rows, title)
        try:
            fig.savefig(path, dpi=80, format="png")
        finally:
            plt.close(fig)
    return write


def _draw(rows, title):
    """Grouped bars: speed-up vs imperative per model (inference, train), loop samples/s (or
    ratio to PyTorch), and the CNNs' achieved fraction of the GEMM rate (or GFLOP/s)."""
    panels = [w for w in WORKLOADS if any(r["workload"] == w and r.get("throughput")
                                          for r in rows)]
    achieved = [r for r in rows if "gflops" in r]
    n = max(1, len(panels) + bool(achieved))
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 3.6), squeeze=False)
    for ax, workload in zip(axes[0], panels):
        sel = [r for r in rows if r["workload"] == workload and r.get("throughput")]
        vs_torch = workload == "loop" and any(r["mode"] == "torch" for r in sel)
        _bars(ax, {(r["model"], r["mode"]): _bar_value(r, workload, vs_torch) for r in sel
                   if not vs_torch or r["mode"] == "torch" or "vs_torch" in r},
              "%.2f" if vs_torch else "%.1f")
        ax.set_title("%s, %s" % (workload, _batch(sel)), fontsize=9)
        ax.set_ylabel("speed-up vs imperative (x)" if workload != "loop" else
                      "throughput / PyTorch eager's" if vs_torch else "1000 samples/s")
        if vs_torch:
            ax.axhline(1.0, color="C3", lw=0.8, ls="--")
    if achieved:
        ax = axes[0][len(panels)]
        fraction = all("gemm_fraction" in r for r in achieved)
        _bars(ax, {("%s\n%s" % (r["model"], r["workload"]), r["mode"]):
                   r["gemm_fraction"] if fraction else r["gflops"] for r in achieved},
              "%.2f" if fraction else "%.1f")
        ax.set_title("CNNs: achieved GFLOP/s (training = 3 x forward)", fontsize=9)
        ax.set_ylabel("fraction of the best fp32 GEMM" if fraction else "GFLOP/s")
    handles = {}
    for ax in axes[0]:  # one legend for all panels, below them: it never hides a bar
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=len(handles),
               fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _bars(ax, heights, fmt):
    """Grouped bars from ``{(group label, mode): height}``: one group per label, one bar per
    mode, in first-seen order."""
    groups = list(dict.fromkeys(g for g, _ in heights))
    modes = list(dict.fromkeys(m for _, m in heights))
    width = 0.8 / max(1, len(modes))
    for j, mode in enumerate(modes):
        at = [(i, heights[g, mode]) for i, g in enumerate(groups) if (g, mode) in heights]
        bars = ax.bar([i + (j - (len(modes) - 1) / 2) * width for i, _ in at],
                      [h for _, h in at], width,
                      label="PyTorch eager" if mode == "torch" else mode,
                      color=MODE_COLORS.get(mode, "C%d" % (4 + j)))
        ax.bar_label(bars, fmt=fmt, fontsize=6)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(top=ax.get_ylim()[1] * 1.08)  # room for the bar labels
