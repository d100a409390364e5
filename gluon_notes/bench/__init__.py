"""``gluon-notes bench``: what ``hybridize()`` buys, and the one loop against PyTorch eager.

Design
------
* ``main(argv)`` is the command (``gluon-notes bench ARGV``); ``run(args, torch)`` returns the
  ``bench.json`` document; ``format_table`` and ``plot_bench`` show it.
* Correctness before speed: every mode is checked against imperative, and each PyTorch twin
  against the Gluon network it copies, before anything is timed.
* ``models`` holds the networks and their PyTorch twins, ``timing`` one ``(model, workload)``
  case, ``loop`` whole epochs of ``train.fit`` in a child process
  (``python -m gluon_notes.bench.loop``), ``update`` the optimizer step alone
  (``python -m gluon_notes.bench.update``), ``gemm`` the machine's fp32 GEMM rate and ``flops``
  each CNN's work counted from its layer shapes (achieved GFLOP/s), ``pipeline`` the data +
  loop against d2lzh's (``python -m gluon_notes.bench.pipeline``).
* The package imports nothing from ``gluon_notes.cli`` or ``gluon_notes.chapters``: the CLI
  imports it, never the reverse.
"""
import importlib

#: public name -> the module of this package that defines it (imported on first use, so that
#: ``python -m gluon_notes.bench.loop`` does not import the loop module twice)
_PUBLIC = {"main": "core", "parse_args": "core", "run": "core", "machine_info": "core",
           "MODELS": "models", "BenchModel": "models", "get_bench_model": "models",
           "import_torch": "models",
           "copy_to_torch": "twins", "check_twin": "twins", "TwinMismatch": "twins",
           "WORKLOADS": "report", "format_table": "report", "plot_bench": "report",
           "MODES": "timing", "Case": "timing", "time_case": "timing", "RUNNERS": "core",
           "measure_gemm": "gemm", "gemm_rates": "gemm", "model_flops": "flops",
           "add_achieved": "flops", "run_int8": "int8", "format_int8_table": "int8"}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    return getattr(importlib.import_module("." + _PUBLIC[name], __name__), name)


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
