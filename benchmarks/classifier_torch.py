"""The recipe of examples/classifier.cpp in PyTorch, to compare accuracy and time with tessera's.

The same network (models::FashionClassifier: Conv2d 32 3x3, ReLU, MaxPool 2, Conv2d 64 3x3, ReLU,
MaxPool 2, Flatten, Linear 128, ReLU, Linear 10; PyTorch's default initialisation, as tessera's),
the same data (the 60,000 Fashion-MNIST training images from Debian's IDX files, read with gzip and
numpy, scaled p / 255 * 2 - 1 to [-1, 1]), cross-entropy, Adam lr 1e-3, batch 64, shuffled every
epoch, the last short batch kept. Prints each epoch's mean training loss, the test accuracy and the
time, then, as the classifier example does, the Frechet distance between 10,000 random training
images' and the test images' 128 penultimate activations (and all 60,000's): the floor of a
generator's score on these features. Run with Debian's PyTorch 1.13 and as many threads as
tessera's run had (OMP_NUM_THREADS there):

    /usr/bin/python3 benchmarks/classifier_torch.py --threads 1
    /usr/bin/python3 benchmarks/classifier_torch.py --threads 2 --epochs 5 --out torch_classifier

--out also writes <out>/classifier.safetensors under the names tessera uses ("features.0.weight",
..., "classifier.bias"), which tessera's FashionScorer and the GAN examples' --scorer load.
--weights FILE trains nothing: it loads such a file (examples/classifier's, say) and prints its
test accuracy and the FID of all 60,000 training images (an independent check of tessera's
numbers), and for scale the FID of one class's training images alone and of noise:

    /usr/bin/python3 benchmarks/classifier_torch.py --weights classifier_output/classifier.safetensors
"""

import argparse
import gzip
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path, header):
    data = gzip.decompress(pathlib.Path(path).read_bytes())
    return np.frombuffer(data, dtype=np.uint8, offset=header)


def load_split(data_dir, prefix):
    pixels = read_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz", 16)
    labels = read_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz", 8)
    # As tessera's loader: p / 255 * 2 - 1 in float32.
    images = pixels.astype(np.float32) / np.float32(255) * np.float32(2) - np.float32(1)
    return torch.from_numpy(images.reshape(-1, 1, 28, 28).copy()), torch.from_numpy(labels.astype(np.int64))


class FashionClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU())
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


def read_safetensors(path):
    """The F32 tensors of a safetensors file (u64 header length, JSON header, data), by name."""
    data = pathlib.Path(path).read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", f"{path}: tensor {name} is {entry['dtype']}, not F32"
        begin, end = entry["data_offsets"]
        values = np.frombuffer(data[8 + length + begin:8 + length + end], dtype="<f4")
        tensors[name] = torch.from_numpy(values.copy().reshape(entry["shape"]))
    return tensors


@torch.no_grad()
def accuracy(model, images, labels):
    hits = 0
    for start in range(0, len(images), 1000):
        hits += (model(images[start:start + 1000]).argmax(dim=1) == labels[start:start + 1000]).sum().item()
    return hits / len(images)


@torch.no_grad()
def feature_stats(model, images):
    f = torch.cat([model.features(images[s:s + 500]) for s in range(0, len(images), 500)]).double().numpy()
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet(a, b):
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)), as tessera::frechet_distance
    computes it (symmetric eigensolvers, eigenvalues below d eps times the largest taken as 0)."""
    (mean_a, cov_a), (mean_b, cov_b) = a, b

    def roots(values):
        cutoff = len(values) * np.finfo(np.float64).eps * max(values.max(), 0.0)
        return np.where(values > cutoff, np.sqrt(np.clip(values, 0, None)), 0.0)

    values, vectors = np.linalg.eigh(cov_a)
    sqrt_a = vectors @ np.diag(roots(values)) @ vectors.T
    product = sqrt_a @ cov_b @ sqrt_a
    trace_sqrt = roots(np.linalg.eigh((product + product.T) / 2)[0]).sum()
    diff = mean_a - mean_b
    return max(float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt), 0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default="", help="folder for classifier.safetensors (none if empty)")
    parser.add_argument("--weights", default="", help="a classifier.safetensors to check instead of training")
    args = parser.parse_args()
    if args.epochs < 1 or args.batch < 1 or args.threads < 1 or not args.lr > 0:
        parser.error("--epochs, --batch and --threads must be at least 1 and --lr above 0")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    model = FashionClassifier()
    adam = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"{sum(p.numel() for p in model.parameters()):,} parameters", flush=True)

    if args.weights:
        model.load_state_dict(read_safetensors(args.weights))  # strict: every name and shape
        model.eval()
        test = feature_stats(model, test_x)
        print(f"{args.weights}: test accuracy {accuracy(model, test_x, test_y):.4f}; FID against the "
              f"10000 test images: all 60000 training images {frechet(feature_stats(model, train_x), test):.3f}")
        # What worse generators would score: one class only (complete mode collapse), and noise.
        for c, name in ((0, "T-shirt/top"), (7, "sneaker")):
            print(f"  the 6000 training images of class {c} ({name}) alone: "
                  f"{frechet(feature_stats(model, train_x[train_y == c]), test):.1f}")
        noise = torch.from_numpy(rng.uniform(-1, 1, size=(10000, 1, 28, 28)).astype(np.float32))
        print(f"  10000 images of uniform noise in [-1, 1]: {frechet(feature_stats(model, noise), test):.1f}")
        return

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(train_x)))
        loss_sum = 0.0
        for first in range(0, len(order), args.batch):
            index = order[first:first + args.batch]
            loss = F.cross_entropy(model(train_x[index]), train_y[index])
            adam.zero_grad()
            loss.backward()
            adam.step()
            loss_sum += loss.item() * len(index)
        model.eval()
        print(f"epoch {epoch}/{args.epochs}: train loss {loss_sum / len(train_x):.4f}, test accuracy "
              f"{accuracy(model, test_x, test_y):.4f}  [{time.perf_counter() - start:.1f} s]", flush=True)
    train_seconds = time.perf_counter() - start

    if args.out:
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
        from make_fixtures import write_safetensors
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_safetensors(out / "classifier.safetensors",
                          {k: v.contiguous() for k, v in model.state_dict().items()}, {"format": "pt"})
        print(f"wrote {out / 'classifier.safetensors'}")
    print(f"trained in {train_seconds:.1f} s")

    scoring = time.perf_counter()
    model.eval()
    test = feature_stats(model, test_x)
    some = train_x[torch.from_numpy(rng.permutation(len(train_x))[:10000])]
    print(f"FID on these features against the 10000 test images: 10000 random training images "
          f"{frechet(feature_stats(model, some), test):.3f}, all 60000 "
          f"{frechet(feature_stats(model, train_x), test):.3f}  [{time.perf_counter() - scoring:.1f} s]")


if __name__ == "__main__":
    main()
