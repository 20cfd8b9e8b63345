import ReparamRandom
import ReparamTensor
import _Differentiation

// KL(p ‖ q) = E_p[log p − log q]. Closed forms are overloads of `klDivergence`, one per pair
// (the registry is the overload set); each is differentiable in both distributions' parameters.
// A pair with no closed form resolves to the unavailable generic overload at compile time,
// whose message points to `monteCarloKL`.

/// log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½
@differentiable(reverse)
public func klDivergence(_ p: Normal, _ q: Normal) -> Tensor {
    log(q.scale / p.scale) + (square(p.scale) + square(p.loc - q.loc)) / (2 * square(q.scale)) - 0.5
}

/// As for the normals of the logarithms.
@differentiable(reverse)
public func klDivergence(_ p: LogNormal, _ q: LogNormal) -> Tensor {
    klDivergence(Normal(loc: p.loc, scale: p.scale), Normal(loc: q.loc, scale: q.scale))
}

/// log(σ₂/σ₁) + σ₁²/(2σ₂²) − ½
@differentiable(reverse)
public func klDivergence(_ p: HalfNormal, _ q: HalfNormal) -> Tensor {
    log(q.scale / p.scale) + square(p.scale) / (2 * square(q.scale)) - 0.5
}

/// log(λ₁/λ₂) + λ₂/λ₁ − 1
@differentiable(reverse)
public func klDivergence(_ p: Exponential, _ q: Exponential) -> Tensor {
    log(p.rate / q.rate) + q.rate / p.rate - 1
}

/// log(b₂/b₁) + |μ₁ − μ₂|/b₂ + (b₁/b₂)·e^{−|μ₁ − μ₂|/b₁} − 1
@differentiable(reverse)
public func klDivergence(_ p: Laplace, _ q: Laplace) -> Tensor {
    let distance = abs(p.loc - q.loc)
    return log(q.scale / p.scale) + distance / q.scale + p.scale / q.scale * exp(-distance / p.scale) - 1
}

/// log((b₂ − a₂)/(b₁ − a₁)) when [a₁, b₁) ⊆ [a₂, b₂), else +∞.
@differentiable(reverse)
public func klDivergence(_ p: Uniform, _ q: Uniform) -> Tensor {
    let value = log((q.high - q.low) / (p.high - p.low))
    let inside = withoutDerivative(at: containment(p, q, shape: value.shape))
    return select(inside, value, withoutDerivative(at: Tensor(repeating: .infinity, shape: value.shape)))
}

func containment(_ p: Uniform, _ q: Uniform, shape: [Int]) -> Tensor {
    let (pl, ph) = (p.low.broadcasted(to: shape), p.high.broadcasted(to: shape))
    let (ql, qh) = (q.low.broadcasted(to: shape), q.high.broadcasted(to: shape))
    return Tensor(
        shape: shape,
        scalars: (0..<pl.count).map { ql.scalars[$0] <= pl.scalars[$0] && ph.scalars[$0] <= qh.scalars[$0] ? 1 : 0 })
}

/// log(β₂/β₁) + γ(β₁/β₂ − 1) + (μ₁ − μ₂)/β₂ + e^{(μ₂ − μ₁)/β₂}·Γ(1 + β₁/β₂) − 1
@differentiable(reverse)
public func klDivergence(_ p: Gumbel, _ q: Gumbel) -> Tensor {
    let ratio = p.scale / q.scale
    return log(q.scale / p.scale) + eulerGamma * (ratio - 1) + (p.loc - q.loc) / q.scale
        + exp((q.loc - p.loc) / q.scale + lgamma(1 + ratio)) - 1
}

/// No closed form is registered for this pair.
@available(
    *, unavailable, message: "no closed-form KL is registered for this pair; use monteCarloKL(p, q, key:samples:)"
)
public func klDivergence<P: Distribution, Q: Distribution>(_ p: P, _ q: Q) -> Tensor {
    fatalError("unavailable")
}

/// KL(p ‖ q) ≈ mean over `samples` draws z ~ p of log p(z) − log q(z), with its standard error.
/// Works for any pair sharing a support; not differentiable (the draws carry no gradient).
public func monteCarloKL<P: Distribution, Q: Distribution>(_ p: P, _ q: Q, key: RandomKey, samples: Int)
    -> (estimate: Tensor, standardError: Tensor)
{
    precondition(samples >= 2, "monteCarloKL: needs at least 2 samples, got \(samples)")
    let z = p.sample(key, sampleShape: [samples])
    let terms = p.logProb(z) - q.logProb(z)
    let mean = terms.mean(alongAxes: [0])
    let variance = square(terms - mean).sum(alongAxes: [0]) / Float(samples - 1)
    return (mean, sqrt(variance / Float(samples)))
}

/// KL(p ‖ q) by reparameterized draws from p: differentiable in both, unbiased, for pairs with
/// no closed form (e.g. a VAE posterior against a non-Gaussian prior).
@differentiable(reverse,wrt: (p, q))
public func monteCarloKL<P: Reparameterizable, Q: Distribution>(
    _ p: P, _ q: Q, reparameterizedWith key: RandomKey, samples: Int
) -> Tensor {
    let z = p.rsample(key, sampleShape: [samples])
    return (p.logProb(z) - q.logProb(z)).mean(alongAxes: [0])
}

/// (α₁ − α₂)ψ(α₁) − lnΓ(α₁) + lnΓ(α₂) + α₂(log β₁ − log β₂) + α₁(β₂ − β₁)/β₁
@differentiable(reverse)
public func klDivergence(_ p: Gamma, _ q: Gamma) -> Tensor {
    (p.concentration - q.concentration) * digamma(p.concentration) - lgamma(p.concentration) + lgamma(q.concentration)
        + q.concentration * (log(p.rate) - log(q.rate)) + p.concentration * (q.rate - p.rate) / p.rate
}

/// p·(log p − log q) + (1 − p)·(log(1 − p) − log(1 − q)), from logits.
@differentiable(reverse)
public func klDivergence(_ p: Bernoulli, _ q: Bernoulli) -> Tensor {
    sigmoid(p.logits) * (logSigmoid(p.logits) - logSigmoid(q.logits))
        + sigmoid(-p.logits) * (logSigmoid(-p.logits) - logSigmoid(-q.logits))
}

/// Σₖ pₖ(log pₖ − log qₖ)
@differentiable(reverse)
public func klDivergence(_ p: Categorical, _ q: Categorical) -> Tensor {
    let logP = logSoftmax(p.logits)
    return (exp(logP) * (logP - logSoftmax(q.logits))).sum(alongAxes: [-1])
}

@differentiable(reverse)
public func klDivergence(_ p: OneHotCategorical, _ q: OneHotCategorical) -> Tensor {
    klDivergence(Categorical(logits: p.logits), Categorical(logits: q.logits))
}

/// λ₁ log(λ₁/λ₂) − λ₁ + λ₂
@differentiable(reverse)
public func klDivergence(_ p: Poisson, _ q: Poisson) -> Tensor {
    p.rate * log(p.rate / q.rate) - p.rate + q.rate
}

/// log(p₁/p₂) + ((1 − p₁)/p₁)·log((1 − p₁)/(1 − p₂)), from logits.
@differentiable(reverse)
public func klDivergence(_ p: Geometric, _ q: Geometric) -> Tensor {
    logSigmoid(p.logits) - logSigmoid(q.logits) + exp(-p.logits) * (logSigmoid(-p.logits) - logSigmoid(-q.logits))
}

/// log B(α₂, β₂) − log B(α₁, β₁) + (α₁ − α₂)ψ(α₁) + (β₁ − β₂)ψ(β₁) + (α₂ − α₁ + β₂ − β₁)ψ(α₁ + β₁)
@differentiable(reverse)
public func klDivergence(_ p: Beta, _ q: Beta) -> Tensor {
    let logBetaP = lgamma(p.alpha) + lgamma(p.beta) - lgamma(p.alpha + p.beta)
    let logBetaQ = lgamma(q.alpha) + lgamma(q.beta) - lgamma(q.alpha + q.beta)
    return logBetaQ - logBetaP + (p.alpha - q.alpha) * digamma(p.alpha) + (p.beta - q.beta) * digamma(p.beta)
        + (q.alpha - p.alpha + q.beta - p.beta) * digamma(p.alpha + p.beta)
}

/// lnΓ(α₀) − Σ lnΓ(αₖ) − lnΓ(β₀) + Σ lnΓ(βₖ) + Σ(αₖ − βₖ)(ψ(αₖ) − ψ(α₀))
@differentiable(reverse)
public func klDivergence(_ p: Dirichlet, _ q: Dirichlet) -> Tensor {
    let a0 = p.concentration.sum(alongAxes: [-1]), b0 = q.concentration.sum(alongAxes: [-1])
    let digammaTotal = digamma(p.concentration.sum(alongAxes: [-1], keepDims: true))
    return lgamma(a0) - lgamma(p.concentration).sum(alongAxes: [-1]) - lgamma(b0)
        + lgamma(q.concentration).sum(alongAxes: [-1])
        + ((p.concentration - q.concentration) * (digamma(p.concentration) - digammaTotal)).sum(alongAxes: [-1])
}
