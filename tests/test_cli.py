"""The CLI: list, run, data; one-sentence errors with exit status 2 and no traceback."""
import subprocess
import sys

import pytest

from gluon_notes.cli import main


def test_list_shows_chapters(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "softmax-scratch" in out and "linreg" in out


@pytest.mark.parametrize("argv, match", [
    (["run", "nope"], "unknown chapter 'nope'"),
    (["run"], "name a chapter"),
    (["frobnicate"], "unknown command"),
    (["run", "linreg", "--lr", "-1"], "must be > 0"),
    (["run", "linreg", "--ctx", "tpu"], "--ctx"),
    (["run", "linreg", "--bogus"], "unrecognized arguments"),
])
def test_errors_exit_2_with_one_line(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_run_writes_outputs(tmp_path, capsys):
    assert main(["run", "linreg", "--epochs", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "metrics.json").exists() and (tmp_path / "curves.png").exists()


def test_console_process_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gluon_notes.cli", "run", "linreg", "--batch-size",
                           "0", "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--batch-size: must be at least 1" in proc.stderr


def test_outputs_have_a_normal_files_mode(tmp_path):
    import os
    assert main(["run", "linreg", "--epochs", "1", "--out", str(tmp_path)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    for name in ("metrics.json", "curves.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_cnn_chapter_process_restarts_with_the_compute_profile(tmp_path):
    """The console process of a CNN chapter replaces itself with one running the compute
    profile (one line says so), and the run records the profile it trained with."""
    import json
    import os
    env = {k: v for k, v in os.environ.items()
           if k not in ("GLUON_NOTES_PERF", "MXNET_ENGINE_TYPE", "MXNET_OMP_MAX_THREADS")}
    proc = subprocess.run([sys.executable, "-m", "gluon_notes.cli", "run", "lenet", "--summary"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "compute CPU profile" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Dense" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "gluon_notes.cli", "run", "linreg", "--epochs",
                           "1", "--out", str(tmp_path)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "CPU profile" not in proc.stderr
    assert json.loads((tmp_path / "metrics.json").read_text())["cpu"]["profile"] == "default"
