"""PyTorch CPU peer of `cargo run --release --example mnist -- --model lenet`: one epoch of
LeNet-5 on the full MNIST training set, batch 64, Adam lr 2e-3, at 1 and 2 threads.

Same network as examples/mnist.rs's `Lenet` (conv 1->6 5x5 pad 2, ReLU, maxpool 2; conv 6->16
5x5, ReLU, maxpool 2; linear 400->120->84->10; cross-entropy on the logits), same init family
(PyTorch's defaults, which simdgrad's Conv2d/Linear copy), same optimiser and pixels in [0, 1]
(divided by 255, no normalisation). The timed loop is what simdgrad's images/s covers: gather a
shuffled batch, forward, loss, backward, optimiser step. Data loading and evaluation are not
timed. Usage:

    python3 peers/pytorch_lenet.py [--data /work/shared/data/mnist] [--threads 1 2]
"""

import argparse
import gzip
import struct
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip or raw) as a uint8 array of its dims."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(f"{directory}/{stem}[.gz]")


def lenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def one_epoch(x, y, threads, batch, lr, seed, limit):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = lenet()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = min(limit, x.shape[0]) if limit else x.shape[0]
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 2))
    loss_sum = 0.0
    start = time.perf_counter()
    for i in range(0, n, batch):
        idx = order[i : i + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
    secs = time.perf_counter() - start
    return model, n / secs, secs, loss_sum / n


def accuracy(model, x, y):
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 500]).argmax(1) for i in range(0, x.shape[0], 500)])
    return (pred == y).float().mean().item()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("/work/shared/data/mnist"))
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N images")
    a = p.parse_args()

    def images(stem):
        raw = read_idx(find(a.data, stem))
        return torch.from_numpy(raw.astype(np.float32) / 255.0).unsqueeze(1).contiguous()

    def labels(stem):
        return torch.from_numpy(read_idx(find(a.data, stem)).astype(np.int64))

    x, y = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    xt, yt = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    print(f"torch {torch.__version__}, {x.shape[0]} training images, batch {a.batch_size}")
    for threads in a.threads:
        model, rate, secs, loss = one_epoch(
            x, y, threads, a.batch_size, a.lr, a.seed, a.train_limit
        )
        acc = accuracy(model, xt, yt)
        print(
            f"PEER pytorch lenet_epoch threads={threads} images_per_s={rate:.0f} "
            f"secs={secs:.2f} loss={loss:.4f} test_accuracy={100 * acc:.2f}%"
        )


if __name__ == "__main__":
    main()
