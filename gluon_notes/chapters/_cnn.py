"""What the CNN chapter scripts share: data options, ``--summary``, hybridized training.

Every chapter-5 script reads as "model + the book's settings + one call to the loop"::

    DEFAULTS = dict(batch_size=128, lr=0.01, num_epochs=5, resize=224)

    def main(argv=None):
        return run_cnn("alexnet", DEFAULTS, __doc__, argv, model="alexnet")

The network is hybridized (the whole graph is compiled) unless ``--imperative`` is given;
``--summary`` prints each layer's output shape and parameter count and exits without training.
"""
from ..models import get_model
from ..summary import print_summary
from ._common import add_data_args, nonnegative_int, parse_args, run_classifier


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
        if extra is not None:
            extra(p)
    return add


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
    if args.summary:
        side = args.resize or 28
        return print_summary(make_net(), input_shape=(1, 1, side, side))
    fit_kw.setdefault("precise_bn", args.precise_bn)
    if fit_kw_fn is not None:
        fit_kw.update(fit_kw_fn(args))
    return run_classifier(args, make_net, **fit_kw)
