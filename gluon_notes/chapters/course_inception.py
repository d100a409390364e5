"""The PyTorch course's InceptionA and ResidualBlock nets, the 1x1-conv cost and parameter rule.

Prints the course's arithmetic first: a 5x5 convolution 192x28x28 -> 32x28x28 costs
192 * 25 * 32 * 28 * 28 multiplications; a 1x1 convolution down to 16 channels in front of it
cuts that by almost ten (the notes print the sum of the two stages as 12,433,648, an addition
slip for 12,443,648). Then each net's layers with their parameter counts, by the rule
``c_in * k * k * c_out + c_out`` and as allocated by MXNet, and finally both nets trained with
the course's settings (batch 64, SGD lr 0.01, momentum 0.5, normalized inputs) on the first
``--limit`` images, so the chapter runs in about a minute on a 2-core CPU.
"""
from ..course_cnn import bottleneck_cost, format_bottleneck, rule_params
from ..models.course import course_inception, course_residual
from ..summary import summary
from ._course_cnn import parse_course_args, run_course

DEFAULTS = dict(batch_size=64, lr=0.01, num_epochs=2, momentum=0.5, limit=1000)
CPU_PROFILE = "compute"  # compute-bound: inline engine, all cores (gluon_notes/perf.py)
NETS = [("inception", course_inception), ("residual", course_residual)]


def extra(p):
    p.add_argument("--momentum", type=float, default=DEFAULTS["momentum"],
                   help="SGD momentum (default %(default)s, as the course)")
    p.set_defaults(limit=DEFAULTS["limit"])


def parameter_table(make_net, side=28):
    """Rows ``(name, kind, output_shape, params by the rule, params allocated)`` of one net."""
    rows = summary(make_net(), input_shape=(1, 1, side, side))
    return [(r.name, r.kind, r.output_shape, rule, r.params)
            for r, rule in zip(rows, rule_params(rows, (1, 1, side, side)))]


def print_parameter_table(label, table):
    print("%s: %-30s %-14s %-16s %10s %10s" % (label, "layer", "type", "output", "rule",
                                               "allocated"))
    for name, kind, shape, rule, allocated in table:
        print("%s  %-30s %-14s %-16s %10s %10s" % (" " * len(label), name, kind, str(shape),
                                                   "{:,}".format(rule), "{:,}".format(allocated)))
    print("%s  total %s by the rule, %s allocated" % (
        " " * len(label), "{:,}".format(sum(t[3] for t in table)),
        "{:,}".format(sum(t[4] for t in table))))


def main(argv=None):
    args = parse_course_args("course-inception", dict(DEFAULTS, hybridize=True), __doc__, argv,
                             extra)
    cost = bottleneck_cost()
    tables = {}
    if not args.summary:
        print(format_bottleneck(cost))
        for label, make_net in NETS:
            tables[label] = parameter_table(make_net)
            print_parameter_table(label, tables[label])
    params = {label: [dict(layer=name, kind=kind, output_shape=list(shape), rule=rule,
                           allocated=allocated) for name, kind, shape, rule, allocated in table]
              for label, table in tables.items()}
    return run_course(args, NETS, extra_metrics=dict(bottleneck=cost, params=params),
                      optimizer_params={"momentum": args.momentum})
