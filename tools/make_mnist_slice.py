#!/usr/bin/env python3
"""Writes the small Fashion-MNIST slice the tests use: tests/fixtures/fashion-mnist-slice/ with
train-{images-idx3,labels-idx1}-ubyte.gz (TRAIN_PER_CLASS images of each class) and t10k-… (TEST_PER_CLASS of
each class), taken in file order from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/).

Usage: python3 tools/make_mnist_slice.py [SOURCE_DIR [OUT_DIR]]   (standard library only; the output is
byte-for-byte reproducible: gzip with mtime 0)."""
import gzip
import os
import struct
import sys

TRAIN_PER_CLASS = 50
TEST_PER_CLASS = 15


def read_idx(path):
    """(dims, data bytes) of an unsigned-byte IDX file."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return dims, raw[4 + 4 * ndim :]


def write_idx(path, dims, data):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as f:
            f.write(header + data)


def take_balanced(images, labels, per_class):
    """Indices of the first per_class images of every class, in file order."""
    counts, chosen = {}, []
    for i, label in enumerate(labels):
        if counts.get(label, 0) < per_class:
            counts[label] = counts.get(label, 0) + 1
            chosen.append(i)
    return chosen


def write_split(src, out, split, per_class):
    (n, rows, cols), pixels = read_idx(os.path.join(src, f"{split}-images-idx3-ubyte.gz"))
    (n_labels,), labels = read_idx(os.path.join(src, f"{split}-labels-idx1-ubyte.gz"))
    assert n == n_labels, f"{split}: {n} images but {n_labels} labels"
    chosen = take_balanced(pixels, labels, per_class)
    size = rows * cols
    write_idx(os.path.join(out, f"{split}-images-idx3-ubyte.gz"), (len(chosen), rows, cols),
              b"".join(pixels[i * size : (i + 1) * size] for i in chosen))
    write_idx(os.path.join(out, f"{split}-labels-idx1-ubyte.gz"), (len(chosen),), bytes(labels[i] for i in chosen))
    print(f"{split}: {len(chosen)} images of {rows}x{cols}")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "tests", "fixtures", "fashion-mnist-slice")
    os.makedirs(out, exist_ok=True)
    write_split(src, out, "train", TRAIN_PER_CLASS)
    write_split(src, out, "t10k", TEST_PER_CLASS)


if __name__ == "__main__":
    main()
