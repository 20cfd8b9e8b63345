#!/usr/bin/env python3
"""Fits the odd rational tanh(x) ≈ x·P(x²)/Q(x²) used by the vector kernels (|x| ≤ 9).

Minimizes the maximum relative error on a dense grid by iteratively reweighted least squares
(Lawson's method on the linearized problem), then evaluates the float32-rounded coefficients
in float32 Horner form to report the error the kernel will see.
"""
import numpy as np

LIMIT = 9.0  # beyond this, tanh(x) rounds to ±1 in float32
P_TERMS, Q_TERMS = 5, 4  # P: 5 coefficients, Q: 1 + 4 coefficients


def fit(iterations=60):
    x = np.concatenate([np.linspace(1e-4, 1, 4000), np.linspace(1, LIMIT, 8000)])
    t, f = x * x, np.tanh(x)
    weights, best = np.ones_like(x), None
    for _ in range(iterations):
        # f·Q(t) − x·P(t) = 0 with Q(0) = 1, relative to f.
        a = np.hstack([-(x[:, None] * t[:, None] ** np.arange(P_TERMS)) / f[:, None],
                       t[:, None] ** np.arange(1, Q_TERMS + 1)])
        root = np.sqrt(weights)
        solution, *_ = np.linalg.lstsq(a * root[:, None], -root, rcond=None)
        p, q = solution[:P_TERMS], np.concatenate([[1.0], solution[P_TERMS:]])
        error = np.abs(x * np.polyval(p[::-1], t) / np.polyval(q[::-1], t) / f - 1)
        if best is None or error.max() < best[0]:
            best = (error.max(), p, q)
        weights = weights * error / error.mean()
    return best


def float32_error(p, q):
    x = np.linspace(-12, 12, 2_000_001).astype(np.float32)
    xc = np.clip(x, np.float32(-LIMIT), np.float32(LIMIT))
    t = xc * xc
    num, den = np.float32(0), np.float32(0)
    for c in p[::-1].astype(np.float32):
        num = num * t + c
    for c in q[::-1].astype(np.float32):
        den = den * t + c
    exact = np.tanh(x.astype(np.float64))
    return (np.abs((xc * num / den).astype(np.float64) - exact) / np.maximum(np.abs(exact), 1e-37)).max()


if __name__ == "__main__":
    error, p, q = fit()
    print(f"max relative error (double): {error:.3e}; in float32: {float32_error(p, q):.3e}")
    print("P:", ", ".join(f"{np.float32(c):.9e}f" for c in p))
    print("Q:", ", ".join(f"{np.float32(c):.9e}f" for c in q))
