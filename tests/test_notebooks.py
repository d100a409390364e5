"""Notebooks stay thin (no library code) and their cells run top to bottom."""
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def python_only(src):
    return "\n".join(line for line in src.splitlines() if not line.lstrip().startswith("%"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_compiles(path):
    for src in code_cells(path):
        code = python_only(src)
        compile(code, str(path), "exec")
        assert "def " not in code and "class " not in code, "library code belongs in gluon_notes"


def run_notebook(path, replace=()):
    ns = {}
    for src in code_cells(path):
        code = python_only(src)
        for old, new in replace:
            code = code.replace(old, new)
        exec(compile(code, str(path), "exec"), ns)  # noqa: S102
    return ns


def test_ch4_notebook_runs():
    ns = run_notebook(Path(NOTEBOOKS[0]).with_name("ch4_custom_layers.ipynb"))
    assert ns["layer"].weight.shape == (5, 3)  # (in_units, units) as in the book


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_ch3_notebook_runs_one_epoch():
    ns = run_notebook(Path(NOTEBOOKS[0]).with_name("ch3_softmax_mlp.ipynb"),
                      replace=[("num_epochs=5", "num_epochs=1")])
    assert ns["softmax"].last["test_acc"] > 0.7 and ns["mlp"].last["test_acc"] > 0.7


@pytest.mark.realdata
@pytest.mark.needs("data")
def test_ch5_notebook_runs(tmp_path):
    ns = run_notebook(Path(NOTEBOOKS[0]).with_name("ch5_cnn_speed.ipynb"),
                      replace=[("limit=10240", "limit=1024"), ("num_epochs=3", "num_epochs=1"),
                               ("runs/nb-bench", str(tmp_path)), ("'--repeats', '3'",
                                                                   "'--repeats', '1'")])
    assert len(ns["bn"]["test_acc"]) == len(ns["bn"]["test_acc_moving"]) == 1
    assert 0.1 < ns["bn"].last["test_acc"] <= 1.0
    assert (tmp_path / "bench.json").exists() and (tmp_path / "bench.png").exists()
