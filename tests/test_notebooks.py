"""Every notebook stays thin (no library code, outputs stripped) and runs headless, top to bottom.

Each notebook is executed by a Jupyter kernel (``nbclient``) in a temporary working folder.
Its cell tagged ``parameters`` holds the reader's defaults; as papermill does, the test inserts
a cell right after it with the smaller values of ``CI_PARAMS``. Any cell error fails the test.
The selected notebooks run once per module, ``PARALLEL`` kernels at a time (a kernel spends much
of its time in single-threaded Python: imports, plotting), and each test reads its notebook's run.
"""
import asyncio
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: per notebook: the values that make it fit CI, and whether it reads Fashion-MNIST
CI_PARAMS = {
    "ch3_softmax_mlp": (dict(num_epochs=1, limit=2048), True),
    "ch4_custom_layers": ({}, False),
    "ch5_cnn_speed": (dict(limit=512, num_epochs=1, repeats=1, gemm_size=256), True),
    "hybridize_bench": (dict(models="book_net,lenet", repeats=1), False),
    "course_losses_init": (dict(limit=512, num_epochs=1, num_layers=12, num_hiddens=64,
                                nets=1), True),
    "course_optim_train_eval": (dict(num_examples=200, gd_epochs=10, num_epochs=1, limit=128,
                                     score_limit=128), True),
    "course_cnn_rnn_gan": (dict(limit=512, num_epochs=1, inception_limit=256, gan_epochs=2,
                                gan_samples=512), True),
    "course_critical_estimation": (dict(draws=2000, samples=500, iters=20), False),
}

#: what a notebook's outputs must show (besides running without an error)
EXPECT = {
    "ch4_custom_layers": ["(0, 3)", "(5, 3)", "[[19. 25.]"],  # deferred shape, then inferred
    "hybridize_bench": ["max |difference|:"],
    "course_cnn_rnn_gan": ["12,443,648", "ohlol"],
    "course_critical_estimation": ["saddle", "local minimum"],
    "course_optim_train_eval": ["evaluation: \n[1. 1. 1. 1. 1. 1. 1. 1.]"],
}


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def python_only(src):
    return "\n".join(line for line in src.splitlines() if not line.lstrip().startswith("%"))


def test_every_notebook_has_ci_parameters():
    assert len(NOTEBOOKS) >= 8
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(CI_PARAMS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_stripped(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert any("gluon_notes" in c for c in code_cells(path)), "a notebook imports gluon_notes"
    for src in code_cells(path):
        code = python_only(src)
        compile(code, str(path), "exec")
        assert "def " not in code and "class " not in code, "library code belongs in gluon_notes"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip the outputs"
    overrides, _ = CI_PARAMS[path.stem]
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if overrides:  # every value the test overrides is one the parameters cell defines
        assert len(tagged) == 1
        for name in overrides:
            assert ("%s = " % name) in tagged[0].source, name


#: kernels running at once (CI has 2 cores)
PARALLEL = 2
#: the longest first, so that the last to start is a short one (others follow, by name)
LONGEST_FIRST = ["course_optim_train_eval", "ch5_cnn_speed", "course_losses_init",
                 "course_cnn_rnn_gan", "course_critical_estimation", "ch3_softmax_mlp"]


def _client(path, workdir):
    """The notebook with its CI parameters injected, and its client running in ``workdir``."""
    nb = nbformat.read(str(path), as_version=4)
    overrides, _ = CI_PARAMS[path.stem]
    if overrides:
        at = next(i for i, c in enumerate(nb.cells)
                  if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(at + 1, new_code_cell(
            "\n".join("%s = %r" % kv for kv in overrides.items()),
            metadata={"tags": ["injected-parameters"]}))
    return nb, NotebookClient(nb, timeout=900, kernel_name="python3",
                              resources={"metadata": {"path": str(workdir)}})


def execute_all(jobs, parallel=PARALLEL):
    """Run ``{path: workdir}``, ``parallel`` kernels at a time; return ``{path: (notebook,
    error or None)}`` (an error is kept for its own test, the other notebooks go on)."""
    async def one(path, workdir, slots):
        async with slots:
            nb, client = _client(path, workdir)
            try:
                await client.async_execute()
            except Exception as err:  # noqa: BLE001 -- re-raised by the notebook's test
                return path, (nb, err)
            return path, (nb, None)

    async def run():
        slots = asyncio.Semaphore(parallel)
        return await asyncio.gather(*(one(p, w, slots) for p, w in jobs.items()))
    return dict(asyncio.run(run()))


def _order(path):
    name = path.stem
    return (LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST), name)


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory):
    """``{path: (notebook, error)}`` for every notebook whose headless test was selected."""
    selected = sorted({item.callspec.params["path"] for item in request.session.items
                       if item.originalname == "test_notebook_runs_headless"}, key=_order)
    return execute_all({p: tmp_path_factory.mktemp(p.stem) for p in selected})


def outputs_of(nb):
    texts, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
            images += "image/png" in out.get("data", {})
    return "\n".join(texts), images


def _params(path):
    marks = []
    if CI_PARAMS[path.stem][1]:
        marks = [pytest.mark.realdata, pytest.mark.needs("data")]
    return pytest.param(path, id=path.name, marks=marks)


@pytest.mark.parametrize("path", [_params(p) for p in NOTEBOOKS])
def test_notebook_runs_headless(path, executed):
    nb, error = executed[path]
    if error is not None:  # CellExecutionError on any cell error, or the kernel's failure
        raise error
    text, images = outputs_of(nb)
    for expected in EXPECT.get(path.stem, []):
        assert expected in text, expected
    if path.stem != "ch4_custom_layers":
        assert images >= 1, "the figures are shown inline"
