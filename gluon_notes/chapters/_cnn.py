"""What the CNN chapter scripts share: data options, ``--summary``, hybridized training.

Every chapter-5 script reads as "model + the book's settings + one call to the loop"::

    DEFAULTS = dict(batch_size=128, lr=0.01, num_epochs=5, resize=224)

    def main(argv=None):
        return run_cnn("alexnet", DEFAULTS, __doc__, argv, model="alexnet")

The network is hybridized (the whole graph is compiled) unless ``--imperative`` is given;
``--summary`` prints each layer's output shape and parameter count and exits without training.
``--quantize [naive|entropy]`` (CPU only) quantizes each trained network to int8 (calibrated on
the first ``--calib-images`` training images), scores the test set with both and times both at
batch 1 and 64; the figures go into ``metrics.json`` (``int8_*``, ``fp32_*``). Before all that,
a dry shape inference on the network's symbol (``check_side``; nothing is allocated) refuses an
image side the network cannot take, naming the failing layer and the valid range of
``--resize``.
"""
import contextlib
import io
import re

import mxnet as mx
import numpy as np

from ..errors import InputShapeError
from ..errors import GluonNotesError
from ..models import get_model
from ..summary import print_summary
from ._common import (add_data_args, nonnegative_int, parse_args, positive_int, run_classifier,
                      save_results)

#: MXNet 1.9 (built without USE_INT64_TENSOR_SIZE) holds fewer elements than this in one array
MAX_ELEMENTS = 2 ** 31 - 1
SIDE_LIMIT = 46341  # (1, 1, 46341, 46341) alone exceeds MAX_ELEMENTS
CALIB_BATCH = 64  # calibration batch size of --quantize
INT8_BATCHES = (1, 64)  # batch sizes --quantize times


def cnn_args(resize=None, extra=None, precise_bn=0):
    """An ``extra`` for ``parse_args``: ``--limit``, ``--resize``, ``--summary``,
    ``--precise-bn``."""
    def add(p):
        add_data_args(p, resize=resize)
        p.add_argument("--summary", action="store_true",
                       help="print each layer's output shape and parameter count, then exit")
        p.add_argument("--precise-bn", type=nonnegative_int, default=precise_bn, metavar="N",
                       help="before each evaluation, recompute BatchNorm statistics from N "
                            "training batches; 0 uses the moving averages (default %(default)s)")
        p.add_argument("--quantize", nargs="?", const="naive", default=None,
                       choices=("naive", "entropy"),
                       help="after training, quantize the network to int8 (CPU, oneDNN) with "
                            "this calibration (naive when no mode is given) and score the test "
                            "set and the speed at batch 1 and 64 with int8 next to fp32")
        p.add_argument("--calib-images", type=positive_int, default=512, metavar="N",
                       help="--quantize calibrates on the first N training images "
                            "(default %(default)s)")
        if extra is not None:
            extra(p)
    return add


def _infer(internals, side, batch_size):
    """``None`` if every array of the forward pass fits, else ``(what fails, too_large)``."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # MXNet prints the arguments on failure
            arg, out, aux = internals.infer_shape(data=(batch_size, 1, side, side))
    except mx.base.MXNetError as err:
        text = str(err)
        layer = re.search(r"Error in operator (\S+?)(?:_fwd)?:", text)
        reason = re.search(r"Check failed: [^\n]*?\) : ([^\n]+)", text)
        return ("layer %s fails (%s)" % (
            layer.group(1) if layer else "?",
            reason.group(1).strip() if reason else "its input would be empty"), False)
    names = internals.list_outputs()
    args, auxs = internals.list_arguments(), internals.list_auxiliary_states()
    sizes = [(int(np.prod(s)), n) for n, s in zip(names, out)]
    sizes += [(int(np.prod(s)), n) for n, s in zip(args + auxs, arg + aux)]
    size, name = max(sizes)
    if size > MAX_ELEMENTS:
        m = re.match(r"(.+)_(weight|bias|gamma|beta|running_mean|running_var)$", name)
        what = ("the %s of layer %s" % (m.group(2), m.group(1)) if m else
                "the output of layer %s" % re.sub(r"(_fwd)?_output$", "", name))
        return ("%s would hold %d values, more than MXNet's limit of 2**31 - 1"
                % (what, size), True)
    return None


def check_side(net, side, batch_size=1, chapter="this network"):
    """Refuse an image side ``net`` cannot take on a ``(batch_size, 1, side, side)`` batch.

    A dry run on the symbol: shapes only, nothing allocated. A net that is not a HybridBlock is
    not checked.

    Raises
    ------
    InputShapeError
        Naming the failing layer and the valid range of ``--resize``.
    """
    if not isinstance(net, mx.gluon.HybridBlock):
        return
    internals = net(mx.sym.var("data")).get_internals()
    failure = _infer(internals, side, batch_size)
    if failure is None:
        return
    lo, hi = 1, SIDE_LIMIT  # the smallest side that works (a layer's output grows with its input)
    while lo < hi:
        mid = (lo + hi) // 2
        small = _infer(internals, mid, 1)
        if small is None or small[1]:
            hi = mid
        else:
            lo = mid + 1
    smallest = lo
    lo, hi = smallest, SIDE_LIMIT  # the largest side whose arrays fit at this batch size
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _infer(internals, mid, batch_size) is None:
            lo = mid
        else:
            hi = mid - 1
    what, too_large = failure
    raise InputShapeError("--resize %d is too %s for %s: %s; use --resize between %d and %d%s."
                          % (side, "large" if too_large else "small", chapter, what, smallest,
                             lo, " at --batch-size %d" % batch_size if batch_size > 1 else ""))


def run_cnn(chapter, defaults, doc, argv, model=None, make_net=None, extra=None, fit_kw_fn=None,
            **fit_kw):
    """Parse the options, then print the summary or train ``make_net()`` once per seed.

    Parameters
    ----------
    model : str, optional
        A registered model name (``make_net`` defaults to ``get_model(model)``).
    extra : callable ``extra(parser)``, optional
        Adds the chapter's own options.
    fit_kw_fn : callable ``fit_kw_fn(args) -> dict``, optional
        Settings that depend on the parsed options (e.g. a learning-rate schedule).
    fit_kw
        Passed to ``run_classifier`` (and on to ``fit``), e.g. ``init``.
    """
    defaults = dict(defaults, hybridize=defaults.get("hybridize", True))
    args = parse_args(chapter, defaults, doc, argv,
                      extra=cnn_args(defaults.get("resize"), extra, defaults.get("precise_bn", 0)))
    make_net = make_net or (lambda: get_model(model))
    side = args.resize or 28
    net = make_net()
    check_side(net, side, 1 if args.summary else args.batch_size, chapter)
    if args.summary:
        return print_summary(net, input_shape=(1, 1, side, side))
    fit_kw.setdefault("precise_bn", args.precise_bn)
    if fit_kw_fn is not None:
        fit_kw.update(fit_kw_fn(args))
    if not args.quantize:
        return run_classifier(args, make_net, **fit_kw)
    check_quantize(args)
    nets = []  # the trained network of each seed, in the order of metrics["runs"]
    metrics = run_classifier(args, lambda: nets.append(make_net()) or nets[-1], **fit_kw)
    return add_int8_scores(args, nets, metrics)


def check_quantize(args):
    """Refuse, before training, a ``--quantize`` run that could not score int8 at its end."""
    from ..quantize import check_settings
    check_settings(args.quantize, args.ctx)
    if getattr(args, "kvstore", "device").startswith("dist"):
        raise GluonNotesError("--quantize scores in one process; drop --kvstore %s (quantize "
                              "the network of a single-process run)." % args.kvstore)


def add_int8_scores(args, nets, metrics):
    """Quantize each seed's trained net, add its int8 and fp32 figures to its run and their
    means over the seeds to ``metrics``, print one line per seed, and rewrite metrics.json."""
    from ..data import load_data_fashion_mnist
    from ..quantize import compare, frozen, layer_report, quantize
    resize, limit = args.resize, args.limit
    calib_iter, _ = load_data_fashion_mnist(CALIB_BATCH, resize=resize, shuffle_train=False,
                                            limit=min(args.calib_images, limit or 60000))
    _, test_iter = load_data_fashion_mnist(args.batch_size, resize=resize, limit=limit)
    images = next(iter(test_iter))[0]  # repeated up to the batch sizes timed if fewer
    runs = [r for r in metrics["runs"] if not r.get("interrupted")]
    for run, net in zip(runs, nets):
        qnet = quantize(net, calib_iter, args.quantize, num_calib_batches=-(
            -args.calib_images // CALIB_BATCH), ctx=args.ctx[0])
        run.update(compare(frozen(net), qnet, test_iter, images, INT8_BATCHES))
        metrics.setdefault("int8_layers", layer_report(qnet))
        print("int8 (%s) seed %d: test acc %.4f vs fp32 %.4f (%+.2f points), %.1f%% of "
              "predictions unchanged; speed-up %s" % (
                  args.quantize, run["seed"], run["int8_test_acc"], run["fp32_test_acc"],
                  100 * (run["int8_test_acc"] - run["fp32_test_acc"]),
                  100 * run["int8_agreement"],
                  ", ".join("%.2fx at batch %d" % (run["int8_speedup_b%d" % b], b)
                            for b in INT8_BATCHES)))
    keys = [k for k in runs[0] if k.startswith(("int8_", "fp32_"))] if runs else []
    for key in keys:
        values = [r[key] for r in runs]
        metrics.update({key + "_mean": sum(values) / len(values), key + "_per_seed": values})
    metrics.update(int8_mode=args.quantize,
                   int8_calib_images=min(args.calib_images, limit or args.calib_images))
    save_results(args, metrics)
    return metrics
