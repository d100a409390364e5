"""The machine's fp32 matrix-multiply rate: what a CNN's achieved GFLOP/s is measured against.

Design
------
* ``gemm_rates(n, repeats)`` multiplies two ``n x n`` float32 matrices with MXNet's ``nd.dot``
  (the wheel's BLAS, which the from-scratch chapters use), MXNet's ``nd.FullyConnected`` (oneDNN,
  which ``nn.Dense`` uses) and numpy (its own BLAS); each is warmed up once and timed
  ``repeats`` times, and its rate is ``2 n^3`` FLOPs over the best time (the machine's limit,
  not a typical call).
* ``measure_gemm`` runs that in a child process (``python -m gluon_notes.bench.gemm SPEC``)
  with the ``compute`` CPU profile (all cores), as the bench trains the CNNs: MXNet fixes its
  threads at import, and the bench's own process keeps MXNet's defaults.
* The result records the profile the child ran with; ``best`` names the fastest method, whose
  rate ``flops.add_achieved`` divides by.
"""
import argparse
import json
import sys
import time

import numpy as np
from mxnet import nd

from .. import perf
from .child import TICK, run_child
from .script import run_script

#: the bench's default matrix side (2048^3: ~17 GFLOP per multiplication)
SIZE = 2048
METHODS = ("nd.dot", "nd.FullyConnected", "numpy")


def _methods(n):
    """``{name: call}``, each multiplying the same two ``n x n`` float32 matrices once."""
    rng = np.random.RandomState(0)
    A = rng.uniform(-1, 1, size=(n, n)).astype(np.float32)  # (n, n)
    B = rng.uniform(-1, 1, size=(n, n)).astype(np.float32)  # (n, n)
    a, b = nd.array(A), nd.array(B)
    bt = nd.array(np.ascontiguousarray(B.T))  # FullyConnected computes a . weight^T

    return {"nd.dot": lambda: nd.dot(a, b).wait_to_read(),
            "nd.FullyConnected": lambda: nd.FullyConnected(
                a, bt, num_hidden=n, no_bias=True).wait_to_read(),
            "numpy": lambda: A @ B}


def gemm_rates(n=SIZE, repeats=3, tick=None):
    """GFLOP/s of each method on ``n x n x n`` float32.

    Returns
    -------
    dict
        ``{name: {'gflops': 2 n^3 / best time / 1e9, 'seconds': [each timed call]}}``.
    """
    out = {}
    for name, call in _methods(n).items():
        call()  # warm-up: oneDNN builds its kernel, BLAS spins up its threads
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - start)
        out[name] = dict(gflops=2.0 * n ** 3 / min(seconds) / 1e9, seconds=seconds)
        if tick:
            tick()
    return out


def summarize(rates, n, repeats):
    """The ``bench.json`` entry: size, repeats, rates, the best method and this process's
    CPU profile."""
    best = max(rates, key=lambda k: rates[k]["gflops"])
    return dict(size=n, repeats=repeats, rates=rates, best=best,
                best_gflops=rates[best]["gflops"], cpu=perf.runtime())


def measure_gemm(n=SIZE, repeats=3, profile="compute", tick=None):
    """``summarize(gemm_rates(n, repeats))`` from a child process started with ``profile``."""
    return run_child(__name__, dict(size=n, repeats=repeats), profile,
                     "the GEMM measurement", tick)


def main(argv=None):
    """Child process: ``python -m gluon_notes.bench.gemm '{"size": 2048, "repeats": 3}'``
    prints one ``TICK`` line per method, then the result as one JSON line."""
    return run_script(_child, argv)


def _child(argv):
    p = argparse.ArgumentParser(prog="python -m gluon_notes.bench.gemm")
    p.add_argument("spec", help='JSON: {"size": n, "repeats": r}')
    spec = json.loads(p.parse_args(argv).spec)
    n, repeats = int(spec["size"]), int(spec["repeats"])
    rates = gemm_rates(n, repeats, tick=lambda: print(TICK, flush=True))
    print(json.dumps(summarize(rates, n, repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
