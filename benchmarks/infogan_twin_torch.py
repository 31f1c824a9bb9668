"""The recipe of tessera's examples/infogan.cpp in PyTorch, to compare its losses, scores and time with tessera's.

Seed 002's InfoGAN on Fashion-MNIST at the example's sizes, its models as the parity fixtures write
them (tests/fixtures/make_fixtures.py, make_infogan_fixtures.py). G (tessera:
models::InfoganGenerator<>, 836,993 parameters) reads cat(noise 62, one-hot class 10, 2 continuous
codes), Linear to 128x8x8, then BatchNorm2d(128), [Upsample(x2, bilinear, align_corners=False),
Conv(3, 1, 1), BatchNorm2d(eps 0.8), LeakyReLU(0.2)] to 128 and to 64 channels, Conv(64, 1, 3, 1, 1),
Tanh: 1x32x32. D (tessera: models::InfoganDiscriminator<>, 231,501 parameters) is four
Conv(3, 2, 1) blocks of 16, 32, 64, 128 channels, each LeakyReLU(0.2), Dropout(0.4) and (not the
first) BatchNorm2d(eps 0.8), flattened to 512, then three heads: adv_linear Linear(512, 1) (the
score, no sigmoid), class_linear and code_linear Linear(512, 128), BatchNorm1d, LeakyReLU(0.2),
Linear(128, 10 or 2). --class-head logits (the example's default) gives the class head's logits to
the cross-entropy; --class-head softmax is the seed as written (softmax probabilities, which the
cross-entropy softmaxes again). Both models start from the seed's _weights_init, tessera's
ts::dcgan_init: convolution weights N(0, 0.02), batch-norm weights N(1, 0.02) and biases 0
(BatchNorm1d too), everything else PyTorch's default (as tessera's).

The data: the 60,000 training images from Debian's IDX files scaled p / 255 * 2 - 1 to [-1, 1],
padded from 28x28 to 32x32 with the background -1 (not resized), shuffled every epoch, the last
short batch dropped (937 batches of 64); 1 epoch by default. Each iteration is the seed's three
updates (examples/common/infogan_step.hpp; the loop of make_infogan_fixtures.py, which
tests/examples/test_infogan.cpp checks tessera's against), all models in train mode:
  G     z ~ N(0, 1) (62), c uniform over the 10 classes (one-hot for G), s ~ N(0, 1) (2);
        MSE(D(G(z, c, s)).score, 1) through D (D's gradients are zeroed before D's step, as a
        frozen D), G's Adam steps;
  D     (MSE(D(x).score, 1) + MSE(D(G(z, c, s) detached).score, 0)) / 2 on the same fakes, D's
        Adam steps;
  info  fresh z', c', s'; lambda_cat CE(D(G(z', c', s')).class, c') + lambda_con
        MSE(D(G(...)).code, s') (--lambda-cat, --lambda-con: the seed's 1 and 1) into G and D; the
        third Adam, over G's and D's parameters together (itertools.chain), steps.
Three Adams, lr 2e-4, betas (0.5, 0.999). The losses printed per epoch are the means of D's (the
halved sum), G's and the information loss, as tessera prints them
("epoch E: mean loss_D ..., loss_G ..., info ...").

At the end, the score (the same spec as tessera's example): G in eval mode draws --score-samples
(10,000) images in chunks of 250 from a torch.Generator of its own seeded seed + 4, image i asked
for class code i % 10 with noise N(0, 1) from that generator and both continuous codes 0; the
images are cut to their 28x28 centre (rows and columns 2..29). The classifier of --scorer
(examples/classifier's weights, loaded as benchmarks/classifier_torch.py loads them) gives their
FID against the 10,000 test images on its 128 penultimate features (classifier_torch.frechet) and
its predicted class for each image: a 10x10 count matrix M[code][class]. InfoGAN's class codes are
unsupervised, so code k need not mean class k: the code-class agreement is
max over one-to-one assignments pi of sum_k M[k][pi(k)] / N, solved exactly (best_assignment), and
the assignment is printed after it, "(code->class 0->3 1->1 ...)", as examples/common/scoring.hpp
prints it. Ties between assignments go to the lexicographically smallest, as
tessera::matched_accuracy breaks them.

Not matched: the random draws (weights, batch order, noise, classes, codes, dropout masks) are
PyTorch's, not tessera's, so the two runs agree in distribution only (tessera draws the G/D step's
and the information step's codes together before the step; here they are drawn as the seed draws
them, the information step's just before it); the example's grids, plots and checkpoints are not
written. Run with as many threads as tessera's run had (OMP_NUM_THREADS there):

    /usr/bin/python3 benchmarks/infogan_twin_torch.py
    /usr/bin/python3 benchmarks/infogan_twin_torch.py --max-iterations 20 --score-samples 0
    /usr/bin/python3 benchmarks/infogan_twin_torch.py --self-test

--max-iterations N stops the training after N iterations in all (a smoke test or a timing; the
score is still computed, on the G of that moment). --self-test checks best_assignment and the
parameter counts, and trains nothing.
"""

import argparse
import itertools
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
from classifier_torch import feature_stats, frechet, load_split  # noqa: E402
from twin_common import Progress, load_scorer, scored_images, score_line  # noqa: E402
from gan_twins_torch import weights_init  # noqa: E402  (the DCGAN tutorial's: ts::dcgan_init)
# Seed 002's Generator and Discriminator (softmax class head), and the logits form, as the
# parity fixtures write them.
from make_fixtures import InfoganDiscriminator, InfoganGenerator  # noqa: E402
from make_infogan_fixtures import LogitsDiscriminator  # noqa: E402

EPOCHS, BATCH = 1, 64  # the example's defaults
LATENT, CLASSES, CODES, IMAGE = 62, 10, 2, 32
G_WIDTH, D_WIDTH, D_HIDDEN = 128, 16, 128
G_PARAMETERS, D_PARAMETERS = 836_993, 231_501  # tessera's, include/tessera/models/infogan.hpp


def make_models(class_head):
    g = InfoganGenerator(CLASSES, 1, IMAGE, LATENT, CODES, G_WIDTH)
    head = LogitsDiscriminator if class_head == "logits" else InfoganDiscriminator
    d = head(CLASSES, 1, IMAGE, CODES, D_WIDTH, D_HIDDEN)
    return g, d


def one_hot(labels):
    return F.one_hot(labels, CLASSES).float()


def best_assignment(counts):
    """The one-to-one assignment pi of rows (codes) to columns (classes) that maximises
    sum_k counts[k][pi(k)], exactly, by dynamic programming over the code index k and the bit mask
    of the classes already used: value[k][mask] is the best sum the codes k, k + 1, ... can add
    when the classes in `mask` are taken; value[K][mask] = 0. O(K 2^C C) for K codes <= C classes
    (10 x 1024 x 10 here). Among assignments of the best sum, it returns the one with the smallest
    (pi(0), pi(1), ...) lexicographically. Returns (best sum, [pi(0), ..., pi(K - 1)])."""
    counts = [list(row) for row in counts]
    codes, classes = len(counts), len(counts[0])
    assert codes <= classes <= 20, "best_assignment: more codes than classes, or too many classes"
    full = 1 << classes
    value = [[0] * full for _ in range(codes + 1)]
    for k in range(codes - 1, -1, -1):
        row, below = counts[k], value[k + 1]
        for mask in range(full):
            best = None
            for c in range(classes):
                if not mask >> c & 1:
                    v = row[c] + below[mask | 1 << c]
                    if best is None or v > best:
                        best = v
            value[k][mask] = best if best is not None else float("-inf")
    pi, mask = [], 0
    for k in range(codes):
        for c in range(classes):
            if not mask >> c & 1 and counts[k][c] + value[k + 1][mask | 1 << c] == value[k][mask]:
                pi.append(c)
                mask |= 1 << c
                break
    return value[0][0], pi


def self_test():
    """best_assignment on a permuted identity, a case greedy gets wrong and random matrices
    against brute force; the parameter counts."""
    perm = [3, 1, 4, 0, 9, 2, 6, 8, 5, 7]
    m = np.ones((10, 10), dtype=np.int64)
    for k, c in enumerate(perm):
        m[k][c] = 100
    assert best_assignment(m) == (10 * 100, perm)
    # Greedy (code 0 takes class 0) gets 10 + 1; the best is 9 + 9.
    assert best_assignment([[10, 9], [9, 1]]) == (18, [1, 0])
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = rng.integers(0, 50, size=(6, 6))
        brute = max(sum(m[k][p[k]] for k in range(6)) for p in itertools.permutations(range(6)))
        total, pi = best_assignment(m)
        assert total == brute and sorted(pi) == list(range(6)) and sum(m[k][pi[k]] for k in range(6)) == total
    assert best_assignment(np.zeros((10, 10), dtype=np.int64)) == (0, list(range(10)))  # ties: identity
    for class_head in ("logits", "softmax"):
        g, d = make_models(class_head)
        counts = sum(p.numel() for p in g.parameters()), sum(p.numel() for p in d.parameters())
        assert counts == (G_PARAMETERS, D_PARAMETERS), counts
    image = g(torch.zeros(2, LATENT), one_hot(torch.tensor([0, 1])), torch.zeros(2, CODES))
    assert image.shape == (2, 1, 32, 32)
    score, cls, code = d(image)
    assert score.shape == (2, 1) and cls.shape == (2, CLASSES) and code.shape == (2, CODES)
    print(f"self-test passed: best_assignment; G {counts[0]:,} parameters, D {counts[1]:,}, as tessera's")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=0, help=f"0: the example's own ({EPOCHS})")
    parser.add_argument("--batch", type=int, default=0, help=f"0: the example's own ({BATCH})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--scorer", default="/work/runs/classifier_output/classifier.safetensors")
    parser.add_argument("--score-samples", type=int, default=10000)
    parser.add_argument("--lambda-cat", type=float, default=1.0, help="weight of the information loss's cross-entropy")
    parser.add_argument("--lambda-con", type=float, default=1.0, help="weight of the information loss's code MSE")
    parser.add_argument("--class-head", default="logits", choices=("logits", "softmax"),
                        help="logits (the example's default) or softmax (the seed as written)")
    parser.add_argument("--max-iterations", type=int, default=0, help="stop after this many iterations (0: no limit)")
    parser.add_argument("--self-test", action="store_true", help="check best_assignment and parameter counts, then stop")
    args = parser.parse_args()
    epochs = args.epochs or EPOCHS
    batch = args.batch or BATCH
    if epochs < 1 or not 2 <= batch <= 60000 or args.threads < 1 or args.max_iterations < 0:
        parser.error("--epochs and --threads must be at least 1, --batch 2 to 60000 (D's heads have "
                     "BatchNorm1d), --max-iterations at least 0")
    if args.score_samples < 0 or args.score_samples == 1:
        parser.error("--score-samples must be 0 or at least 2")
    if not (0 <= args.lambda_cat <= 100 and 0 <= args.lambda_con <= 100):
        parser.error("--lambda-cat and --lambda-con must be 0 to 100")

    torch.set_num_threads(args.threads)
    if args.self_test:
        self_test()
        return
    torch.manual_seed(args.seed)
    train_x, _ = load_split(args.data, "train")
    test_x, _ = load_split(args.data, "t10k")
    train_x = F.pad(train_x, (2, 2, 2, 2), value=-1.0)  # framed with the background, not resized

    g, d = make_models(args.class_head)
    g.apply(weights_init)
    d.apply(weights_init)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    info_opt = torch.optim.Adam(itertools.chain(g.parameters(), d.parameters()), lr=2e-4, betas=(0.5, 0.999))
    mse, ce = nn.MSELoss(), nn.CrossEntropyLoss()

    scorer = load_scorer(args.scorer, args.score_samples)

    per_epoch = len(train_x) // batch  # drop_last
    g_count, d_count = sum(p.numel() for p in g.parameters()), sum(p.numel() for p in d.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); infogan (class head {args.class_head}, "
          f"lambda_cat {args.lambda_cat:g}, lambda_con {args.lambda_con:g}): G {g_count:,} parameters, "
          f"D {d_count:,}; {epochs} epoch(s) of {per_epoch} batches of {batch}", flush=True)
    if (g_count, d_count) != (G_PARAMETERS, D_PARAMETERS):
        print(f"warning: tessera's example has G {G_PARAMETERS:,} parameters, D {D_PARAMETERS:,}", flush=True)

    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    progress = Progress(args.max_iterations)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(train_x))
        progress.begin_epoch()
        for b in range(per_epoch):
            if progress.stopped():
                break
            real = train_x[order[b * batch:(b + 1) * batch]]

            # G, through D (whose gradients D's step zeroes first).
            g.zero_grad()
            z = torch.randn(batch, LATENT)
            labels = torch.randint(0, CLASSES, (batch,))
            code = torch.zeros(batch, CODES).normal_()
            fake = g(z, one_hot(labels), code)
            loss_g = mse(d(fake)[0], ones)
            loss_g.backward()
            g_opt.step()

            # D, on the same fakes, detached.
            d.zero_grad()
            loss_d = (mse(d(real)[0], ones) + mse(d(fake.detach())[0], zeros)) / 2
            loss_d.backward()
            d_opt.step()

            # Information, on fresh draws, into G and D.
            info_opt.zero_grad()
            z = torch.randn(batch, LATENT)
            labels = torch.randint(0, CLASSES, (batch,))
            code = torch.zeros(batch, CODES).normal_()
            _, cls, code_out = d(g(z, one_hot(labels), code))
            loss_info = args.lambda_cat * ce(cls, labels) + args.lambda_con * mse(code_out, code)
            loss_info.backward()
            info_opt.step()

            progress.add(loss_D=loss_d.item(), loss_G=loss_g.item(), info=loss_info.item())
        progress.end_epoch(epoch)
        if progress.stop_here():
            break
    progress.end()

    if scorer is None:
        return
    clock = time.perf_counter()
    n = args.score_samples
    codes = torch.arange(n) % CLASSES

    def draw(first, count, rng):
        c = codes[first:first + count]
        return g(torch.randn(count, LATENT, generator=rng), one_hot(c), torch.zeros(count, CODES))

    images = scored_images(g, n, args.seed + 4, draw)
    fid = frechet(feature_stats(scorer, images), feature_stats(scorer, test_x))
    with torch.no_grad():
        predicted = torch.cat([scorer(images[s:s + 1000]).argmax(1) for s in range(0, n, 1000)])
    m = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(m, (codes.numpy(), predicted.numpy()), 1)
    matched, pi = best_assignment(m)
    pairs = " ".join(f"{k}->{c}" for k, c in enumerate(pi))
    print(f"{score_line(fid, n, len(test_x), args.scorer)}; code-class agreement {matched / n:.4f} (code->class {pairs})"
          f"  [{time.perf_counter() - clock:.1f} s]", flush=True)


if __name__ == "__main__":
    main()
