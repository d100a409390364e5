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
    (["list", "extra"], "list takes no arguments"),
    (["bench", "--nope"], "unrecognized arguments: --nope"),
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
    """The console process of a CNN chapter that trains replaces itself with one running the
    compute profile (one line says so); --summary and default-profile chapters run in place,
    and a run records the profile it trained with."""
    import json
    import os
    env = {k: v for k, v in os.environ.items()
           if k not in ("GLUON_NOTES_PERF", "MXNET_ENGINE_TYPE", "MXNET_OMP_MAX_THREADS")}

    def run(*argv):
        return subprocess.run([sys.executable, "-m", "gluon_notes.cli", "run"] + list(argv),
                              capture_output=True, text=True, env=env)
    proc = run("lenet", "--epochs", "0")  # restarts, then the restarted process reports
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 2 and "Traceback" not in proc.stderr
    assert "compute CPU profile" in lines[0] and "--epochs: must be at least 1" in lines[1]
    proc = run("lenet", "--summary")  # trains nothing: no restart
    assert proc.returncode == 0 and proc.stderr == "" and "Dense" in proc.stdout
    proc = run("linreg", "--epochs", "1", "--out", str(tmp_path))
    assert proc.returncode == 0 and "CPU profile" not in proc.stderr
    assert json.loads((tmp_path / "metrics.json").read_text())["cpu"]["profile"] == "default"


def _console_script():
    import os
    path = os.path.join(os.path.dirname(sys.executable), "gluon-notes")
    assert os.path.exists(path), "the console script is not installed in %s" % path
    return path


def test_console_script_usage_and_bad_values_exit_2_on_stderr(tmp_path):
    """The installed ``gluon-notes``: usage without arguments and a non-finite --lr."""
    proc = subprocess.run([_console_script()], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == "" and "usage:" in proc.stderr
    proc = subprocess.run([_console_script(), "run", "mlp", "--lr", "inf", "--out",
                           str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "gluon-notes: error: gluon-notes run mlp: argument --lr: must be a finite number, "
        "got inf (see `gluon-notes run mlp --help`)."]


def test_ctrl_c_during_training_saves_the_finished_epochs_and_exits_130(tmp_path):
    """A real SIGINT to the console process after two epochs: one line, status 130, and
    metrics.json holding the finished epochs, marked interrupted."""
    import json
    import os
    import signal
    import time
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([_console_script(), "run", "linreg", "--epochs", "100000",
                             "--batch-size", "100", "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    for line in proc.stdout:
        if line.startswith("epoch 2,") or time.time() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "finished epoch(s) are saved in %s" % tmp_path in err
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["interrupted"] is True and len(m["runs"][0]["history"]) >= 2


@pytest.mark.parametrize("argv, match", [
    (["run", "linreg", "--kvstore", "dist_sync"], "linreg does not train on several workers"),
    (["run", "softmax-scratch", "--kvstore", "dist_sync"], "from-scratch SGD, which knows no "
                                                           "KVStore"),
    (["run", "mlp", "--kvstore", "nccl"], "invalid choice: 'nccl'"),
    (["launch", "-n", "0", "--", "run", "mlp"], "gluon-notes launch"),
    (["report", "--nope"], "gluon-notes report: unrecognized arguments: --nope"),
])
def test_kvstore_and_launch_refuse_bad_input_in_one_line(argv, match, capsys, tmp_path):
    assert main(argv + (["--out", str(tmp_path)] if argv[0] == "run" else [])) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_launch_runs_our_commands_through_python_in_every_worker(monkeypatch):
    import gluon_notes.dist
    seen = {}

    def fake_main(argv, prog):
        seen.update(argv=argv, prog=prog)
        return 0
    monkeypatch.setattr(gluon_notes.dist, "main", fake_main)
    assert main(["launch", "-n", "2", "-s", "1", "--", "run", "mlp", "--kvstore",
                 "dist_sync"]) == 0
    assert seen["prog"] == "gluon-notes launch"
    cut = seen["argv"].index("--") + 1
    assert seen["argv"][cut:] == [sys.executable, "-m", "gluon_notes.cli", "run", "mlp",
                                  "--kvstore", "dist_sync"]
