"""The recipes of three of tessera's GAN examples in PyTorch, to compare their scores and time with tessera's.

--example mlp_gan (examples/mlp_gan.cpp, models/mlp_gan.hpp): seed 004's fully connected GAN.
G = Linear(64, 256), ReLU, Linear(256, 256), ReLU, Linear(256, 784), Tanh; D = Linear(784, 256),
LeakyReLU(0.2), Linear(256, 256), LeakyReLU(0.2), Linear(256, 1), Sigmoid, on the flattened image;
64-d standard normal noise; 30 epochs of batch 100 by default.

--example cgan (examples/cgan.cpp --form 004, models/cgan.hpp): seed 004's conditional GAN. G joins
the 100-d noise and a learned 10-d label embedding in that order, cat(noise, emb(label)), then
Linear 110-256-512-1024-784 with LeakyReLU(0.2) between and Tanh; D joins the flattened image and
its own embedding, cat(image, emb(label)), then Linear 794-1024-512-256-1, each hidden Linear
followed by LeakyReLU(0.2) and then Dropout(0.4), Sigmoid last. Real images go to D with their own
labels, fakes are asked for uniformly random classes (the same labels in D's and G's step); 10
epochs of batch 100 by default.

--example dcgan32: the PyTorch tutorial's DCGAN at 32x32, one channel (dcgan --size 32 in tessera):
G = ConvT(100, 4F, 4, 1, 0), BN, ReLU, ConvT(4F, 2F, 4, 2, 1), BN, ReLU, ConvT(2F, F, 4, 2, 1), BN,
ReLU, ConvT(F, 1, 4, 2, 1), Tanh; D = Conv(1, F, 4, 2, 1), LeakyReLU(0.2), Conv(F, 2F, 4, 2, 1), BN,
LeakyReLU(0.2), Conv(2F, 4F, 4, 2, 1), BN, LeakyReLU(0.2), Conv(4F, 1, 4, 1, 0), Sigmoid; F = 64,
no biases in any convolution; the tutorial's weights_init (convolutions N(0, 0.02), BatchNorm
weights N(1, 0.02) and biases 0); 100x1x1 noise; the 28x28 images framed to 32x32 with the
background -1 (not resized); 1 epoch of batch 64 by default.

All three as tessera's examples/common/gan_run.hpp runs them: PyTorch's default initialisation
(tessera's Linear and Embedding use the same) except dcgan32's; Adam lr 2e-4, betas (0.5, 0.999),
one for G and one for D; the 60,000 training images from Debian's IDX files scaled
p / 255 * 2 - 1 to [-1, 1], shuffled every epoch, the last short batch dropped; BCE; each
iteration (gan_step) a D step on the real batch labelled 1 plus G(z), detached, labelled 0 (one
Adam step over both), then a G step through the updated, frozen D on the same G(z) labelled 1.
The D loss printed is the sum of the real and the fake BCE, as tessera prints it.

At the end, as examples/common/scoring.hpp: G in eval mode draws 10,000 images from noise of a
generator of its own (seed + 4; cgan asks for classes 0, 1, ..., 9, 0, ...), and the classifier of
--scorer (examples/classifier's weights, loaded as benchmarks/classifier_torch.py loads them) gives
their FID against the 10,000 test images on its 128 penultimate features (dcgan32's images cut to
their 28x28 centre, rows and columns 2..29) and, for cgan, the fraction it puts in the asked
class. The random draws are PyTorch's, not tessera's, so the two agree in distribution only.
Run with as many threads as tessera's run had (OMP_NUM_THREADS there):

    /usr/bin/python3 benchmarks/gan_twins_torch.py --example mlp_gan
    /usr/bin/python3 benchmarks/gan_twins_torch.py --example cgan --epochs 20
    /usr/bin/python3 benchmarks/gan_twins_torch.py --example dcgan32 --max-iterations 20

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

DEFAULTS = {  # epochs, batch: each example's own defaults
    "mlp_gan": (30, 100),
    "cgan": (10, 100),
    "dcgan32": (1, 64),
}


class MlpGenerator(nn.Module):
    def __init__(self, latent=64, hidden=256, image=784):
        super().__init__()
        self.latent = latent
        self.net = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, image), nn.Tanh())

    def noise(self, n, generator=None):
        return torch.randn(n, self.latent, generator=generator)

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class MlpDiscriminator(nn.Module):
    def __init__(self, hidden=256, image=784):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(image, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x.view(x.size(0), -1)).view(-1)


class CganGenerator(nn.Module):
    """Seed 004: cat(noise, label_emb(labels)) -> model -> view(n, 28, 28)."""

    def __init__(self, latent=100, classes=10):
        super().__init__()
        self.latent = latent
        self.label_emb = nn.Embedding(classes, classes)
        self.model = nn.Sequential(
            nn.Linear(latent + classes, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 784), nn.Tanh())

    def noise(self, n, generator=None):
        return torch.randn(n, self.latent, generator=generator)

    def forward(self, z, labels):
        return self.model(torch.cat([z, self.label_emb(labels)], 1)).view(-1, 1, 28, 28)


class CganDiscriminator(nn.Module):
    """Seed 004: cat(image.view(n, 784), label_emb(labels)) -> model -> squeeze; dropout after each
    hidden LeakyReLU."""

    def __init__(self, classes=10):
        super().__init__()
        self.label_emb = nn.Embedding(classes, classes)
        self.model = nn.Sequential(
            nn.Linear(784 + classes, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.4),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.4),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.4),
            nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x, labels):
        return self.model(torch.cat([x.view(x.size(0), 784), self.label_emb(labels)], 1)).view(-1)


class Dcgan32Generator(nn.Module):
    def __init__(self, latent=100, features=64, channels=1):
        super().__init__()
        self.latent = latent
        f = features
        self.main = nn.Sequential(
            nn.ConvTranspose2d(latent, 4 * f, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * f), nn.ReLU(True),
            nn.ConvTranspose2d(4 * f, 2 * f, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * f), nn.ReLU(True),
            nn.ConvTranspose2d(2 * f, f, 4, 2, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(True),
            nn.ConvTranspose2d(f, channels, 4, 2, 1, bias=False), nn.Tanh())

    def noise(self, n, generator=None):
        return torch.randn(n, self.latent, 1, 1, generator=generator)

    def forward(self, z):
        return self.main(z)


class Dcgan32Discriminator(nn.Module):
    def __init__(self, features=64, channels=1):
        super().__init__()
        f = features
        self.main = nn.Sequential(
            nn.Conv2d(channels, f, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(f, 2 * f, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * f), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * f, 4 * f, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * f), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(4 * f, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    """The DCGAN tutorial's initialisation."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", required=True, choices=sorted(DEFAULTS))
    parser.add_argument("--epochs", type=int, default=0, help="0: the example's own (mlp_gan 30, cgan 10, dcgan32 1)")
    parser.add_argument("--batch", type=int, default=0, help="0: the example's own (mlp_gan 100, cgan 100, dcgan32 64)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--scorer", default="/work/runs/classifier_output/classifier.safetensors")
    parser.add_argument("--score-samples", type=int, default=10000)
    parser.add_argument("--max-iterations", type=int, default=0, help="stop after this many iterations (0: no limit)")
    args = parser.parse_args()
    epochs = args.epochs or DEFAULTS[args.example][0]
    batch = args.batch or DEFAULTS[args.example][1]
    if epochs < 1 or batch < 1 or args.threads < 1 or args.max_iterations < 0 or args.score_samples == 1:
        parser.error("--epochs, --batch and --threads must be at least 1, --max-iterations at least 0, "
                     "--score-samples 0 or at least 2")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y = load_split(args.data, "train")
    test_x, _ = load_split(args.data, "t10k")
    conditional = args.example == "cgan"
    if args.example == "mlp_gan":
        g, d = MlpGenerator(), MlpDiscriminator()
    elif args.example == "cgan":
        g, d = CganGenerator(), CganDiscriminator()
    else:
        g, d = Dcgan32Generator(), Dcgan32Discriminator()
        g.apply(weights_init)
        d.apply(weights_init)
        train_x = F.pad(train_x, (2, 2, 2, 2), value=-1.0)  # framed with the background, not resized
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()

    scorer = load_scorer(args.scorer, args.score_samples)

    per_epoch = len(train_x) // batch  # drop_last
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); {args.example}: "
          f"G {sum(p.numel() for p in g.parameters()):,} parameters, D {sum(p.numel() for p in d.parameters()):,}; "
          f"{epochs} epoch(s) of {per_epoch} batches of {batch}", flush=True)

    ones, zeros = torch.ones(batch), torch.zeros(batch)
    progress = Progress(args.max_iterations)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(train_x))
        progress.begin_epoch()
        for b in range(per_epoch):
            if progress.stopped():
                break
            index = order[b * batch:(b + 1) * batch]
            real = train_x[index]
            z = g.noise(batch)
            if conditional:
                real_labels = train_y[index]
                fake_labels = torch.randint(0, 10, (batch,))
                d_real = lambda x: d(x, real_labels)  # noqa: E731
                d_fake = lambda x: d(x, fake_labels)  # noqa: E731
                fake = g(z, fake_labels)
            else:
                d_real = d_fake = d
                fake = g(z)

            d_opt.zero_grad()
            loss_real = bce(d_real(real), ones)
            loss_real.backward()
            loss_fake = bce(d_fake(fake.detach()), zeros)
            loss_fake.backward()
            d_opt.step()

            g_opt.zero_grad()
            for p in d.parameters():
                p.requires_grad_(False)
            loss_g = bce(d_fake(fake), ones)
            loss_g.backward()
            for p in d.parameters():
                p.requires_grad_(True)
            g_opt.step()

            progress.add(loss_D=loss_real.item() + loss_fake.item(), loss_G=loss_g.item())
        progress.end_epoch(epoch)
        if progress.stop_here():
            break
    progress.end()

    if scorer is None:
        return
    clock = time.perf_counter()
    n = args.score_samples
    labels = torch.arange(n) % 10

    def draw(first, count, rng):
        z = g.noise(count, generator=rng)
        return g(z, labels[first:first + count]) if conditional else g(z)

    images = scored_images(g, n, args.seed + 4, draw)
    fid = frechet(feature_stats(scorer, images), feature_stats(scorer, test_x))
    line = score_line(fid, n, len(test_x), args.scorer)
    if conditional:
        with torch.no_grad():
            hits = sum((scorer(images[s:s + 1000]).argmax(1) == labels[s:s + 1000]).sum().item()
                       for s in range(0, n, 1000))
        line += f"; class accuracy {hits / n:.4f}"
    print(f"{line}  [{time.perf_counter() - clock:.1f} s]", flush=True)


if __name__ == "__main__":
    main()
