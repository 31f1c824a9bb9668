"""The recipe of examples/cyclegan.cpp in PyTorch, to compare its scores and time with tessera's.

Seed 004's CycleGAN written as the seed writes it (Generator: reflection-padded 7x7 stem, two
stride-2 convolutions, residual blocks, two transposed convolutions, 7x7 head, Tanh; Discriminator:
the PatchGAN whose patch scores are averaged), at the example's sizes: ngf 16, 6 residual blocks,
ndf 32, one channel, PyTorch's default initialisation (as tessera's). The same data: Fashion-MNIST
from Debian's IDX files scaled to [-1, 1], sneakers (class 7, domain A) and ankle boots (class 9,
B), padded to 32x32 with -1; every epoch a pass over A in a new order, beside B in an order of its
own; batch 16, the last short batch dropped. The seed's iteration: identity L1 x 5, LSGAN
adversarial, cycle L1 x 10 into one Adam over both generators; then each discriminator on
0.5 (MSE(D(real), 1) + MSE(D(pool(fake)), 0)) with its own Adam, the fakes of the G step detached;
Adam lr 2e-4, betas (0.5, 0.999); the CycleGAN implementation's ImagePool of 50.

After each epoch, as the example: the held-out cycle L1 on the first 1,000 test images of each
class and, with examples/classifier's weights (--scorer, loaded as benchmarks/classifier_torch.py
loads them), the translation accuracy and the FID of G_AB(A) against the real test B (and G_BA(B)
against A) on the classifier's features, with the same Frechet code. Run with as many threads as
tessera's run had:

    /usr/bin/python3 benchmarks/cyclegan_torch.py --threads 1 --scorer classifier_output/classifier.safetensors
"""

import argparse
import random
import sys
import time
import pathlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
from classifier_torch import FashionClassifier, feature_stats, frechet, load_split, read_safetensors  # noqa: E402
# The seed's Generator and Discriminator, as the step's parity fixture writes them.
from make_cyclegan_fixtures import Discriminator, Generator  # noqa: E402


class ImagePool:
    """The CycleGAN implementation's ImagePool."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, images):
        if self.size == 0:
            return images
        out = []
        for image in images:
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif random.uniform(0, 1) > 0.5:
                k = random.randint(0, self.size - 1)
                out.append(self.images[k].clone())
                self.images[k] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


def domain(images, labels, label, limit=None):
    x = images[labels == label]
    if limit is not None:
        x = x[:limit]
    return F.pad(x, (2, 2, 2, 2), value=-1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool", type=int, default=50)
    parser.add_argument("--heldout", type=int, default=1000)
    parser.add_argument("--class-a", type=int, default=7)
    parser.add_argument("--class-b", type=int, default=9)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--scorer", default="classifier_output/classifier.safetensors")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    a, b = domain(train_x, train_y, args.class_a), domain(train_x, train_y, args.class_b)
    test_a = domain(test_x, test_y, args.class_a, args.heldout)
    test_b = domain(test_x, test_y, args.class_b, args.heldout)

    g_ab, g_ba = Generator(1, 1, 6, 16), Generator(1, 1, 6, 16)
    d_a, d_b = Discriminator(1, 32), Discriminator(1, 32)
    print("G parameters", sum(p.numel() for p in g_ab.parameters()),
          "D parameters", sum(p.numel() for p in d_a.parameters()))
    g_opt = torch.optim.Adam(list(g_ab.parameters()) + list(g_ba.parameters()), lr=2e-4, betas=(0.5, 0.999))
    da_opt = torch.optim.Adam(d_a.parameters(), lr=2e-4, betas=(0.5, 0.999))
    db_opt = torch.optim.Adam(d_b.parameters(), lr=2e-4, betas=(0.5, 0.999))
    pool_a, pool_b = ImagePool(args.pool), ImagePool(args.pool)
    mse, l1 = nn.MSELoss(), nn.L1Loss()

    scorer = None
    if pathlib.Path(args.scorer).exists():
        scorer = FashionClassifier()
        scorer.load_state_dict(read_safetensors(args.scorer))
        scorer.eval()
        crop = lambda x: x[:, :, 2:30, 2:30]
        stats_a, stats_b = feature_stats(scorer, crop(test_a)), feature_stats(scorer, crop(test_b))
        print(f"untranslated: FID(A, B) {frechet(stats_a, stats_b):.2f}")

    per_epoch = min(len(a), len(b)) // args.batch
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        order_a, order_b = torch.randperm(len(a)), torch.randperm(len(b))
        sums = np.zeros(5)
        for it in range(per_epoch):
            real_a = a[order_a[it * args.batch:(it + 1) * args.batch]]
            real_b = b[order_b[it * args.batch:(it + 1) * args.batch]]
            ones = torch.ones(args.batch)
            zeros = torch.zeros(args.batch)

            g_opt.zero_grad()
            for p in list(d_a.parameters()) + list(d_b.parameters()):
                p.requires_grad_(False)
            identity = l1(g_ab(real_b), real_b) * 5.0 + l1(g_ba(real_a), real_a) * 5.0
            fake_b, fake_a = g_ab(real_a), g_ba(real_b)
            adversarial = mse(d_b(fake_b), ones) + mse(d_a(fake_a), ones)
            cycle = l1(g_ba(fake_b), real_a) * 10.0 + l1(g_ab(fake_a), real_b) * 10.0
            (identity + adversarial + cycle).backward()
            g_opt.step()
            for p in list(d_a.parameters()) + list(d_b.parameters()):
                p.requires_grad_(True)

            da_opt.zero_grad()
            loss_da = (mse(d_a(real_a), ones) + mse(d_a(pool_a.query(fake_a.detach())), zeros)) * 0.5
            loss_da.backward()
            da_opt.step()
            db_opt.zero_grad()
            loss_db = (mse(d_b(real_b), ones) + mse(d_b(pool_b.query(fake_b.detach())), zeros)) * 0.5
            loss_db.backward()
            db_opt.step()
            sums += [loss_da.item(), loss_db.item(), adversarial.item(), cycle.item(), identity.item()]
        m = sums / per_epoch
        line = (f"epoch {epoch}: [{time.time() - start:.0f} s] mean D_A {m[0]:.4f} D_B {m[1]:.4f} "
                f"adversarial {m[2]:.4f} cycle {m[3]:.4f} identity {m[4]:.4f}")
        with torch.no_grad():
            ab, ba = g_ab(test_a), g_ba(test_b)
            aba, bab = g_ba(ab), g_ab(ba)
            line += (f"; held-out cycle L1 A->B->A {(aba - test_a).abs().mean().item():.4f}, "
                     f"B->A->B {(bab - test_b).abs().mean().item():.4f}")
            if scorer is not None:
                acc_ab = (scorer(crop(ab)).argmax(1) == args.class_b).double().mean().item()
                acc_ba = (scorer(crop(ba)).argmax(1) == args.class_a).double().mean().item()
                fid_ab = frechet(feature_stats(scorer, crop(ab)), stats_b)
                fid_ba = frechet(feature_stats(scorer, crop(ba)), stats_a)
                line += (f"; translation accuracy A->B {acc_ab:.4f}, B->A {acc_ba:.4f}; "
                         f"FID(G_AB(A), B) {fid_ab:.2f}, FID(G_BA(B), A) {fid_ba:.2f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
