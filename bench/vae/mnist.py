"""MNIST from the four IDX files (gzipped or not), as float32 rows in [0, 1] — shared by the peers."""
import gzip
import os

import numpy as np


def locate(explicit=None):
    """The folder holding MNIST: explicit, else $REPARAM_DATA/mnist or $REPARAM_DATA, else ~/.cache/reparam/mnist."""
    candidates = [explicit] if explicit else []
    if not explicit and os.environ.get("REPARAM_DATA"):
        candidates += [os.path.join(os.environ["REPARAM_DATA"], "mnist"), os.environ["REPARAM_DATA"]]
    if not explicit:
        candidates.append(os.path.expanduser("~/.cache/reparam/mnist"))
    for folder in candidates:
        if os.path.exists(os.path.join(folder, "train-images-idx3-ubyte.gz")) or os.path.exists(os.path.join(folder, "train-images-idx3-ubyte")):
            return folder
    raise SystemExit(f"no MNIST in {candidates}; run `reparam data fetch mnist` or pass --data")


def _read(folder, name):
    path = os.path.join(folder, name)
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if os.path.exists(path + ".gz") else path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(folder):
    train = _read(folder, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    test = _read(folder, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    return train, test
