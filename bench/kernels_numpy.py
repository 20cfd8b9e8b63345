#!/usr/bin/env python3
"""numpy's numbers for the shapes `reparam bench kernels` measures, one JSON object per line.

    python3 bench/kernels_numpy.py [--threads N]     (default: 1 BLAS thread)

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which some machines set to steer old OpenBLAS builds,
slow a current numpy; they are cleared for this process before numpy loads so that OpenBLAS
picks its own kernel for this CPU (reported in the "blas" line).
"""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
args = parser.parse_args()
if args.threads < 1:
    parser.error("--threads must be at least 1")
for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(name, None)
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

import numpy as np  # noqa: E402  (after the environment is set)

from timing import median_seconds  # noqa: E402

GEMM_SHAPES = [  # (m, k, n, trans): op(A) is m×k, op(B) is k×n
    (128, 784, 400, "NN"), (128, 400, 40, "NN"), (128, 20, 400, "NN"), (128, 400, 784, "NN"),
    (784, 128, 400, "TN"), (400, 128, 784, "TN"), (128, 784, 400, "NT"), (128, 400, 784, "NT"),
    (512, 512, 512, "NN"),
]


def ring_images():
    """128 synthetic 28×28 images of rings, the formula of `reparam bench kernels`."""
    i = np.arange(128)[:, None]
    pixel = np.arange(784)[None, :]
    r = pixel // 28 - 13.5 - (i % 7 - 3)
    c = pixel % 28 - 13.5 - (i % 4 - 1.5)
    inside = np.abs(np.sqrt(r * r + c * c) - (6 + i % 5)) < 1 + (i % 3) / 2
    return np.where(inside, 0.5 + 0.5 * np.cos(i + pixel), 0.0).astype(np.float32)


def layout_and_special(rng):
    """The cases of Reparam's benchLayoutAndSpecial: copies for the permutations (Reparam's results
    are contiguous), take_along_axis for the gather, scipy.special for ln Γ and ψ."""
    matrix = rng.standard_normal((784, 1000), dtype=np.float32)
    cube = rng.standard_normal((64, 128, 96), dtype=np.float32)
    scores = rng.standard_normal((100_000, 10), dtype=np.float32)
    classes = (np.arange(100_000) * 7 % 10)[:, None]
    positive = np.abs(rng.standard_normal((128, 784), dtype=np.float32)) + 0.5
    cases = {
        "transpose": (matrix.size, lambda: np.ascontiguousarray(matrix.T)),
        "permute": (cube.size, lambda: np.ascontiguousarray(cube.transpose(2, 0, 1))),
        "gather": (scores.shape[0], lambda: np.take_along_axis(scores, classes, axis=1)),
        "pow": (positive.size, lambda: np.power(positive, np.float32(1.5))),
    }
    try:
        import scipy.special
        cases["lgamma"] = (positive.size, lambda: scipy.special.gammaln(positive))
        cases["digamma"] = (positive.size, lambda: scipy.special.psi(positive))
    except ImportError:
        print("scipy is not installed: no lgamma/digamma peer (pip install scipy)", file=sys.stderr)
    for name, (count, fn) in cases.items():
        seconds = median_seconds(fn)
        print(json.dumps({"kernel": name, "n": count, "gelems": round(count / seconds / 1e9, 4)}))


def main():
    rng = np.random.default_rng(0)
    threads = args.threads
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                threads = pool.get("num_threads")
                print(json.dumps({"blas": pool.get("internal_api"), "version": pool.get("version"),
                                  "architecture": pool.get("architecture"), "threads": threads}))
    except ImportError:
        pass  # threadpoolctl is optional: `pip install threadpoolctl` to see the BLAS kernel
    for m, k, n, trans in GEMM_SHAPES:
        a = rng.standard_normal((k, m) if trans[0] == "T" else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if trans[1] == "T" else (k, n), dtype=np.float32)
        opa = a.T if trans[0] == "T" else a
        opb = b.T if trans[1] == "T" else b
        out = np.empty((m, n), dtype=np.float32)
        seconds = median_seconds(lambda: np.matmul(opa, opb, out=out))
        print(json.dumps({"kernel": "gemm", "m": m, "k": k, "n": n, "trans": trans,
                          "threads": threads, "gflops": round(2 * m * k * n / seconds / 1e9, 2)}))
    images = ring_images()
    for m, k, trans in ((128, 784, "NN"), (784, 128, "TN")):
        b = rng.standard_normal((k, 400), dtype=np.float32)
        opa = images.T if trans == "TN" else images
        out = np.empty((m, 400), dtype=np.float32)
        seconds = median_seconds(lambda: np.matmul(opa, b, out=out))
        print(json.dumps({"kernel": "gemm-images", "m": m, "k": k, "n": 400, "trans": trans, "threads": threads,
                          "density": round(float((images != 0).mean()), 4),
                          "gflops": round(2 * m * k * 400 / seconds / 1e9, 2)}))
    x = rng.standard_normal((128, 784), dtype=np.float32)
    y = np.empty_like(x)
    elementwise = {
        "exp": lambda: np.exp(x, out=y),
        "log": lambda: np.log(np.abs(x, out=y), out=y),
        "log1p": lambda: np.log1p(np.abs(x, out=y), out=y),
        "expm1": lambda: np.expm1(x, out=y),
        "tanh": lambda: np.tanh(x, out=y),
        "sigmoid": lambda: np.divide(1.0, np.add(1.0, np.exp(np.negative(x, out=y), out=y), out=y), out=y),
        "softplus": lambda: np.logaddexp(x, 0.0, out=y),
    }
    for name, fn in elementwise.items():
        seconds = median_seconds(fn)
        print(json.dumps({"kernel": name, "n": x.size, "gelems": round(x.size / seconds / 1e9, 3)}))
    layout_and_special(rng)
    generator = np.random.default_rng(1)
    buffer = np.empty(1 << 20, dtype=np.float32)
    seconds = median_seconds(lambda: generator.standard_normal(dtype=np.float32, out=buffer))
    print(json.dumps({"kernel": "normal", "n": buffer.size, "msamples": round(buffer.size / seconds / 1e6, 1)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
