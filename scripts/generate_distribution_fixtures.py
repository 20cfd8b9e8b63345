#!/usr/bin/env python3
"""Writes Tests/ReparamDistributionsTests/Fixtures/families.json from scipy.stats.

Each case names a family and its parameters (as the Swift initializer spells them) and gives,
at points across the support, log density and CDF, plus entropy, mean and variance. Inputs
are rounded to float32 first, so the references describe exactly the values the tests feed
the Float implementation. Run once after changing the cases; commit both files.
"""
import json
import math
import pathlib

import numpy as np
from scipy import stats

QUANTILES = [1e-4, 0.01, 0.2, 0.5, 0.8, 0.99, 0.9999]
# Probabilities for the quantile function's tails, rounded to float32 as the tests pass them.
TAIL_PROBABILITIES = [1e-6, 1e-3, 0.3, 0.999, 1 - 1e-6]


def f32(x):
    return float(np.float32(x))


# (family, Swift parameters, scipy frozen distribution from float32-rounded parameters)
def cases():
    for loc, scale in [(0.0, 1.0), (-3.5, 0.25), (2.0, 1e-4), (0.5, 40.0)]:
        loc, scale = f32(loc), f32(scale)
        yield "Normal", {"loc": loc, "scale": scale}, stats.norm(loc, scale)
        yield "Laplace", {"loc": loc, "scale": scale}, stats.laplace(loc, scale)
        yield "Gumbel", {"loc": loc, "scale": scale}, stats.gumbel_r(loc, scale)
        yield "Logistic", {"loc": loc, "scale": scale}, stats.logistic(loc, scale)
        yield "Cauchy", {"loc": loc, "scale": scale}, stats.cauchy(loc, scale)
    # σ = 1e-4 at loc 0: elsewhere float32 rounds log x to ~ulp(|loc|), a step of ulp/σ in the
    # standardized value (1e-3 at loc −2) that no float32 formula can avoid.
    for loc, scale in [(0.0, 1.0), (1.5, 0.3), (-2.0, 0.05), (0.0, 1e-4)]:
        loc, scale = f32(loc), f32(scale)
        yield "LogNormal", {"loc": loc, "scale": scale}, stats.lognorm(s=scale, scale=math.exp(loc))
    for scale in [1.0, 1e-4, 30.0]:
        scale = f32(scale)
        yield "HalfNormal", {"scale": scale}, stats.halfnorm(scale=scale)
        yield "HalfCauchy", {"scale": scale}, stats.halfcauchy(scale=scale)
    for rate in [1.0, 1e-3, 1e3, 0.37]:
        rate = f32(rate)
        yield "Exponential", {"rate": rate}, stats.expon(scale=1 / rate)
    for low, high in [(0.0, 1.0), (-2.5, 7.0), (1.0, 1.0001)]:
        low, high = f32(low), f32(high)
        yield "Uniform", {"low": low, "high": high}, stats.uniform(loc=low, scale=high - low)
    for scale, k in [(1.0, 1.0), (2.0, 0.5), (0.3, 5.0), (1.0, 1e-1)]:
        scale, k = f32(scale), f32(k)
        yield "Weibull", {"scale": scale, "concentration": k}, stats.weibull_min(c=k, scale=scale)
    for alpha, rate in [(1.0, 1.0), (1e-3, 1.0), (1e3, 2.0), (0.3, 5.0), (4.5, 0.2)]:
        alpha, rate = f32(alpha), f32(rate)
        yield "Gamma", {"concentration": alpha, "rate": rate}, stats.gamma(alpha, scale=1 / rate)
    for k in [1.0, 3.0, 30.0]:
        yield "Chi2", {"degreesOfFreedom": f32(k)}, stats.chi2(f32(k))
    for alpha, scale in [(3.0, 1.0), (0.5, 2.0), (10.0, 0.1)]:
        alpha, scale = f32(alpha), f32(scale)
        yield "InverseGamma", {"concentration": alpha, "scale": scale}, stats.invgamma(alpha, scale=scale)
    # Beta(1000, 1000) and (1e4, 20): log B cancels lnΓ terms of thousands down to units.
    for a, b in [(2.0, 3.0), (0.5, 0.5), (0.05, 4.0), (30.0, 12.0), (1000.0, 1000.0), (1e4, 20.0)]:
        a, b = f32(a), f32(b)
        yield "Beta", {"alpha": a, "beta": b}, stats.beta(a, b)
    for df, loc, scale in [(1.0, 0.0, 1.0), (3.5, -1.0, 0.5), (30.0, 2.0, 3.0), (0.7, 0.0, 1e-4), (0.1, 0.0, 1.0)]:
        df, loc, scale = f32(df), f32(loc), f32(scale)
        yield "StudentT", {"degreesOfFreedom": df, "loc": loc, "scale": scale}, stats.t(df, loc, scale)
    # The last six lie 20-37σ from loc (one-sided ones with an infinite bound): the mass Z is
    # 1e-89 to 1e-300 there, which only a Double, log-space evaluation keeps.
    for loc, scale, low, high in [(0.0, 1.0, -1.0, 2.0), (1.0, 0.5, 1.5, 4.0), (-2.0, 2.0, -10.0, -3.0), (0.0, 1.0, 5.0, 9.0),
                                  (0.0, 1.0, 20.0, 31.0), (0.0, 1.0, -31.0, -20.0), (3.0, 0.5, 18.0, 21.0),
                                  (0.0, 1.0, 25.0, math.inf), (0.0, 1.0, -math.inf, -30.0), (0.0, 1.0, 36.0, 37.0)]:
        loc, scale, low, high = f32(loc), f32(scale), f32(low), f32(high)
        dist = stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc, scale)
        yield "TruncatedNormal", {"loc": loc, "scale": scale, "low": low, "high": high}, dist
    for scale, alpha in [(1.0, 3.0), (0.5, 1.5), (2.0, 0.7), (1.0, 1e3)]:
        scale, alpha = f32(scale), f32(alpha)
        yield "Pareto", {"scale": scale, "alpha": alpha}, stats.pareto(b=alpha, scale=scale)


def truncnorm_entropy(p):
    """log(√(2πe)·σ·Z) + (αφ(α) − βφ(β))/(2Z) in 60-digit arithmetic: scipy's own formula, which
    in double gives NaN once Z underflows (bounds 20σ and more from loc)."""
    import mpmath
    mpmath.mp.dps = 60
    loc, scale = mpmath.mpf(p["loc"]), mpmath.mpf(p["scale"])
    a, b = (mpmath.mpf(p["low"]) - loc) / scale, (mpmath.mpf(p["high"]) - loc) / scale
    cdf = lambda x: mpmath.ncdf(x)
    pdf = lambda x: mpmath.npdf(x) if mpmath.isfinite(x) else mpmath.mpf(0)
    xpdf = lambda x: x * mpmath.npdf(x) if mpmath.isfinite(x) else mpmath.mpf(0)
    z = cdf(-a) - cdf(-b) if a > 0 else cdf(b) - cdf(a)
    return float(mpmath.log(mpmath.sqrt(2 * mpmath.pi * mpmath.e) * scale * z) + (xpdf(a) - xpdf(b)) / (2 * z))


def finite_or_string(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def main():
    out = []
    for family, params, dist in cases():
        points = sorted({f32(dist.ppf(q)) for q in QUANTILES})
        # Supports are half-open at an upper bound, as in torch: Uniform excludes `high`.
        upper = params["high"] if family == "Uniform" else (1.0 if family == "Beta" else math.inf)
        points = [x for x in points if math.isfinite(x) and dist.pdf(x) > 0 and math.isfinite(dist.logpdf(x)) and x < upper]
        out.append({
            "family": family,
            "params": {k: finite_or_string(v) for k, v in params.items()},
            "x": points,
            "logProb": [float(dist.logpdf(x)) for x in points],
            "cdf": [float(dist.cdf(x)) for x in points],
            "entropy": finite_or_string(truncnorm_entropy(params) if family == "TruncatedNormal" else dist.entropy()),
            # An undefined mean (Student's t with ν ≤ 1) is NaN here, as for Cauchy and in torch;
            # scipy reports +∞ for it.
            "mean": "nan" if family == "StudentT" and params["degreesOfFreedom"] <= 1 else finite_or_string(dist.mean()),
            "variance": finite_or_string(dist.var()),
            "tailX": (tail_x := [x for x in sorted({f32(dist.ppf(1e-8)), f32(dist.median()), f32(dist.isf(1e-8))})
                                 if math.isfinite(x) and 0 < dist.cdf(x) < 1]),
            "logCDF": [float(dist.logcdf(x)) for x in tail_x],
            "logSurvival": [float(dist.logsf(x)) for x in tail_x],
            "survival": [float(dist.sf(x)) for x in tail_x],
            "tailP": [f32(p) for p in TAIL_PROBABILITIES],
            "tailQuantile": [finite_or_string(dist.ppf(f32(p))) for p in TAIL_PROBABILITIES],
        })
    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/ReparamDistributionsTests/Fixtures/families.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
