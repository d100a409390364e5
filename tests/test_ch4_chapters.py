"""Chapter-4 scripts (and the conv-layer experiment of 5.1): each runs and shows its point."""
import json

import pytest

from gluon_notes import cli
from gluon_notes.chapters import get_chapter, list_chapters, summary

pytestmark = pytest.mark.filterwarnings("ignore:All children of this Sequential")

CHAPTERS = ["model-construction", "parameters", "deferred-init", "custom-layer", "read-write",
            "use-gpu", "conv-layer"]


def run(chapter, tmp_path, *argv):
    get_chapter(chapter).main(["--out", str(tmp_path)] + list(argv))
    return json.loads((tmp_path / "metrics.json").read_text())


def test_listed_with_summaries():
    assert set(CHAPTERS) <= set(list_chapters())
    for chapter in CHAPTERS:
        assert "(book " in summary(chapter)


@pytest.mark.parametrize("argv", [[], ["--hybridize", "--seed", "0,1"]], ids=["book", "hybrid"])
def test_conv_layer_learns_edge_kernel(tmp_path, argv, capsys):
    m = run("conv-layer", tmp_path, *argv)
    assert m["runs"] and m["max_kernel_error"] <= 0.05 and m["max_abs_bias"] < 0.01
    for r in m["runs"]:
        assert r["iterations"] == 10 and r["losses"][-1] < r["losses"][0] / 100
    assert "learned kernel" in capsys.readouterr().out


def test_conv_layer_through_cli(tmp_path, capsys):
    assert cli.main(["run", "conv-layer", "--out", str(tmp_path), "--iters", "3"]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["runs"][0]["iterations"] == 3 and m["settings"]["lr"] == 0.03
    assert cli.main(["run", "conv-layer", "--iters", "0", "--out", str(tmp_path)]) == 2
    assert "--iters" in capsys.readouterr().err


def test_model_construction(tmp_path, capsys):
    m = run("model-construction", tmp_path)
    assert m["block_vs_hybrid_max_diff"] == {"MLP": 0, "MySequential": 0, "NestMLP": 0}
    assert m["output_shapes"]["NestMLP"] == [2, 16] and m["output_shapes"]["FancyMLP"] == [1]
    assert "no HybridBlock twin" in capsys.readouterr().out


def test_parameters(tmp_path):
    m = run("parameters", tmp_path)
    assert m["weight_names"] == [n for n in m["param_names"] if n.endswith("weight")]
    assert abs(m["init"]["normal_std"] - 0.01) < 0.001 and m["init"]["constant_values"] == [1.0]
    assert 0 < m["init"]["xavier_max_abs"] <= m["init"]["xavier_bound"]
    assert m["shared_is_same_object"] and m["shared_identical_after_step"]


def test_deferred_init(tmp_path, capsys):
    m = run("deferred-init", tmp_path)
    d, g = m["deferred"], m["in_units"]
    assert any(0 in s for s in d["before"].values())
    assert all(0 not in s for s in d["after"].values())
    assert d["init_calls_at_initialize"] == [] and len(d["init_calls_at_forward"]) == 2
    assert len(g["init_calls_at_initialize"]) == 2 and g["init_calls_at_forward"] == []
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("Init ") for line in lines) == 4


def test_custom_layer(tmp_path):
    m = run("custom-layer", tmp_path, "--hybridize")
    assert m["centered"] == [-2, -1, 0, 1, 2] and abs(m["centered_net_mean"]) < 1e-5
    assert m["mydense_weight_shape_before"] == [0, 3]
    assert m["mydense_weight_shape_after"] == [5, 3]
    assert m["hybrid_vs_imperative_max_diff"] == 0


def test_read_write(tmp_path):
    m = run("read-write", tmp_path)
    assert m["parameters_identical"] and m["export_identical"]
    assert "does not match this network" in m["mismatch_error"]
    for name in ("x", "xy", "mydict", "mlp.params", "mlp-symbol.json", "mlp-0000.params"):
        assert (tmp_path / name).is_file()


@pytest.mark.parametrize("argv, ctx, other", [([], "cpu(0)", "cpu(1)"),
                                              (["--ctx", "cpu:1,0", "--hybridize"], "cpu(1)",
                                               "cpu(0)")], ids=["default", "cpu1-hybrid"])
def test_use_gpu(tmp_path, argv, ctx, other):
    m = run("use-gpu", tmp_path, *argv)
    assert (m["ctx"], m["other"]) == (ctx, other)
    msg = m["mismatch_error"]
    assert "input is on %s" % other in msg and "are on %s" % ctx in msg
    assert "as_in_context" in msg and "reset_ctx" in msg
    assert m["output_ctx_after_reset"] == other
