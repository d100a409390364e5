"""Information theory for classifiers: entropy, cross-entropy, KL, why we train with CE (course).

Prints the course notes' worked examples (``gluon_notes.info``): the self-information of a coin
flip and of a rare event; the entropy of a fair and of a loaded die; the identity
``H(P, Q) = D_KL(P || Q) + H(P)`` on one pair of distributions; the binary cross-entropy of
single predictions; two models with the same classification error but different cross-entropy
and MSE; and a two-class softmax next to the sigmoid of the logit difference. The figure has
three panels: the entropy of a Bernoulli(p) in bits; the binary cross-entropy of a prediction p
for both labels; and the gradient on the true class's logit for cross-entropy and squared error
as the prediction becomes confidently wrong. No training: it runs in seconds.
"""
import numpy as np

from .. import info
from ._common import parse_args, save_results

DEFAULTS = dict(hybridize=None)  # nothing to train or hybridize
#: the worked examples' inputs
FAIR_DIE, LOADED_DIE = [1 / 6] * 6, [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]
P, Q = [0.1, 0.6, 0.3], [0.2, 0.5, 0.3]
PREDICTIONS = [0.9, 0.6, 0.5, 0.1, 0.01]       # P(y = 1) for the label y = 1
LOGITS = [[0.0, 2.0], [1.5, -0.5], [3.0, 3.0]]


def worked_examples():
    """The printed figures as a dict (what ``metrics.json`` keeps)."""
    h_pq, kl, h_p = info.cross_entropy(P, Q), info.kl_divergence(P, Q), info.entropy(P)
    z = np.array(LOGITS)
    return dict(
        self_information_bits={"coin flip (p=1/2)": info.self_information(0.5, base=2),
                               "rare event (p=1/1024)": info.self_information(1 / 1024, base=2)},
        entropy_bits={"fair die": info.entropy(FAIR_DIE, base=2),
                      "loaded die": info.entropy(LOADED_DIE, base=2)},
        identity_nats=dict(P=P, Q=Q, cross_entropy=h_pq, kl_divergence=kl, entropy=h_p,
                           kl_plus_entropy=kl + h_p, kl_reversed=info.kl_divergence(Q, P)),
        binary_cross_entropy=[dict(p_hat=p, y=1, bce=info.binary_cross_entropy(p, 1))
                              for p in PREDICTIONS],
        same_error_models=info.compare_models(),
        two_class=[dict(logits=row.tolist(), softmax_p1=float(info.softmax(row)[1]),
                        sigmoid_of_difference=info.sigmoid(row[1] - row[0])) for row in z])


def print_examples(ex):
    for name, bits in ex["self_information_bits"].items():
        print("self-information of a %s: %.4f bits" % (name, bits))
    for name, bits in ex["entropy_bits"].items():
        print("entropy of a %s: %.4f bits" % (name, bits))
    d = ex["identity_nats"]
    print("P = %s, Q = %s (nats):\n  H(P, Q) = %.6f = D_KL(P||Q) + H(P) = %.6f + %.6f = %.6f; "
          "D_KL(Q||P) = %.6f (KL is not symmetric)" % (d["P"], d["Q"], d["cross_entropy"],
                                                       d["kl_divergence"], d["entropy"],
                                                       d["kl_plus_entropy"], d["kl_reversed"]))
    print("binary cross-entropy of one prediction for the label y = 1 (nats):")
    for r in ex["binary_cross_entropy"]:
        print("  p_hat = %-5g -> -log p_hat = %.4f" % (r["p_hat"], r["bce"]))
    print("two models with the same classification error (after McCaffrey):")
    print("\n".join("  " + line for line in info.format_table(ex["same_error_models"])
                    .splitlines()))
    print("  classification error cannot tell them apart; cross-entropy and MSE can, and only "
          "cross-entropy keeps a large gradient on a confident mistake (the figure's third "
          "panel).")
    print("two classes: softmax([z0, z1])[1] == sigmoid(z1 - z0):")
    for r in ex["two_class"]:
        print("  z = %-12s softmax %.6f  sigmoid of the difference %.6f"
              % (r["logits"], r["softmax_p1"], r["sigmoid_of_difference"]))


def plot_curves(_, path, title=None):
    """Bernoulli entropy (bits), BCE vs prediction, |dL/dz| for CE and MSE vs p(true)."""
    from ..plot import finish_figure, plt
    p = np.linspace(1e-4, 1 - 1e-4, 400)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(p, info.entropy(np.stack([p, 1 - p], -1), base=2))
    axes[0].set(xlabel="p", ylabel="H (bits)", title="entropy of a Bernoulli(p)")
    axes[1].plot(p, info.binary_cross_entropy(p, np.ones_like(p)), label="label y = 1")
    axes[1].plot(p, info.binary_cross_entropy(p, np.zeros_like(p)), label="label y = 0")
    axes[1].set(xlabel="predicted P(y = 1)", ylabel="BCE (nats)", ylim=(0, 6),
                title="binary cross-entropy of one prediction")
    g = info.logit_gradients(p)
    axes[2].plot(p, g["cross_entropy"], label="cross-entropy")
    axes[2].plot(p, g["mse"], label="squared error")
    axes[2].set(xlabel="predicted probability of the true class",
                ylabel="|dL/dz| on the true logit", title="gradient as the mistake grows")
    finish_figure(fig, axes, path, title, legend=axes[1:], fontsize=8)


def main(argv=None):
    args = parse_args("info-theory", DEFAULTS, __doc__, argv, seeds="one")
    ex = worked_examples()
    print_examples(ex)
    save_results(args, ex, histories={"figure": "info"}, plot_fn=plot_curves)
    return ex
