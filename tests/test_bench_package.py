"""The bench is a package the CLI imports, never the reverse; its scripts run as ``python -m``."""
import json
import subprocess
import sys

from gluon_notes import bench


def python(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)


def test_the_package_imports_no_cli_and_no_chapter():
    code = ("import sys; import gluon_notes.bench.core, gluon_notes.bench.loop, "
            "gluon_notes.bench.pipeline, gluon_notes.bench.update, gluon_notes.bench.gemm; "
            "print([m for m in sys.modules if m == 'gluon_notes.cli' or m.startswith("
            "'gluon_notes.chapters')])")
    done = python("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_public_face():
    from gluon_notes.bench import core, twins
    assert bench.main is core.main and bench.check_twin is twins.check_twin
    assert set(bench.__all__) <= set(dir(bench))
    assert all(getattr(bench, name) is not None for name in bench.__all__)


def test_loop_child_script_fails_with_one_sentence():
    """``python -m gluon_notes.bench.loop SPEC``: the module runs once (no runpy warning) and an
    error is one line on stderr with exit status 2."""
    spec = dict(model="nope", modes=["static"], batch_size=4, samples=8, epochs=2,
                ctx=["cpu", 0], peer=False)
    done = python("-W", "error::RuntimeWarning", "-m", "gluon_notes.bench.loop", json.dumps(spec))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "gluon-notes: error: unknown bench model 'nope'; choose from book_net, softmax, mlp, "
        "lenet, resnet18, resnet18_96, custom."]


def test_update_script_refuses_a_bad_count():
    done = python("-m", "gluon_notes.bench.update", "--number", "0")
    assert done.returncode == 2
    assert "argument --number: must be at least 1, got 0" in done.stderr
