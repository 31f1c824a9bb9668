"""The recipe of tessera's examples/wgan.cpp in PyTorch, to compare its scores and time with tessera's.

A Wasserstein GAN on Fashion-MNIST at 32x32 (examples/wgan.cpp, examples/common/wgan_critics.hpp,
examples/common/wasserstein.hpp). G = models::DcganGenerator<1, 32, 32>, the tutorial's 32x32 G
with F = 32 (benchmarks/gan_twins_torch.py's Dcgan32Generator): ConvT(100, 128, 4, 1, 0), BN,
ReLU, ConvT(128, 64, 4, 2, 1), BN, ReLU, ConvT(64, 32, 4, 2, 1), BN, ReLU, ConvT(32, 1, 4, 2, 1),
Tanh, no biases, 369,600 parameters; 100x1x1 standard normal noise. The critic is one pyramid,
Conv(1, 32, 4, 2, 1), LeakyReLU(0.2), Conv(32, 64, 4, 2, 1), [BN,] LeakyReLU(0.2),
Conv(64, 128, 4, 2, 1), [BN,] LeakyReLU(0.2), Conv(128, 1, 4, 1, 0), no sigmoid, kept Lipschitz in
one of three ways (--variant):

  clip (WGAN, ClipCritic32): no convolution biases, BatchNorm after the 2nd and 3rd convolution
    (166,784 parameters); critic loss mean D(fake) - mean D(real); RMSprop lr 5e-5 (alpha 0.99,
    eps 1e-8, no momentum, not centred: tessera's defaults, which are PyTorch's) for G and for the
    critic; every critic parameter (BatchNorm's weight and bias too, not its running statistics)
    clamped to [-0.01, 0.01] once right after the initialisation and after each critic step; 5
    critic steps per G step.
  gp (WGAN-GP, GpCritic32): convolutions with biases, no BatchNorm (166,625 parameters); critic loss
    mean D(fake) - mean D(real) + 10 mean_i (||dD(x_hat_i)/dx_hat_i||_2 - 1)^2 at
    x_hat = alpha real + (1 - alpha) fake, alpha ~ U[0, 1) per sample (ts::gradient_penalty: the
    gradient of each sample's score, a plain 2-norm without eps, differentiated once more into the
    critic's parameters); Adam lr 1e-4, betas (0, 0.9), eps 1e-8; 5 critic steps per G step.
  sn (SNGAN, SnCritic32): every convolution with its bias in torch.nn.utils.spectral_norm
    (ts::SpectralNorm: dim 0, one power iteration per forward in training mode, eps 1e-12, the
    gradient through sigma with u and v held constant), no BatchNorm (166,625 parameters, u and v
    buffers besides); the hinge loss mean relu(1 - D(real)) + mean relu(1 + D(fake)); Adam lr 2e-4,
    betas (0.5, 0.999); 1 critic step per G step.

G's loss is -mean D(G(z)) in all three. Both models start from dcgan_init, the DCGAN tutorial's
weights_init: every (transposed) convolution's weight N(0, 0.02) (a spectrally normalised one's
weight_orig), BatchNorm weights N(1, 0.02) and biases 0; the convolutions' biases (gp, sn) keep
PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as tessera's. BatchNorm eps 1e-5, momentum 0.1.

As examples/common/gan_run.hpp runs it: the 60,000 training images from Debian's IDX files scaled
p / 255 * 2 - 1 to [-1, 1] and framed to 32x32 with the background -1 (not resized), shuffled every
epoch, the last short batch dropped (937 batches of 64 an epoch); 10 epochs of batch 64 by default.
Each iteration is one critic step on a fresh real batch and fresh noise: D(real) and
D(G(z).detach()) in separate forwards (the critic in training mode, so the clip critic's BatchNorm
normalises each with its own batch statistics, and the sn critic runs one power iteration in each),
the penalty (gp), the optimizer's step, the clamp (clip). Every --critic-steps-th iteration, counted
over the whole run (iterations 5, 10, ...; not restarted each epoch), then takes a G step on that
iteration's fakes (the same z and G(z) the critic step saw) through the updated critic, frozen but
still in training mode (a third BatchNorm forward / power iteration, as in tessera). Each iteration
reports the critic's loss (for gp the penalty included), G's loss -mean D(fake) and the distance
estimate W = mean D(real) - mean D(fake), all as the critic scored that iteration's batches before
its update (so G's reported loss is not that of the G step); each epoch prints their means, as
tessera's progress line ("epoch N: mean loss_D ..., loss_G ..., W ...").

At the end, as examples/common/scoring.hpp: G in eval mode draws 10,000 images from 100x1x1 noise of
a generator of its own (seed + 4) in chunks of 250; their 28x28 centres (rows and columns 2..29) get
their FID against the 10,000 test images on the 128 penultimate features of the classifier of
--scorer (examples/classifier's weights, loaded as benchmarks/classifier_torch.py loads them).

Not matched: the random draws (weights, u and v, batch order, noise, alpha, the scoring noise) are
PyTorch's, not tessera's (which re-seeds its generators every epoch), so the two agree in
distribution only; no sample grids, loss plot or checkpoint are written (and so no --resume), and
--critic-steps, --lr and --clip are not offered (the variants' own values only).
Run with as many threads as tessera's run had (OMP_NUM_THREADS there):

    /usr/bin/python3 benchmarks/wgan_twin_torch.py --variant clip
    /usr/bin/python3 benchmarks/wgan_twin_torch.py --variant sn --epochs 20
    /usr/bin/python3 benchmarks/wgan_twin_torch.py --variant gp --max-iterations 20

--max-iterations N stops the training after N iterations in all (a smoke test or a timing; the
score is still computed, on the G of that moment).
"""

import argparse
import pathlib
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from classifier_torch import feature_stats, frechet, load_split  # noqa: E402
from twin_common import Progress, load_scorer, scored_images, score_line  # noqa: E402
from gan_twins_torch import Dcgan32Generator, weights_init  # noqa: E402

WIDTH = 32  # examples::wgan_width: the critic's first layer and G's last hidden layer

VARIANTS = {  # critic steps per G step, the clamp bound (0: none), the penalty's lambda (0: none), hinge
    "clip": (5, 0.01, 0.0, False),
    "gp": (5, 0.0, 10.0, False),
    "sn": (1, 0.0, 0.0, True),
}


class Critic32(nn.Module):
    """The 32x32 pyramid of examples/common/wgan_critics.hpp: ClipCritic32 (batch_norm, no biases),
    GpCritic32 (biases) or SnCritic32 (biases, every convolution spectrally normalised). The layers
    sit in `self.main`, as tessera names them. Initialised with weights_init before the spectral
    normalisation wraps the convolutions (which then starts from weight_orig as initialised)."""

    def __init__(self, variant, features=WIDTH, channels=1):
        super().__init__()
        f = features
        batch_norm = variant == "clip"
        bias = not batch_norm
        layers = [nn.Conv2d(channels, f, 4, 2, 1, bias=bias), nn.LeakyReLU(0.2)]
        for c_in, c_out in ((f, 2 * f), (2 * f, 4 * f)):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=bias))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2))
        layers.append(nn.Conv2d(4 * f, 1, 4, 1, 0, bias=bias))
        self.main = nn.Sequential(*layers)
        self.main.apply(weights_init)
        if variant == "sn":
            for i, m in enumerate(self.main):
                if isinstance(m, nn.Conv2d):
                    self.main[i] = nn.utils.spectral_norm(m, n_power_iterations=1, eps=1e-12, dim=0)

    def forward(self, x):
        return self.main(x).view(-1)


def gradient_penalty(d, real, fake, lam):
    """ts::gradient_penalty: lambda mean_i (||dD(x_hat_i)/dx_hat_i||_2 - 1)^2, alpha per sample."""
    alpha = torch.rand(real.size(0), 1, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = d(x_hat)
    grad, = torch.autograd.grad(scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True)
    return lam * ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    parser.add_argument("--epochs", type=int, default=0, help="0: wgan's own, 10")
    parser.add_argument("--batch", type=int, default=0, help="0: wgan's own, 64")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--scorer", default="/work/runs/classifier_output/classifier.safetensors")
    parser.add_argument("--score-samples", type=int, default=10000)
    parser.add_argument("--max-iterations", type=int, default=0, help="stop after this many iterations (0: no limit)")
    args = parser.parse_args()
    epochs = args.epochs or 10
    batch = args.batch or 64
    if epochs < 1 or batch < 1 or args.threads < 1 or args.max_iterations < 0 or args.score_samples == 1:
        parser.error("--epochs, --batch and --threads must be at least 1, --max-iterations at least 0, "
                     "--score-samples 0 or at least 2")
    if batch > 60000:
        parser.error("--batch must be at most 60000, the training images")
    critic_steps, clip, lam, hinge = VARIANTS[args.variant]

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, _ = load_split(args.data, "train")
    test_x, _ = load_split(args.data, "t10k")
    train_x = F.pad(train_x, (2, 2, 2, 2), value=-1.0)  # framed with the background, not resized
    g = Dcgan32Generator(features=WIDTH)
    g.apply(weights_init)
    d = Critic32(args.variant)
    if clip:
        with torch.no_grad():
            for p in d.parameters():  # clamped from the start, as wgan.cpp does
                p.clamp_(-clip, clip)
    if args.variant == "clip":
        g_opt = torch.optim.RMSprop(g.parameters(), lr=5e-5, alpha=0.99, eps=1e-8)
        d_opt = torch.optim.RMSprop(d.parameters(), lr=5e-5, alpha=0.99, eps=1e-8)
    elif args.variant == "gp":
        g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.0, 0.9), eps=1e-8)
        d_opt = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.0, 0.9), eps=1e-8)
    else:
        g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)

    scorer = load_scorer(args.scorer, args.score_samples)

    per_epoch = len(train_x) // batch  # drop_last
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); wgan {args.variant}: "
          f"G {sum(p.numel() for p in g.parameters()):,} parameters, D {sum(p.numel() for p in d.parameters()):,}; "
          f"{epochs} epoch(s) of {per_epoch} batches of {batch}, {critic_steps} critic step(s) per G step",
          flush=True)

    critic_parameters = list(d.parameters())
    progress = Progress(args.max_iterations)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(train_x))
        progress.begin_epoch()
        for b in range(per_epoch):
            if progress.stopped():
                break
            g_step = (progress.done + 1) % critic_steps == 0  # counted over the whole run
            real = train_x[order[b * batch:(b + 1) * batch]]
            z = g.noise(batch)
            with torch.set_grad_enabled(g_step):  # G's graph only where a G step follows
                fake = g(z)

            d_opt.zero_grad()
            on_real = d(real)
            loss_real = F.relu(1 - on_real).mean() if hinge else -on_real.mean()
            loss_real.backward()
            on_fake = d(fake.detach())
            loss_fake = F.relu(1 + on_fake).mean() if hinge else on_fake.mean()
            loss_fake.backward()
            penalty = 0.0
            if lam:
                gp = gradient_penalty(d, real, fake.detach(), lam)
                gp.backward()
                penalty = gp.item()
            d_opt.step()
            if clip:
                with torch.no_grad():
                    for p in critic_parameters:
                        p.clamp_(-clip, clip)

            if g_step:
                g_opt.zero_grad()
                for p in critic_parameters:
                    p.requires_grad_(False)
                loss_g = -d(fake).mean()
                loss_g.backward()
                for p in critic_parameters:
                    p.requires_grad_(True)
                g_opt.step()

            mean_real, mean_fake = on_real.mean().item(), on_fake.mean().item()
            progress.add(loss_D=loss_real.item() + loss_fake.item() + penalty, loss_G=-mean_fake, W=mean_real - mean_fake)
        progress.end_epoch(epoch)
        if progress.stop_here():
            break
    progress.end()

    if scorer is None:
        return
    clock = time.perf_counter()
    n = args.score_samples
    images = scored_images(g, n, args.seed + 4, lambda first, count, rng: g(g.noise(count, generator=rng)))
    fid = frechet(feature_stats(scorer, images), feature_stats(scorer, test_x))
    print(f"{score_line(fid, n, len(test_x), args.scorer)}  [{time.perf_counter() - clock:.1f} s]", flush=True)


if __name__ == "__main__":
    main()
