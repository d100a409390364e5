"""Reading and writing: nd.save/load, save/load_parameters, export/imports round trips (book 4.5).

Files go into --out; each round trip must reproduce the outputs bit for bit, and loading the
parameters into another architecture gives a one-sentence error.
"""
import numpy as np
from mxnet import nd

from ..errors import GluonNotesError
from ..io import export, imports, load_parameters, save_parameters
from ..models.construction import HybridMLP, HybridNestMLP
from ..train import seed_everything
from ._common import parse_args, save_results

DEFAULTS = dict()


def main(argv=None):
    args = parse_args("read-write", DEFAULTS, __doc__, argv, seeds="one")
    seed_everything(args.seed[0])
    ctx, out = args.ctx[0], args.out
    x, y = nd.arange(4, ctx=ctx), nd.zeros(4, ctx=ctx)
    nd.save(out + "/x", x)
    nd.save(out + "/xy", [x, y])
    nd.save(out + "/mydict", {"x": x, "y": y})
    print("nd.load: array ->", nd.load(out + "/x")[0].asnumpy().tolist(),
          "| list ->", [a.asnumpy().tolist() for a in nd.load(out + "/xy")],
          "| dict keys ->", sorted(nd.load(out + "/mydict")))

    net = HybridMLP()
    net.initialize(ctx=ctx)
    X = nd.random.uniform(shape=(2, 20), ctx=ctx)  # (B, d)
    Y = net(X)
    path = save_parameters(net, out + "/mlp.params")
    clone = load_parameters(HybridMLP(), path, ctx=ctx)
    params_identical = bool(np.array_equal(clone(X).asnumpy(), Y.asnumpy()))
    print("save_parameters -> load_parameters into a new HybridMLP: outputs identical: %s"
          % params_identical)

    symbol_file, params_file = export(net, out + "/mlp", X)
    imported = imports(out + "/mlp", ctx=ctx)
    export_identical = bool(np.array_equal(imported(X).asnumpy(), net(X).asnumpy()))
    print("export -> %s + %s -> SymbolBlock.imports: outputs identical: %s"
          % (symbol_file, params_file, export_identical))

    try:
        load_parameters(HybridNestMLP(), path, ctx=ctx)
        mismatch = None
    except GluonNotesError as err:
        mismatch = str(err)
    print("loading mlp.params into a HybridNestMLP:", mismatch)
    save_results(args, dict(parameters_identical=params_identical,
                            export_identical=export_identical, mismatch_error=mismatch))
    return params_identical, export_identical
