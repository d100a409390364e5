"""Run the report's chapters, each in its own process, and collect what they wrote.

Design
------
* Each chapter runs as ``python -m gluon_notes.cli run CHAPTER --out DIR/CHAPTER ARGV`` in a
  child process (which takes the chapter's CPU profile itself): a crash, a non-zero exit or a
  timeout is recorded for that chapter and the others go on.
* The child's output goes to ``DIR/logs/CHAPTER.log``; a failed chapter keeps its last line as
  the reason. A chapter's results are its ``metrics.json`` and figures (``*.png``), read back.
* Ctrl-C stops the running child, writes the report of the chapters that finished (the rest
  marked "not run") and ends with ``KeyboardInterrupt``.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .plan import compare

#: keys of ``metrics.json`` that are not final figures
NOT_FIGURES = {"chapter", "settings", "cpu", "runs", "files", "interrupted"}


def final_figures(metrics):
    """The scalar numbers of ``metrics.json`` (means, maxima, seconds per epoch...)."""
    return {k: v for k, v in metrics.items() if k not in NOT_FIGURES
            and not k.startswith("true_")  # the data's truth, not a result
            and isinstance(v, (int, float)) and not isinstance(v, bool)}


def _last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_chapter(chapter, argv, out, timeout=None, python=None):
    """Run one chapter in a child process; return its result dict (never raises for the
    chapter's own failure).

    Returns
    -------
    dict
        ``chapter``, ``argv``, ``status`` ("ok", "failed", "timeout"), ``reason``, ``seconds``,
        ``figures`` (the final figures), ``cpu`` (the child's CPU profile), ``images``
        (figure paths relative to ``out``), ``comparison`` (``plan.compare``) and ``log``.
    """
    out = Path(out)
    folder, log = out / chapter, out / "logs" / (chapter + ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    metrics_path = folder / "metrics.json"
    if metrics_path.exists():  # a figure from an earlier run must not pass for this one
        metrics_path.unlink()
    cmd = [python or sys.executable, "-m", "gluon_notes.cli", "run", chapter,
           "--out", str(folder)] + list(argv)
    result = dict(chapter=chapter, argv=list(argv), status="ok", reason="", figures={},
                  cpu=None, images=[], comparison=None, log=str(log.relative_to(out)))
    start = time.perf_counter()
    with open(log, "w") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        except BaseException:  # Ctrl-C: stop the child, then let the caller write the report
            proc.kill()
            proc.wait()
            raise
    result["seconds"] = round(time.perf_counter() - start, 2)
    text = log.read_text(errors="replace")
    if rc is None:
        result.update(status="timeout", reason="stopped after %s s (--timeout)" % timeout)
    elif rc != 0:
        result.update(status="failed", reason="exit status %d: %s" % (rc, _last_line(text)))
    elif not metrics_path.exists():
        result.update(status="failed", reason="exited 0 but wrote no metrics.json")
    if metrics_path.exists() and result["status"] == "ok":
        metrics = json.loads(metrics_path.read_text())
        result.update(figures=final_figures(metrics), cpu=metrics.get("cpu"),
                      comparison=compare(chapter, metrics),
                      settings=metrics.get("settings"))
        result["images"] = sorted(str(p.relative_to(out)) for p in folder.glob("*.png"))
    return result


def run_all(runs, out, timeout=None, progress=True):
    """Run ``[(chapter, argv)]`` in order with a progress bar; return ``(results, interrupted)``.

    Chapters not run because of Ctrl-C are listed with status "not run".
    """
    from tqdm import tqdm
    results, interrupted = [], None
    bar = tqdm(runs, desc="report", unit="chapter", disable=not progress, file=sys.stderr)
    for chapter, argv in bar:
        bar.set_postfix_str(chapter)
        try:
            results.append(run_chapter(chapter, argv, out, timeout))
        except KeyboardInterrupt as err:
            interrupted = err
            break
        bar.set_postfix_str("%s %s" % (chapter, results[-1]["status"]))
    bar.close()
    done = {r["chapter"] for r in results}
    results += [dict(chapter=c, argv=a, status="not run", reason="interrupted (Ctrl-C)",
                     seconds=None, figures={}, cpu=None, images=[], comparison=None, log=None)
                for c, a in runs if c not in done]
    return results, interrupted

