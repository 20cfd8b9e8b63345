#!/usr/bin/env python3
"""Fits log(1 + e) ≈ e·P(e) on 0 ≤ e ≤ 1 (P of degree 9), used by the Bernoulli log-likelihood
kernels, where e = exp(−|logit|) never leaves [0, 1].

Minimizes the maximum relative error on a dense grid by iteratively reweighted least squares
(Lawson's method), then evaluates the float32-rounded coefficients in float32 Horner form, as the
kernel does, to report the error the kernel will see.
"""
import numpy as np

DEGREE = 9


def fit(iterations=60):
    e = np.linspace(0, 1, 20001)[1:]
    f = np.log1p(e) / e
    basis = e[:, None] ** np.arange(DEGREE + 1)
    weights, best = np.ones_like(e), None
    for _ in range(iterations):
        root = np.sqrt(weights)
        p, *_ = np.linalg.lstsq(basis * root[:, None], f * root, rcond=None)
        error = np.abs(basis @ p / f - 1)
        if best is None or error.max() < best[0]:
            best = (error.max(), p)
        weights = weights * error / error.mean()
    return best


def float32_error(p):
    e = np.linspace(0, 1, 1_000_001, dtype=np.float32)[1:]
    coefficients = p.astype(np.float32)
    y = np.full_like(e, coefficients[-1])
    for c in coefficients[-2::-1]:
        y = (y * e + c).astype(np.float32)
    y = (y * e).astype(np.float32)
    exact = np.log1p(e.astype(np.float64))
    return np.max(np.abs(y - exact) / exact)


if __name__ == "__main__":
    error, p = fit()
    print(f"max relative error in double: {error:.3g}; float32 Horner: {float32_error(p):.3g}")
    for c in p.astype(np.float32):
        print(f"{c:.10e}f")
