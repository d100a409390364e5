"""A GAN with two Trainers on 1-D Gaussian data, trained through the one loop.

Design
------
* ``GAN`` is a container Block holding ``generator`` (noise ``(B, noise_dim)`` -> samples
  ``(B, 1)``; tanh hidden units, since ReLU units leave a hard floor in the samples) and
  ``discriminator`` (samples -> one logit). It is what ``fit`` gets as ``net``, so the loop's
  promises cover both halves (initialized on ``ctx`` together, NaN/inf weights detected in
  either). ``train_gan`` initializes it itself first, because a ``gluon.Trainer`` needs
  initialized (or deferred) parameters and the step that ``fit`` receives holds two Trainers;
  ``fit`` then finds the parameters ready and leaves them. The real samples come as shuffled
  batches with dummy labels (``RealBatches``, a plain iterable of ``(X, y)``).
* The discriminator scores each sample from the sample and its squared distance to the
  batch's mean, ``[x, (x - mean(x))^2]`` (after Dev Nag's 1-D "GAN in 50 lines" for the same
  N(4, 1.25^2) target): a per-sample MLP alone hardly sees the spread, and the generator's
  std then wanders; ``moments=False`` drops the feature.
* Each half has its own ``gluon.Trainer`` (Adam, beta1 0.5, its own learning rate with a cosine
  decay to 1/100 over the run, which damps the two players' oscillation) over its own
  parameters only. ``GANStep(X, y)`` is one discriminator update on the real batch ``X`` and a
  fake batch from the generator, DETACHED (no gradient reaches the generator), then one
  generator update with the non-saturating loss ``-log D(G(z))``: the backward pass fills the
  discriminator's gradients too, but only the generator's Trainer steps, so the
  discriminator's weights are untouched. ``y`` is ignored (dummy labels).
* The generator's weights are also averaged over the run (``average``: an exponential moving
  average, 0.99 per step; Yazici et al. 2019): the two players orbit their equilibrium, and
  the average sits closer to it than the last iterate. ``train_gan`` puts the average into the
  generator at the end (``GANStep.use_average``).
* The step returns ``loss`` (the discriminator's, summed over the batch), ``g_loss`` and
  ``n``, as the loop asks; it also keeps each batch's two losses (device scalars) and size in
  ``trace``, read once after training for the per-step curves (``curves``).
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from .errors import GluonNotesError
from .train import fit, seed_everything

TARGET_MEAN, TARGET_STD = 4.0, 1.25


def mlp(hidden, outputs, act="relu"):
    """``Dense(hidden, act)`` layers followed by ``Dense(outputs)``."""
    net = nn.HybridSequential()
    for h in hidden:
        net.add(nn.Dense(h, activation=act))
    net.add(nn.Dense(outputs))
    return net


class GAN(gluon.Block):
    """Generator and discriminator in one Block; ``forward(z)`` generates samples."""

    def __init__(self, noise_dim=1, g_hidden=(16, 16), d_hidden=(32, 32), moments=True,
                 g_act="tanh", **kwargs):
        super().__init__(**kwargs)
        self.noise_dim, self.moments = noise_dim, moments
        with self.name_scope():
            self.generator = mlp(g_hidden, 1, g_act)
            self.discriminator = mlp(d_hidden, 1)

    def noise(self, batch_size, ctx):
        """Standard normal noise ``(batch_size, noise_dim)``."""
        return nd.random.normal(shape=(batch_size, self.noise_dim), ctx=ctx)

    def forward(self, z):                       # z (B, noise_dim) -> (B, 1)
        return self.generator(z)

    def discriminate(self, x):                  # x (B, 1) -> logits (B, 1)
        """The discriminator's logit for each sample of the batch ``x``, from ``x`` and
        ``(x - batch mean)^2`` (the batch's spread; see the module's Design)."""
        if self.moments:
            x = nd.concat(x, nd.square(x - x.mean(axis=0, keepdims=True)), dim=1)   # (B, 2)
        return self.discriminator(x)

    def sample(self, n, ctx=None):
        """``n`` generated samples as a numpy vector."""
        ctx = ctx or mx.cpu()
        return self.generator(self.noise(n, ctx)).asnumpy().ravel()


class GANStep:
    """One discriminator update, then one generator update, each with its own Trainer."""

    def __init__(self, gan, d_trainer, g_trainer, ctx, average=None):
        self.gan, self.d_trainer, self.g_trainer, self.ctx = gan, d_trainer, g_trainer, ctx
        self.loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
        self.trace, self.average, self.averaged = [], average, None

    def discriminator_step(self, X):
        """Real ``X (B, 1)`` labelled 1, detached fakes labelled 0; updates D only."""
        B, D = X.shape[0], self.gan.discriminate
        fake = self.gan.generator(self.gan.noise(B, self.ctx)).detach()    # (B, 1)
        ones, zeros = nd.ones((B, 1), ctx=self.ctx), nd.zeros((B, 1), ctx=self.ctx)
        with autograd.record():
            l = self.loss(D(X), ones) + self.loss(D(fake), zeros)            # (B,)
        l.backward()
        self.d_trainer.step(B)
        return l.sum()

    def generator_step(self, B):
        """Fakes labelled 1 (non-saturating loss); updates G only."""
        ones = nd.ones((B, 1), ctx=self.ctx)
        with autograd.record():
            l = self.loss(self.gan.discriminate(self.gan.generator(
                self.gan.noise(B, self.ctx))), ones)                          # (B,)
        l.backward()
        self.g_trainer.step(B)
        if self.average:
            self._update_average()
        return l.sum()

    def _update_average(self):
        params = [p.data(self.ctx) for p in self.gan.generator.collect_params().values()]
        if self.averaged is None:
            self.averaged = [w.copy() for w in params]
        for a, w in zip(self.averaged, params):
            a[:] = self.average * a + (1 - self.average) * w

    def use_average(self):
        """Put the averaged generator weights into the generator (when ``average`` is set)."""
        if self.averaged is not None:
            for a, p in zip(self.averaged, self.gan.generator.collect_params().values()):
                p.set_data(a)

    def __call__(self, X, y):
        X = X.as_in_context(self.ctx)
        d_loss = self.discriminator_step(X)
        g_loss = self.generator_step(X.shape[0])
        self.trace.append((d_loss, g_loss, X.shape[0]))
        return {"loss": d_loss, "g_loss": g_loss, "n": X.shape[0]}

    def curves(self):
        """Per-step losses (mean per sample) as numpy ``(steps,)`` arrays: (D, G)."""
        if not self.trace:
            return np.zeros(0), np.zeros(0)
        both = nd.concat(*[nd.concat(a.reshape((1,)), b.reshape((1,)), dim=0)
                           for a, b, _ in self.trace], dim=0).asnumpy().reshape((-1, 2))
        both /= np.array([n for _, _, n in self.trace], dtype=np.float64)[:, None]
        return both[:, 0], both[:, 1]


def real_data(num_samples, mean=TARGET_MEAN, std=TARGET_STD):
    """``num_samples`` draws of N(mean, std^2) as ``(N, 1)`` float32 NDArray (numpy's RNG)."""
    return nd.array(np.random.normal(mean, std, size=(num_samples, 1)))


class RealBatches:
    """Shuffled ``(X, y)`` batches of the real samples ``X (N, 1)`` with dummy labels (zeros);
    a new permutation from numpy's RNG every pass (``fit`` reseeds it per epoch)."""

    def __init__(self, X, batch_size):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise GluonNotesError("batch_size must be a positive integer, got %r."
                                  % (batch_size,))
        self.X, self.batch_size = X, batch_size

    def __len__(self):
        return -(-self.X.shape[0] // self.batch_size)

    def __iter__(self):
        order = np.random.permutation(self.X.shape[0])
        for i in range(0, len(order), self.batch_size):
            Xb = self.X[nd.array(order[i:i + self.batch_size])]             # (B, 1)
            yield Xb, nd.zeros(Xb.shape[0])


def train_gan(num_epochs=20, num_samples=5000, batch_size=100, d_lr=1e-3, g_lr=1e-3,
              seed=0, ctx=None, verbose=False, hybridize=True, decay=True, average=0.99,
              **gan_kw):
    """Train a ``GAN`` on N(4, 1.25^2) samples through ``fit`` with a two-Trainer ``GANStep``.

    Returns
    -------
    (gan, History, step): ``step.curves()`` gives the per-step losses.
    """
    if not (d_lr > 0 and g_lr > 0):
        raise GluonNotesError("the learning rates must be > 0, got d_lr=%r and g_lr=%r."
                              % (d_lr, g_lr))
    ctx = ctx or mx.cpu()
    seed_everything(seed)
    X = real_data(num_samples)
    train_iter = RealBatches(X, batch_size)
    gan = GAN(**gan_kw)
    gan.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        gan.generator.hybridize(static_alloc=True, static_shape=True)
        gan.discriminator.hybridize(static_alloc=True, static_shape=True)
    steps = num_epochs * len(train_iter)

    def adam(lr):
        sched = mx.lr_scheduler.CosineScheduler(steps, base_lr=lr, final_lr=lr / 100) \
            if decay else None
        return mx.optimizer.Adam(learning_rate=lr, beta1=0.5, lr_scheduler=sched)
    d_trainer = gluon.Trainer(gan.discriminator.collect_params(), adam(d_lr))
    g_trainer = gluon.Trainer(gan.generator.collect_params(), adam(g_lr))
    step = GANStep(gan, d_trainer, g_trainer, ctx, average)
    h = fit(gan, train_iter, None, None, num_epochs, ctx=ctx, step=step, seed=seed,
            accuracy=False, verbose=verbose, progress=False)
    step.use_average()
    return gan, h, step
