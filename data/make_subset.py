"""Makes data/mnist-subset/ from the full MNIST set: the FIRST 6000 training and FIRST 1000 test
images with their labels, re-encoded as standard gzip IDX files (same names, same format).

Run from the workspace root:  python3 data/make_subset.py [path/to/full/mnist]
(default: ../shared/data/mnist). Python standard library only; the output is deterministic.
"""
import gzip
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data", "mnist")
DST = os.path.join(HERE, "mnist-subset")
COUNTS = {"train": 6000, "t10k": 1000}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndims = magic & 0xFF
    dims = list(struct.unpack(">" + "I" * ndims, data[4 : 4 + 4 * ndims]))
    return magic, dims, data[4 + 4 * ndims :]


def write_subset(name, count):
    magic, dims, body = read_idx(os.path.join(SRC, name + ".gz"))
    per_item = 1
    for d in dims[1:]:
        per_item *= d
    assert dims[0] >= count, (name, dims)
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), count, *dims[1:])
    out = header + body[: count * per_item]
    with open(os.path.join(DST, name + ".gz"), "wb") as f:
        # mtime=0 and a fixed level make the files reproducible byte for byte.
        f.write(gzip.compress(out, compresslevel=9, mtime=0))
    return out


def main():
    os.makedirs(DST, exist_ok=True)
    for prefix, count in COUNTS.items():
        write_subset(f"{prefix}-images-idx3-ubyte", count)
        labels = write_subset(f"{prefix}-labels-idx1-ubyte", count)[8:]
        hist = [labels.count(d) for d in range(10)]
        print(f"{prefix}: {count} images, first label {labels[0]}, per-digit counts {hist}")


if __name__ == "__main__":
    main()
