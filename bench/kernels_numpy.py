#!/usr/bin/env python3
"""numpy's numbers for the shapes `reparam bench kernels` measures, one JSON object per line.

Run single-threaded OpenBLAS for the GEMM comparison:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 python3 bench/kernels_numpy.py
"""
import json
import sys
import time

import numpy as np

GEMM_SHAPES = [  # (m, k, n, trans): op(A) is m×k, op(B) is k×n
    (128, 784, 400, "NN"), (128, 400, 40, "NN"), (128, 20, 400, "NN"), (128, 400, 784, "NN"),
    (784, 128, 400, "TN"), (400, 128, 784, "TN"), (128, 784, 400, "NT"), (128, 400, 784, "NT"),
    (512, 512, 512, "NN"),
]


def best_seconds(fn, min_time=0.05, repeats=7):
    """Median over `repeats` of the mean time per call in a ≥ min_time loop."""
    fn()
    times = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        times.append(elapsed / calls)
    return sorted(times)[len(times) // 2]


def main():
    rng = np.random.default_rng(0)
    threads = "unknown"
    try:
        from threadpoolctl import threadpool_info
        threads = [p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"]
        threads = threads[0] if threads else "unknown"
    except ImportError:
        pass
    for m, k, n, trans in GEMM_SHAPES:
        a = rng.standard_normal((k, m) if trans[0] == "T" else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if trans[1] == "T" else (k, n), dtype=np.float32)
        opa = a.T if trans[0] == "T" else a
        opb = b.T if trans[1] == "T" else b
        out = np.empty((m, n), dtype=np.float32)
        seconds = best_seconds(lambda: np.matmul(opa, opb, out=out))
        print(json.dumps({"kernel": "gemm", "m": m, "k": k, "n": n, "trans": trans,
                          "threads": threads, "gflops": round(2 * m * k * n / seconds / 1e9, 2)}))
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
        seconds = best_seconds(fn)
        print(json.dumps({"kernel": name, "n": x.size, "gelems": round(x.size / seconds / 1e9, 3)}))
    generator = np.random.default_rng(1)
    buffer = np.empty(1 << 20, dtype=np.float32)
    seconds = best_seconds(lambda: generator.standard_normal(dtype=np.float32, out=buffer))
    print(json.dumps({"kernel": "normal", "n": buffer.size, "msamples": round(buffer.size / seconds / 1e6, 1)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
