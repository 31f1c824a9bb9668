"""What the PyTorch twins of tessera's GAN examples share: the progress lines, as tessera's examples
print them, and the images that are scored at the end, drawn as examples/common/scoring.hpp draws
them (benchmarks/gan_twins_torch.py, wgan_twin_torch.py, pix2pix_twin_torch.py,
infogan_twin_torch.py)."""

import pathlib
import time

import torch

from classifier_torch import FashionClassifier, read_safetensors


class Progress:
    """Counts the iterations of a run and prints its lines:
      iteration N: S s per iteration      every 10 iterations when --max-iterations is given
      epoch E: mean loss_D ..., loss_G ... (N iterations, S s, MS ms per iteration; T s in all)
      stopped after --max-iterations N    when the limit ended the run
      training: T s
    The epoch line's means are those of the values given to add(), in the order first given."""

    def __init__(self, max_iterations=0):
        self.max_iterations = max_iterations
        self.done = 0
        self.start = time.perf_counter()

    def begin_epoch(self):
        self.epoch_start = time.perf_counter()
        self.iterations = 0
        self.sums = {}

    def stopped(self):
        """Whether --max-iterations iterations are done."""
        return bool(self.max_iterations) and self.done >= self.max_iterations

    def add(self, **values):
        """One iteration done, with the values whose epoch means the epoch line prints."""
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.iterations += 1
        self.done += 1
        if self.max_iterations and self.done % 10 == 0:
            print(f"  iteration {self.done}: {(time.perf_counter() - self.epoch_start) / self.iterations:.3f} s "
                  "per iteration", flush=True)

    def end_epoch(self, epoch):
        """Prints the epoch line; returns whether the epoch had iterations."""
        if self.iterations:
            now = time.perf_counter()
            means = ", ".join(f"{name} {total / self.iterations:.6f}" for name, total in self.sums.items())
            print(f"epoch {epoch}: mean {means} ({self.iterations} iterations, {now - self.epoch_start:.1f} s, "
                  f"{(now - self.epoch_start) / self.iterations * 1000:.1f} ms per iteration; "
                  f"{now - self.start:.1f} s in all)", flush=True)
        return self.iterations > 0

    def stop_here(self):
        """After an epoch: whether --max-iterations ends the run (and, if so, says so)."""
        if self.stopped():
            print(f"stopped after --max-iterations {self.max_iterations}", flush=True)
            return True
        return False

    def end(self):
        print(f"training: {time.perf_counter() - self.start:.1f} s", flush=True)


def scored_images(g, n, seed, draw):
    """The n images a GAN is scored on, as scoring.hpp makes them: G in eval mode (and back in
    training mode after), chunks of 250, draws from a generator of their own seeded `seed`
    (the examples pass --seed + 4). draw(first, count, rng) returns images first .. first + count - 1.
    32x32 images are cut to their 28x28 centre (rows and columns 2..29, FashionScorer::centre_crop)."""
    rng = torch.Generator().manual_seed(seed)
    g.eval()
    with torch.no_grad():
        images = torch.cat([draw(first, min(250, n - first), rng) for first in range(0, n, 250)])
    g.train()
    return images[:, :, 2:30, 2:30] if images.shape[-1] == 32 else images


def score_line(fid, n, test_count, scorer):
    """The start of the score line, as tessera's examples print it (without its note on
    Inception's features)."""
    return (f"score: FID {fid:.2f} of {n} generated images against the {test_count} test images on the "
            f"features of {scorer}")


def load_scorer(path, samples):
    """examples/classifier's network with the weights at `path` in eval mode, or None (and a note)
    when there is no file there; None without a note when `samples` is 0 (no score asked for)."""
    if not samples:
        return None
    if not pathlib.Path(path).exists():
        print(f"note: no classifier weights at {path}, so no score at the end", flush=True)
        return None
    scorer = FashionClassifier()
    scorer.load_state_dict(read_safetensors(path))
    scorer.eval()
    return scorer
