"""The recipe of tessera's examples/pix2pix.cpp in PyTorch, to compare its held-out L1 and time with tessera's.

Seed 003's pix2pix on Fashion-MNIST, edges -> garment, at the example's sizes. G is the seed's
UNetGenerator (tessera: models::Pix2PixGenerator003<1, 16, 5>) with 5 of its 8 levels and nf 16:
down_conv_layer_1 Conv(1, 16, 4, 2, 1), LeakyReLU(0.2); down_conv_layer_2..5 Conv(4, 2, 1) to
32, 64, 128, 128, each InstanceNorm2d (not the innermost, 5, whose output is 1x1), LeakyReLU(0.2),
Dropout(0.5) in 4 and 5; up_conv_layer_4 ConvT(128, 128, 4, 2, 1), InstanceNorm2d, ReLU,
Dropout(0.5), then up_conv_layer_5..7 ConvT(4, 2, 1) from the concatenation (up, encoder feature)
to 64, 32, 16 with InstanceNorm2d and ReLU (no dropout), each followed by the cat with its
encoder feature; Upsample(x2, nearest), ZeroPad2d((1, 0, 1, 0)), Conv(32, 1, 4, padding 1), Tanh;
1,041,761 parameters. D is the seed's PatchGAN (tessera: models::Pix2PixDiscriminator003<16>) on
cat(edges, garment): Conv(2, 16, 4, 2, 1), LeakyReLU(0.2), then Conv(4, 2, 1) to 32, 64, 128 each
with InstanceNorm2d and LeakyReLU(0.2), ZeroPad2d((1, 0, 1, 0)), Conv(128, 1, 4, padding 1): one
logit per patch, 2x2 at 32x32; 174,833 parameters. The InstanceNorms are PyTorch's defaults (no
affine, no running statistics, eps 1e-5). Both models are tests/fixtures/make_fixtures.py's classes
(the blocks as the parity fixtures register them), with PyTorch's default initialisation, as
tessera's example keeps its layers' defaults (they are PyTorch's).

The data as tessera's example makes it: the 60,000 training garments from Debian's IDX files
scaled p / 255 * 2 - 1 to [-1, 1], padded from 28x28 to 32x32 with the background -1 (not
resized: examples/common/image_data.hpp's pad_into), the target y; the input x is its edge map
(examples/common/edges.hpp, reimplemented exactly in float32): Sobel on the brightness
b = (v + 1) / 2 of the padded image, outside the 32x32 read as 0, |G| = sqrt(Gx^2 + Gy^2) with
Gx = [-1 0 1; -2 0 2; -1 0 1] and Gy its transpose, each sum added in the C++ code's order; +1
where |G| > --threshold (1), else -1 (a 0-to-1 step gives 4). Shuffled every epoch, the last short
batch dropped (1,875 batches of 32), 3 epochs by default.

Per batch, as the example's step: D: 0.5 (BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)) with logits
(BCEWithLogitsLoss, mean over the patches), G(x) detached, D's Adam steps; then G:
BCE(D(x, G(x)), 1) + 100 L1(G(x), y) (mean over the pixels) on the same G(x) through the updated D,
frozen, G's Adam steps. Both Adam lr 2e-4, betas (0.5, 0.999). G trains with its dropout on; D has
none. The losses printed per epoch are the means of these two, as tessera prints them
("epoch E: mean loss_D ..., loss_G ..."). At the end of each epoch, G in eval mode (no dropout):
the mean |G(x) - y| over all pixels of the first --heldout (2,000) test garments, in chunks of 100,
printed as tessera prints it ("epoch E: held-out L1 0.1234 on 2000 test garments").

Not matched: the random draws (weights, batch order, dropout masks) are PyTorch's, not tessera's,
so the two runs agree in distribution only; the example's images (samples_<epoch>.png), plots and
checkpoints are not written; the C++ compiler may fuse gx * gx + gy * gy into one fused multiply-add,
which can flip a pixel whose |G| lies within a rounding of the threshold. Run with as many threads
as tessera's run had (OMP_NUM_THREADS there):

    /usr/bin/python3 benchmarks/pix2pix_twin_torch.py
    /usr/bin/python3 benchmarks/pix2pix_twin_torch.py --max-iterations 20
    /usr/bin/python3 benchmarks/pix2pix_twin_torch.py --self-test

--max-iterations N stops the training after N iterations in all (a smoke test or a timing; the
held-out L1 is still measured, on the G of that moment). --self-test checks the edge map against
tests/examples/test_edges.cpp's closed forms and the parameter counts, and trains nothing.
"""

import argparse
import pathlib
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
from classifier_torch import load_split  # noqa: E402
from twin_common import Progress  # noqa: E402
# Seed 003's blocks and PatchGAN, as the parity fixtures write them.
from make_fixtures import DownConvBlock, Pix2Pix003Discriminator, UpConvBlock  # noqa: E402

EPOCHS, BATCH = 3, 32  # the example's defaults
NF, DEPTH, D_FEATURES = 16, 5, 16
LAMBDA = 100.0
G_PARAMETERS, D_PARAMETERS = 1_041_761, 174_833  # tessera's, docs/examples.md


class Pix2PixGenerator003(nn.Module):
    """Seed 003's UNetGenerator (make_fixtures.UNetGenerator) with `depth` of its 8 levels, as
    tessera's Pix2PixGenerator003<chnls_op, nf, depth> keeps them: the outer levels' blocks and
    names unchanged (down_conv_layer_1..depth, up_conv_layer_(9 - depth)..7), the innermost down
    block without InstanceNorm (the seed's down_conv_layer_8), dropout where the seed has it
    (down 4..8, up 1..4), the innermost up block reading only the innermost down block's output."""

    def __init__(self, chnls_in=1, chnls_op=1, nf=16, depth=5):
        super().__init__()
        assert 2 <= depth <= 8
        self.depth = depth
        w = [nf * k for k in (1, 2, 4, 8, 8, 8, 8, 8)]
        self.down_conv_layer_1 = DownConvBlock(chnls_in, w[0], norm=False)
        for k in range(2, depth + 1):
            setattr(self, f"down_conv_layer_{k}",
                    DownConvBlock(w[k - 2], w[k - 1], norm=k < depth, dropout=0.5 if k >= 4 else 0.0))
        for k in range(depth, 1, -1):  # level k's up block is the seed's up_conv_layer_(9 - k)
            setattr(self, f"up_conv_layer_{9 - k}",
                    UpConvBlock(w[k - 1] if k == depth else 2 * w[k - 1], w[k - 2], dropout=0.5 if k >= 5 else 0.0))
        self.upsample_layer = nn.Upsample(scale_factor=2)
        self.zero_pad = nn.ZeroPad2d((1, 0, 1, 0))
        self.conv_layer_1 = nn.Conv2d(2 * w[0], chnls_op, 4, padding=1)
        self.activation = nn.Tanh()

    def forward(self, x):
        enc = [None, self.down_conv_layer_1(x)]  # enc[k]: down_conv_layer_k's output
        for k in range(2, self.depth + 1):
            enc.append(getattr(self, f"down_conv_layer_{k}")(enc[-1]))
        dec = enc[self.depth]
        for k in range(self.depth, 1, -1):
            dec = getattr(self, f"up_conv_layer_{9 - k}")(dec, enc[k - 1])
        return self.activation(self.conv_layer_1(self.zero_pad(self.upsample_layer(dec))))


def sobel_edges(images, threshold):
    """examples/common/edges.hpp's sobel_edges on a float32 batch (n, 1, 32, 32) in [-1, 1]:
    +1 where the Sobel magnitude of the brightness (v + 1) / 2 (outside read as 0) exceeds
    `threshold`, else -1; the same float32 operations in the same order."""
    b = F.pad((images + 1.0) * 0.5, (1, 1, 1, 1), value=0.0)
    h, w = images.shape[-2:]

    def at(dy, dx):  # b(y + dy, x + dx) for every (y, x)
        return b[:, :, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]

    gx = (at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))
    gy = (at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))
    magnitude = torch.sqrt(gx * gx + gy * gy)
    threshold = torch.tensor(threshold, dtype=torch.float32)  # float(s.threshold), as the C++
    return torch.where(magnitude > threshold, torch.ones_like(magnitude), -torch.ones_like(magnitude))


def pad32(images):
    """image_data.hpp's pad_into: 28x28 in the middle of 32x32, the frame -1."""
    return F.pad(images, (2, 2, 2, 2), value=-1.0)


def self_test():
    """tests/examples/test_edges.cpp's closed forms, and the parameter counts."""
    def step_image(step, brightness):
        g = torch.full((1, 1, 28, 28), -1.0)
        g[:, :, :, step:] = 2 * brightness - 1
        return g

    def check_rows(e, step_seen):
        for y in range(4, 28):
            for x in range(32):
                edge = x in (29, 30) or (step_seen and x in (15, 16))
                assert e[0, 0, y, x].item() == (1.0 if edge else -1.0), (y, x)

    frame = pad32(torch.rand(2, 1, 28, 28))
    assert (frame[:, :, :2] == -1).all() and (frame[:, :, 30:] == -1).all()
    assert (frame[:, :, :, :2] == -1).all() and (frame[:, :, :, 30:] == -1).all()
    full = pad32(step_image(14, 1.0))
    b = (full + 1) * 0.5
    gx = F.conv2d(F.pad(b, (1, 1, 1, 1)), torch.tensor([[[[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]]]))
    assert gx[0, 0, 10, 15].item() == 4.0, "a 0-to-1 step gives |G| = 4"
    check_rows(sobel_edges(full, 1.0), True)
    check_rows(sobel_edges(pad32(step_image(14, 0.3)), 1.0), True)  # |G| = 1.2 passes 1
    faint = sobel_edges(pad32(step_image(14, 0.2)), 1.0)  # |G| = 0.8 does not
    assert (faint[:, :, 4:28] == -1).all()
    assert (sobel_edges(pad32(torch.full((1, 1, 28, 28), -1.0)), 0.5) == -1).all()
    g, d = Pix2PixGenerator003(1, 1, NF, DEPTH), Pix2Pix003Discriminator(1, D_FEATURES)
    counts = sum(p.numel() for p in g.parameters()), sum(p.numel() for p in d.parameters())
    assert counts == (G_PARAMETERS, D_PARAMETERS), counts
    assert g(torch.zeros(2, 1, 32, 32)).shape == (2, 1, 32, 32)
    assert d(torch.zeros(2, 1, 32, 32), torch.zeros(2, 1, 32, 32)).shape == (2, 1, 2, 2)
    print(f"self-test passed: edges as tests/examples/test_edges.cpp; G {counts[0]:,} parameters, "
          f"D {counts[1]:,}, as tessera's")


@torch.no_grad()
def heldout_l1(g, edges, garments):
    """The mean |G(x) - y| over every pixel of the held-out pairs, in chunks of 100 (G in eval mode)."""
    g.eval()
    total = 0.0
    for start in range(0, len(edges), 100):
        total += (g(edges[start:start + 100]).double() - garments[start:start + 100].double()).abs().sum().item()
    g.train()
    return total / garments.numel()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=0, help=f"0: the example's own ({EPOCHS})")
    parser.add_argument("--batch", type=int, default=0, help=f"0: the example's own ({BATCH})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--heldout", type=int, default=2000, help="test garments (the first ones) of the held-out L1")
    parser.add_argument("--threshold", type=float, default=1.0,
                        help="Sobel magnitude above which a pixel is an edge (a 0-to-1 step gives 4)")
    parser.add_argument("--max-iterations", type=int, default=0, help="stop after this many iterations (0: no limit)")
    parser.add_argument("--self-test", action="store_true", help="check the edge map and parameter counts, then stop")
    args = parser.parse_args()
    epochs = args.epochs or EPOCHS
    batch = args.batch or BATCH
    if epochs < 1 or not 1 <= batch <= 60000 or args.threads < 1 or args.max_iterations < 0:
        parser.error("--epochs and --threads must be at least 1, --batch 1 to 60000, --max-iterations at least 0")
    if not 1 <= args.heldout <= 10000:
        parser.error("--heldout must be 1 to 10000")
    if not 0.0 < args.threshold < 4.0:
        parser.error("--threshold must be strictly between 0 and 4")

    torch.set_num_threads(args.threads)
    if args.self_test:
        self_test()
        return
    torch.manual_seed(args.seed)
    train_x, _ = load_split(args.data, "train")
    test_x, _ = load_split(args.data, "t10k")
    garments = pad32(train_x)
    test_garments = pad32(test_x[:args.heldout])
    test_edges = sobel_edges(test_garments, args.threshold)

    g, d = Pix2PixGenerator003(1, 1, NF, DEPTH), Pix2Pix003Discriminator(1, D_FEATURES)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()

    per_epoch = len(garments) // batch  # drop_last
    g_count, d_count = sum(p.numel() for p in g.parameters()), sum(p.numel() for p in d.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); pix2pix: "
          f"G {g_count:,} parameters, D {d_count:,}; {epochs} epoch(s) of {per_epoch} batches of {batch}", flush=True)
    if (g_count, d_count) != (G_PARAMETERS, D_PARAMETERS):
        print(f"warning: tessera's example has G {G_PARAMETERS:,} parameters, D {D_PARAMETERS:,}", flush=True)

    ones = torch.ones(batch, 1, 2, 2)
    zeros = torch.zeros(batch, 1, 2, 2)
    progress = Progress(args.max_iterations)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(garments))
        progress.begin_epoch()
        for b in range(per_epoch):
            if progress.stopped():
                break
            y = garments[order[b * batch:(b + 1) * batch]]
            x = sobel_edges(y, args.threshold)

            d_opt.zero_grad()
            loss_real = bce(d(x, y), ones)
            fake = g(x)
            loss_fake = bce(d(x, fake.detach()), zeros)
            loss_d = 0.5 * (loss_real + loss_fake)
            loss_d.backward()
            d_opt.step()

            g_opt.zero_grad()
            for p in d.parameters():
                p.requires_grad_(False)
            loss_g = bce(d(x, fake), ones) + LAMBDA * l1(fake, y)
            loss_g.backward()
            for p in d.parameters():
                p.requires_grad_(True)
            g_opt.step()

            progress.add(loss_D=loss_d.item(), loss_G=loss_g.item())
        if progress.end_epoch(epoch):
            clock = time.perf_counter()
            score = heldout_l1(g, test_edges, test_garments)
            print(f"epoch {epoch}: held-out L1 {score:.4f} on {len(test_garments)} test garments  "
                  f"[{time.perf_counter() - clock:.1f} s]", flush=True)
        if progress.stop_here():
            break
    progress.end()


if __name__ == "__main__":
    main()
