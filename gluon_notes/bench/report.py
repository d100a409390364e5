"""What ``gluon-notes bench`` shows a person: the printed table and ``bench.png``.

Design
------
* ``format_table`` prints every result row: a figure where one was measured, else its status
  (``not installed``, ``refused``...); each refused PyTorch comparison adds its reason below.
* ``bench_figure`` / ``plot_bench`` draw only measured figures: a model whose PyTorch twin was
  refused gets no bar on the ratio-to-PyTorch panel.
"""
from ..atomic import atomic_write
from ..plot import plt

WORKLOADS = ("inference", "train", "loop")


def format_table(rows, peer="ok"):
    """Milliseconds per call (speed-up vs imperative) and loop samples/s (ratio vs PyTorch)."""
    lines = []
    for workload in WORKLOADS:
        sel = [r for r in rows if r["workload"] == workload]
        if not sel:
            continue
        modes = list(dict.fromkeys(r["mode"] for r in sel))
        unit = "samples/s (x PyTorch)" if workload == "loop" else "ms per call (x imperative)"
        lines.append("%s, batch %d: %s" % (workload, sel[0]["batch_size"], unit))
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
    refusals = {}  # one line per reason, naming the workloads it refused
    for r in rows:
        if r.get("reason"):
            refusals.setdefault(r["reason"], []).append(r["workload"])
    for reason, workloads in refusals.items():
        lines.append("PyTorch comparison refused (%s): %s" % (", ".join(workloads), reason))
    return "\n".join(lines)


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
    """Grouped bars: speed-up vs imperative per model (inference, train) and loop samples/s."""
    panels = [w for w in WORKLOADS if any(r["workload"] == w and r.get("throughput")
                                          for r in rows)]
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.6 * max(1, len(panels)), 3.6),
                             squeeze=False)
    for ax, workload in zip(axes[0], panels):
        sel = [r for r in rows if r["workload"] == workload and r.get("throughput")]
        models = list(dict.fromkeys(r["model"] for r in sel))
        modes = list(dict.fromkeys(r["mode"] for r in sel))
        width = 0.8 / len(modes)
        vs_torch = workload == "loop" and "torch" in modes
        for j, mode in enumerate(modes):
            xs, ys = [], []
            for i, model in enumerate(models):
                r = next((x for x in sel if x["model"] == model and x["mode"] == mode), None)
                if r is not None and (not vs_torch or mode == "torch" or "vs_torch" in r):
                    xs.append(i + (j - (len(modes) - 1) / 2) * width)
                    ys.append(_bar_value(r, workload, vs_torch))
            bars = ax.bar(xs, ys, width, label="PyTorch eager" if mode == "torch" else mode,
                          color="C%d" % (3 if mode == "torch" else j))
            ax.bar_label(bars, fmt="%.2f" if vs_torch else "%.1f", fontsize=6)
        ax.set_xticks(range(len(models)), models, fontsize=8)
        ax.set_title("%s, batch %d" % (workload, sel[0]["batch_size"]), fontsize=9)
        ax.set_ylabel("speed-up vs imperative (x)" if workload != "loop" else
                      "throughput / PyTorch eager's" if vs_torch else "1000 samples/s")
        ax.grid(axis="y", alpha=0.3)
        ax.set_ylim(top=ax.get_ylim()[1] * 1.08)  # room for the bar labels
        if vs_torch:
            ax.axhline(1.0, color="C3", lw=0.8, ls="--")
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
