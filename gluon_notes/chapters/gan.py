"""GAN with two Trainers: a generator learns N(4, 1.25^2) against a discriminator, in fit(step=).

A small MLP generator (standard normal noise -> one number) and an MLP discriminator (one logit
per sample, from the sample and its squared distance to the batch mean), each with its own
``gluon.Trainer`` (Adam, beta1 0.5, its own learning rate, cosine-decayed over the run). One
call of the loop's ``fit`` trains both: its custom step updates the discriminator on a real
batch and a DETACHED generated batch, then the generator through the frozen discriminator
(``gluon_notes.gan``). The generated samples come from the generator's weights averaged over
the run (an exponential moving average). The figure: histograms of real and generated
samples, and both losses per step (2 ln 2 and ln 2, the dotted lines, are the
discriminator's and the generator's loss when the discriminator cannot tell the two apart).
"""
import numpy as np

from .. import gan
from ._common import parse_args, positive_float, positive_int, save_results

DEFAULTS = dict(num_epochs=20, batch_size=250, num_samples=5000, d_lr=3e-3, g_lr=3e-3,
                hybridize=True)


def _extra(p):
    p.add_argument("--samples", dest="num_samples", type=positive_int,
                   default=DEFAULTS["num_samples"], help="real samples (default %(default)s)")
    p.add_argument("--d-lr", type=positive_float, default=DEFAULTS["d_lr"],
                   help="discriminator's Adam learning rate (default %(default)s)")
    p.add_argument("--g-lr", type=positive_float, default=DEFAULTS["g_lr"],
                   help="generator's Adam learning rate (default %(default)s)")


def plot_gan(parts, path, title=None):
    """Histograms of real vs generated samples; D and G losses per step."""
    from ..plot import finish_figure, plt
    real, fake, d, g = parts["real"], parts["fake"], parts["d_loss"], parts["g_loss"]
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    bins = np.linspace(min(real.min(), fake.min()), max(real.max(), fake.max()), 60)
    ax[0].hist(real, bins=bins, density=True, alpha=0.5,
               label="real N(%g, %g^2)" % (gan.TARGET_MEAN, gan.TARGET_STD))
    ax[0].hist(fake, bins=bins, density=True, alpha=0.5,
               label="generated (mean %.2f, std %.2f)" % (fake.mean(), fake.std()))
    ax[0].set(xlabel="x", ylabel="density", title="samples")
    steps = np.arange(1, len(d) + 1)
    ax[1].plot(steps, d, lw=0.8, label="discriminator")
    ax[1].plot(steps, g, lw=0.8, label="generator")
    for v in (2 * np.log(2), np.log(2)):
        ax[1].axhline(v, color="k", ls=":", lw=0.8)
    ax[1].set(xlabel="step (batch)", ylabel="loss per sample", title="losses")
    finish_figure(fig, ax, path, title)


def main(argv=None):
    args = parse_args("gan", DEFAULTS, __doc__, argv, extra=_extra, seeds="one")
    seed, ctx = args.seed[0], args.ctx[0]
    net, h, step = gan.train_gan(args.num_epochs, args.num_samples, args.batch_size, args.d_lr,
                                 args.g_lr, seed=seed, ctx=ctx, hybridize=args.hybridize)
    for e in h.epochs:
        if e["epoch"] in (1, len(h)) or e["epoch"] % 5 == 0:
            print("epoch %d: discriminator loss %.4f, generator loss %.4f"
                  % (e["epoch"], e["loss"], e["g_loss"]))
    fake = net.sample(10000, ctx)
    real = gan.real_data(10000).asnumpy().ravel()
    print("generated: mean %.3f, std %.3f (target mean %g, std %g)"
          % (fake.mean(), fake.std(), gan.TARGET_MEAN, gan.TARGET_STD))
    d, g = step.curves()
    metrics = dict(generated_mean=float(fake.mean()), generated_std=float(fake.std()),
                   target_mean=gan.TARGET_MEAN, target_std=gan.TARGET_STD, steps=len(d),
                   history=h.epochs, d_loss_per_step=d.tolist(), g_loss_per_step=g.tolist())
    save_results(args, metrics, histories=dict(real=real, fake=fake, d_loss=d, g_loss=g),
                 plot_fn=plot_gan)
    return metrics
