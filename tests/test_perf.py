"""Speed defaults (gluon_notes.perf) and the fused training graph of the loop."""
import os
import sys

import numpy as np
import pytest
from mxnet import nd

from gluon_notes import perf
from gluon_notes.data import ArrayLoader
from gluon_notes.train import fit
from gluon_notes.models import get_model


def test_configure_sets_only_what_the_user_left_unset():
    env = {"MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice", perf.ENV_SWITCH: "1"}
    applied = perf.configure(env)
    assert env["MXNET_ENGINE_TYPE"] == "ThreadedEnginePerDevice"
    assert "MXNET_ENGINE_TYPE" not in applied
    assert env["MXNET_OMP_MAX_THREADS"] == applied["MXNET_OMP_MAX_THREADS"]
    assert 1 <= int(applied["MXNET_OMP_MAX_THREADS"]) <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize("env", [{}, {perf.ENV_SWITCH: "0"}])
def test_configure_is_opt_in(env):
    before = dict(env)
    assert perf.configure(env) == {} and env == before


def test_fused_graph_trains_like_the_imperative_loop():
    """fit(hybridize=True) runs net + loss + accuracy as one graph; the figures must not change,
    also with a short last batch (static_shape re-plans) and without accuracy."""
    rng = np.random.RandomState(0)
    X, y = nd.array(rng.uniform(size=(70, 1, 28, 28))), nd.array(rng.randint(0, 10, 70))
    for kw in (dict(), dict(accuracy=False)):
        hs = [fit(get_model("mlp"), ArrayLoader(X, y, 16, shuffle=True), ArrayLoader(X, y, 32),
                  num_epochs=2, seed=3, hybridize=h, verbose=False, **kw)
              for h in (False, True)]
        for key in ("loss", "test_acc", "train_acc"):
            if hs[0][key][0] is not None:
                np.testing.assert_allclose(hs[1][key], hs[0][key], rtol=1e-5)


@pytest.mark.parametrize("value, profile", [("1", "compute"), ("compute", "compute"),
                                            ("0", "default"), (" Default ", "default")])
def test_requested_profile(value, profile):
    assert perf.requested({perf.ENV_SWITCH: value}) == profile
    assert perf.requested({}) is None


def test_unknown_profile_is_one_sentence_and_ignored(capsys):
    with pytest.raises(ValueError, match="GLUON_NOTES_PERF=fast is not a CPU profile"):
        perf.requested({perf.ENV_SWITCH: "fast"})
    env = {perf.ENV_SWITCH: "fast"}
    assert perf.configure(env) == {} and set(env) == {perf.ENV_SWITCH}
    assert "keeps its own settings" in capsys.readouterr().err


def test_profiles_set_what_they_describe():
    env = {perf.ENV_SWITCH: "compute"}
    applied = perf.configure(env)
    assert applied == perf.defaults("compute") and applied["MXNET_ENGINE_TYPE"] == "NaiveEngine"
    assert perf.active(env) == "compute" and perf.engine(env) == "NaiveEngine"
    assert perf.omp_threads(env) == perf.physical_cores()
    assert perf.describe("compute") == "NaiveEngine, %d OpenMP threads" % perf.physical_cores()
    assert set(perf.runtime()) == {"profile", "engine", "mxnet_omp_threads"}
    env = {perf.ENV_SWITCH: "default"}
    assert perf.configure(env) == {} and perf.active(env) == "default"
    assert perf.engine(env) == "ThreadedEnginePerDevice"


def test_child_env_lets_the_user_choose():
    assert perf.child_env("compute", {"A": "1"}) == {"A": "1", perf.ENV_SWITCH: "compute"}
    assert perf.child_env("compute", {perf.ENV_SWITCH: "0"})[perf.ENV_SWITCH] == "0"


class Exec(Exception):
    """Raised by the fake ``os.execve``: the process would have been replaced."""


@pytest.fixture
def fake_exec(monkeypatch):
    """Record ``os.execve`` calls instead of replacing the test process; no profile chosen."""
    monkeypatch.delenv(perf.ENV_SWITCH, raising=False)
    monkeypatch.delenv("MXNET_ENGINE_TYPE", raising=False)
    monkeypatch.setattr(perf, "_cpu_build", lambda: True)

    def execve(path, args, env):
        raise Exec(path, args, env)
    monkeypatch.setattr(perf.os, "execve", execve)


def test_reexec_restarts_with_the_profile(fake_exec, capsys):
    with pytest.raises(Exec) as e:
        perf.reexec("compute", ["run", "lenet"], note="switching")
    path, args, env = e.value.args
    assert path == sys.executable and args[1:] == ["-m", "gluon_notes.cli", "run", "lenet"]
    assert env[perf.ENV_SWITCH] == "compute" and "switching" in capsys.readouterr().err
    perf.reexec("default", ["run", "linreg"])  # sets nothing: no restart


@pytest.mark.parametrize("env", [{perf.ENV_SWITCH: "0"}, {"MXNET_ENGINE_TYPE": "NaiveEngine"}])
def test_reexec_leaves_a_chosen_profile_alone(fake_exec, monkeypatch, env):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    perf.reexec("compute", ["run", "lenet"])  # no Exec raised


def test_cli_restarts_cnn_chapters_only_as_the_entry_point(fake_exec, monkeypatch, tmp_path):
    from gluon_notes import cli
    monkeypatch.setattr(sys, "argv", ["gluon-notes", "run", "lenet", "--epochs", "0"])
    with pytest.raises(Exec) as e:
        cli.main()
    assert e.value.args[1][-4:] == ["run", "lenet", "--epochs", "0"]
    assert cli.main(["run", "lenet", "--epochs", "0"]) == 2  # from Python: runs in place
    monkeypatch.setattr(sys, "argv", ["gluon-notes", "run", "lenet", "--summary"])
    assert cli.main() == 0  # trains nothing: no restart
    monkeypatch.setattr(sys, "argv", ["gluon-notes", "run", "linreg", "--epochs", "1",
                                      "--out", str(tmp_path)])
    assert cli.main() == 0  # a default-profile chapter never restarts


def test_compute_profile_bounds_openmp_spinning_unless_the_user_chose():
    env = {perf.ENV_SWITCH: "1"}
    assert perf.configure(env)["GOMP_SPINCOUNT"] == str(perf.SPINCOUNT)
    for user in ({"OMP_WAIT_POLICY": "active"}, {"GOMP_SPINCOUNT": "300000"}):
        env = dict(user, **{perf.ENV_SWITCH: "1"})
        applied = perf.configure(env)
        assert "GOMP_SPINCOUNT" not in applied and env == dict(user, **{
            perf.ENV_SWITCH: "1"}, **applied)
        assert applied["MXNET_ENGINE_TYPE"] == "NaiveEngine"
