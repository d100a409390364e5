"""Critical points: autograd gradient and Hessian, classification by eigenvalues, GD at a saddle.

The four functions of the notes are classified at the origin from the eigenvalues of their
Hessian (``gluon_notes.critical``): x^2 + y^2 (local minimum), -x^2 - y^2 (local maximum),
x^2 - y^2 (saddle), x^3 + y^2 (degenerate: a zero eigenvalue, the test is inconclusive). Each
line says whether MXNet's second-order autograd computed the Hessian or central differences of
autograd gradients did (MXNet 1.9.1 has second derivatives for a few unary operators only).

Then gradient descent on x^2 - y^2 from ``(1, 0)``, on the saddle's stable manifold: every step
shrinks x by (1 - 2 lr) and the run stalls at the saddle, its steps shrinking with the gradient.
From ``(1, --perturbation)`` it first slows down the same way, then the y-coordinate, multiplied
by (1 + 2 lr) per step, grows and the run escapes downhill. The figure shows the value and the
distance to the saddle per iteration, and both paths over the contour plot.
"""
import numpy as np

from .. import critical
from ._common import parse_args, positive_float, positive_int, save_results

DEFAULTS = dict(lr=0.05, num_iters=80, perturbation=1e-3, hybridize=None)


def _extra(p):
    p.add_argument("--iters", dest="num_iters", type=positive_int, default=DEFAULTS["num_iters"],
                   help="gradient steps (default %(default)s)")
    p.add_argument("--perturbation", type=positive_float, default=DEFAULTS["perturbation"],
                   help="y of the perturbed start (1, y) (default %(default)s)")


def classify_examples():
    """``[(name, classify(...) result)]`` for the notes' four functions at the origin."""
    return [(name, critical.classify(f, [0.0, 0.0])) for name, f, _, _ in critical.EXAMPLES]


def saddle_runs(lr, num_iters, perturbation):
    """Gradient descent on x^2 - y^2 from (1, 0) and (1, perturbation): ``{label: path}``."""
    return {"start (1, 0)": critical.gradient_descent(critical.saddle, [1.0, 0.0], lr, num_iters),
            "start (1, %g)" % perturbation: critical.gradient_descent(
                critical.saddle, [1.0, perturbation], lr, num_iters)}


def describe(path, escape_radius=1.0):
    """Closest approach to the saddle, and the first iteration after it that is farther than
    ``escape_radius`` (None if the run never escapes)."""
    dist = np.linalg.norm(path, axis=1)
    closest = int(np.argmin(dist))
    out = np.flatnonzero(dist[closest:] > escape_radius)
    return dict(closest_iteration=closest, closest_distance=float(dist[closest]),
                escape_iteration=int(closest + out[0]) if out.size else None,
                final_distance=float(dist[-1]),
                final_value=float(path[-1, 0] ** 2 - path[-1, 1] ** 2))


def plot_saddle(runs, path, title=None):
    """Value and distance to the saddle per iteration; both paths over the contours."""
    from ..plot import finish_figure, plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for i, (label, p) in enumerate(runs.items()):
        it = np.arange(len(p))
        axes[0].plot(it, p[:, 0] ** 2 - p[:, 1] ** 2, color="C%d" % i, label=label)
        axes[1].semilogy(it, np.linalg.norm(p, axis=1), color="C%d" % i, label=label)
        axes[2].plot(p[:, 0], p[:, 1], "-o", ms=4 - 2 * i, lw=3 - 1.5 * i, color="C%d" % i,
                     label=label)  # the first path wider: the second starts on it
    lim = max(1.2, min(2.5, float(max(np.abs(p).max() for p in runs.values()))))
    g = np.linspace(-lim, lim, 200)
    X, Y = np.meshgrid(g, g)
    cs = axes[2].contour(X, Y, X ** 2 - Y ** 2, levels=15, cmap="coolwarm", linewidths=0.8)
    axes[2].clabel(cs, fontsize=6)
    axes[2].plot([0], [0], "k*", ms=10, label="saddle (0, 0)")
    axes[2].set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="x", ylabel="y", aspect="equal",
                title="paths over f(x, y) = x^2 - y^2")
    axes[0].set(xlabel="iteration", ylabel="f(x, y)", title="value")
    axes[1].set(xlabel="iteration", ylabel="distance to (0, 0)",
                title="distance to the saddle (log)")
    finish_figure(fig, axes, path, title)


def main(argv=None):
    args = parse_args("saddle", DEFAULTS, __doc__, argv, extra=_extra, seeds="one")
    table = []
    for name, r in classify_examples():
        print("%-10s at (0, 0): gradient %s, Hessian eigenvalues %s -> %s (Hessian by %s)"
              % (name, (np.round(r["gradient"], 6) + 0.0).tolist(),
                 np.round(r["eigenvalues"], 6).tolist(), r["kind"], r["method"]))
        table.append(dict(function=name, kind=r["kind"], method=r["method"],
                          eigenvalues=r["eigenvalues"].tolist(), hessian=r["hessian"].tolist()))
    runs = saddle_runs(args.lr, args.num_iters, args.perturbation)
    descent = {}
    for label, p in runs.items():
        d = describe(p)
        descent[label] = d
        print("GD on x^2 - y^2 (lr %g), %s: closest to the saddle %.2e at iteration %d; %s"
              % (args.lr, label, d["closest_distance"], d["closest_iteration"],
                 "escaped (distance > 1) at iteration %d, f = %.3f at the end"
                 % (d["escape_iteration"], d["final_value"]) if d["escape_iteration"] is not None
                 else "never escaped: still %.2e from the saddle after %d steps"
                 % (d["final_distance"], len(p) - 1)))
    metrics = dict(classification=table, descent=descent,
                   paths={k: v.tolist() for k, v in runs.items()})
    save_results(args, metrics, histories=runs, plot_fn=plot_saddle)
    return metrics
