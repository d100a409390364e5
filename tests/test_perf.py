"""Speed defaults (gluon_notes.perf) and the fused training graph of the loop."""
import os

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
