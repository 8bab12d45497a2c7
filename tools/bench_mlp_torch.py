#!/usr/bin/python3
"""PyTorch reference for bench/mlp.c: one epoch of 784-256-128-10 ReLU, batch 128, Adam (lr 1e-3), no dropout,
on the 60 000 Fashion-MNIST training images in a shuffled order, after WARMUP_STEPS untimed steps — the same
work as axon's bench, with the images already in memory as a float tensor (pixel / 255), so only the training
step is timed, as for axon.

Usage: /usr/bin/python3 tools/bench_mlp_torch.py [DATA_DIR [THREADS]]   (default: Debian's dataset-fashion-mnist,
2 threads). Prints "torch mlp <threads> <samples/s> <epoch seconds> <mean training loss>"."""
import gzip
import os
import sys
import time

import numpy as np
import torch

WARMUP_STEPS = 20
BATCH = 128


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def epoch(model, opt, x, y, order):
    """Trains on x[order] in mini-batches; returns the mean loss."""
    total = 0.0
    for start in range(0, len(order), BATCH):
        idx = order[start : start + BATCH]
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(order)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    images = read_idx(os.path.join(data, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 784)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    y = torch.from_numpy(read_idx(os.path.join(data, "train-labels-idx1-ubyte.gz"), 8).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    epoch(model, opt, x, y, order[: WARMUP_STEPS * BATCH])
    order = torch.randperm(len(x))
    t = time.perf_counter()
    loss = epoch(model, opt, x, y, order)
    t = time.perf_counter() - t
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}")
    print(f"torch mlp {threads} {len(x) / t:.1f} {t:.3f} {loss:.4f}")


if __name__ == "__main__":
    main()
