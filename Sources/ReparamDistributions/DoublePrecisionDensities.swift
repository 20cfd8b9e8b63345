import ReparamTensor
import _Differentiation

// The Gamma log density and entropy cancel large terms (lnΓ(1000) ≈ 5905 against α log βx)
// down to a few units, which Float cannot do to 2e-5; these evaluate in Double and carry their
// own derivatives.

/// α log β + (α − 1) log x − βx − lnΓ(α) elementwise (broadcasting), in Double; −∞ for x ≤ 0.
/// ∂/∂α = log βx − ψ(α), ∂/∂β = α/β − x, ∂/∂x = (α − 1)/x − β.
@differentiable(reverse)
func gammaLogDensity(_ alpha: Tensor, _ rate: Tensor, _ x: Tensor) -> Tensor {
    gammaLogDensityForward(alpha, rate, x).value
}

func gammaLogDensityForward(_ alpha: Tensor, _ rate: Tensor, _ x: Tensor) -> (value: Tensor, Tensor, Tensor, Tensor) {
    elementwiseWithPartials(alpha, rate, x, of: "Gamma") { a, b, x in
        if x == 0 && a <= 1 {
            // At the edge, the density's limit from inside (scipy's convention): β for α = 1 (the
            // exponential's log β, where the formula reads 0·log 0), +∞ for α < 1. The derivatives
            // are their limits too: ∂/∂α → −∞ (through log x), ∂/∂x → −β for α = 1 and −∞ below.
            return (a == 1 ? Special.log(b) : .infinity, -.infinity, a / b, a == 1 ? -b : -.infinity)
        }
        guard x > 0 else { return (-.infinity, 0, 0, 0) }
        let logBX = Special.log(b * x)
        return (
            a * logBX - Special.log(x) - b * x - Special.lgamma(a), logBX - Special.digamma(a), a / b - x,
            (a - 1) / x - b
        )
    }
}

/// f and its partials (f, ∂f/∂a, ∂f/∂b, ∂f/∂c) elementwise over the broadcast of a, b and c, each
/// element computed by `element` in Double and rounded to Float once.
func elementwiseWithPartials(
    _ a: Tensor, _ b: Tensor, _ c: Tensor, of family: String,
    _ element: (Double, Double, Double) -> (Double, Double, Double, Double)
)
    -> (value: Tensor, Tensor, Tensor, Tensor)
{
    let shape = joinedShape(a.shape, b.shape, c.shape, of: family)
    let x = a.broadcasted(to: shape).scalars, y = b.broadcasted(to: shape).scalars
    let z = c.broadcasted(to: shape).scalars
    var value = [Float](), da = [Float](), db = [Float](), dc = [Float]()
    for i in 0..<x.count {
        let (f, fa, fb, fc) = element(Double(x[i]), Double(y[i]), Double(z[i]))
        value.append(Float(f)); da.append(Float(fa)); db.append(Float(fb)); dc.append(Float(fc))
    }
    func t(_ s: [Float]) -> Tensor { Tensor(shape: shape, scalars: s) }
    return (t(value), t(da), t(db), t(dc))
}

/// The two-argument form of `elementwiseWithPartials`: (f, ∂f/∂a, ∂f/∂b).
func elementwiseWithPartials(
    _ a: Tensor, _ b: Tensor, of family: String,
    _ element: (Double, Double) -> (Double, Double, Double)
)
    -> (value: Tensor, Tensor, Tensor)
{
    let shape = joinedShape(a.shape, b.shape, of: family)
    let x = a.broadcasted(to: shape).scalars, y = b.broadcasted(to: shape).scalars
    var value = [Float](), da = [Float](), db = [Float]()
    for i in 0..<x.count {
        let (f, fa, fb) = element(Double(x[i]), Double(y[i]))
        value.append(Float(f)); da.append(Float(fa)); db.append(Float(fb))
    }
    func t(_ s: [Float]) -> Tensor { Tensor(shape: shape, scalars: s) }
    return (t(value), t(da), t(db))
}

@derivative(of: gammaLogDensity)
func vjpGammaLogDensity(_ alpha: Tensor, _ rate: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    pullbackFromPartials(gammaLogDensityForward(alpha, rate, x), alpha.shape, rate.shape, x.shape)
}

/// The value and pullback of f(a, b, c) on broadcast tensors from its partials, computed beside
/// the value: each cotangent is g·∂f summed back to its argument's shape.
func pullbackFromPartials(_ forward: (value: Tensor, Tensor, Tensor, Tensor), _ a: [Int], _ b: [Int], _ c: [Int])
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    let (value, da, db, dc) = forward
    return (
        value,
        { g in
            if g.isShapelessZero { return (.zero, .zero, .zero) }
            return ((g * da).unbroadcast(to: a), (g * db).unbroadcast(to: b), (g * dc).unbroadcast(to: c))
        }
    )
}

/// The two-argument form of `pullbackFromPartials`.
func pullbackFromPartials(_ forward: (value: Tensor, Tensor, Tensor), _ a: [Int], _ b: [Int])
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    let (value, da, db) = forward
    return (
        value,
        { g in
            if g.isShapelessZero { return (.zero, .zero) }
            return ((g * da).unbroadcast(to: a), (g * db).unbroadcast(to: b))
        }
    )
}

/// Weibull log density log(k/λ) + (k − 1)·log r − rᵏ with r = x/λ, in Double, −∞ below 0. At
/// x = 0 it is the limit from inside (scipy's convention), where the Float formula read 0·(−∞) for
/// k = 1: −log λ for k = 1, +∞ for k < 1, −∞ for k > 1. Partials: ∂k = 1/k + (1 − rᵏ)·log r,
/// ∂λ = k(rᵏ − 1)/λ, ∂x = (k − 1 − k·rᵏ)/x, and their limits at 0.
@differentiable(reverse)
func weibullLogDensity(_ concentration: Tensor, _ scale: Tensor, _ x: Tensor) -> Tensor {
    weibullLogDensityForward(concentration, scale, x).value
}

func weibullLogDensityForward(_ concentration: Tensor, _ scale: Tensor, _ x: Tensor)
    -> (value: Tensor, Tensor, Tensor, Tensor)
{
    elementwiseWithPartials(concentration, scale, x, of: "Weibull") { k, lambda, x in
        if x < 0 || (x == 0 && k > 1) { return (-.infinity, 0, 0, 0) }
        if x == 0 {  // the limits from inside
            let exponential = k == 1
            return (
                exponential ? -Special.log(lambda) : .infinity, -.infinity, -k / lambda,
                exponential ? -1 / lambda : -.infinity
            )
        }
        let logR = Special.log(x / lambda), rk = Special.exp(k * logR)
        return (
            Special.log(k / lambda) + (k - 1) * logR - rk, 1 / k + (1 - rk) * logR, k * (rk - 1) / lambda,
            (k - 1 - k * rk) / x
        )
    }
}

@derivative(of: weibullLogDensity)
func vjpWeibullLogDensity(_ concentration: Tensor, _ scale: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    pullbackFromPartials(weibullLogDensityForward(concentration, scale, x), concentration.shape, scale.shape, x.shape)
}

/// Entropy of Gamma(α, 1): α + lnΓ(α) + (1 − α)ψ(α), in Double; derivative 1 + (1 − α)ψ′(α).
@differentiable(reverse)
func standardGammaEntropy(_ alpha: Tensor) -> Tensor {
    alpha.map { a in
        let ad = Double(a)
        return Float(ad + Special.lgamma(ad) + (1 - ad) * Special.digamma(ad))
    }
}

@derivative(of: standardGammaEntropy)
func vjpStandardGammaEntropy(_ alpha: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let slope = alpha.map { a in Float(1 + (1 - Double(a)) * Special.trigamma(Double(a))) }
    return (standardGammaEntropy(alpha), { g in g.isShapelessZero ? .zero : g * slope })
}

/// k log λ − λ − lnΓ(k + 1) elementwise, in Double (k log λ and lnΓ(k+1) cancel for large λ).
/// ∂/∂k = log λ − ψ(k + 1), ∂/∂λ = k/λ − 1.
@differentiable(reverse)
func poissonLogMass(_ k: Tensor, _ rate: Tensor) -> Tensor {
    poissonLogMassForward(k, rate).value
}

func poissonLogMassForward(_ k: Tensor, _ rate: Tensor) -> (value: Tensor, dK: Tensor, dRate: Tensor) {
    let shape = joinedShape(k.shape, rate.shape, of: "Poisson")
    let kv = k.broadcasted(to: shape).scalars, lv = rate.broadcasted(to: shape).scalars
    var value = [Float](), dK = [Float](), dRate = [Float]()
    for (ki, li) in zip(kv, lv) {
        let (kd, ld) = (Double(ki), Double(li))
        value.append(Float(kd * Special.log(ld) - ld - Special.lgamma(kd + 1)))
        dK.append(Float(Special.log(ld) - Special.digamma(kd + 1)))
        dRate.append(Float(kd / ld - 1))
    }
    return (
        Tensor(shape: shape, scalars: value), Tensor(shape: shape, scalars: dK), Tensor(shape: shape, scalars: dRate)
    )
}

@derivative(of: poissonLogMass)
func vjpPoissonLogMass(_ k: Tensor, _ rate: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    let (value, dK, dRate) = poissonLogMassForward(k, rate)
    return (
        value,
        { g in
            if g.isShapelessZero { return (.zero, .zero) }
            return ((g * dK).unbroadcast(to: k.shape), (g * dRate).unbroadcast(to: rate.shape))
        }
    )
}

/// log C(n, k) = lnΓ(n+1) − lnΓ(k+1) − lnΓ(n−k+1) elementwise in Double;
/// ∂/∂k = ψ(n−k+1) − ψ(k+1).
@differentiable(reverse,wrt: k)
func logBinomialCoefficient(_ n: Float, _ k: Tensor) -> Tensor {
    k.map { ki in
        let (nd, kd) = (Double(n), Double(ki))
        return Float(Special.lgamma(nd + 1) - Special.lgamma(kd + 1) - Special.lgamma(nd - kd + 1))
    }
}

@derivative(of: logBinomialCoefficient, wrt: k)
func vjpLogBinomialCoefficient(_ n: Float, _ k: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let slope = k.map { Float(Special.digamma(Double(n) - Double($0) + 1) - Special.digamma(Double($0) + 1)) }
    return (logBinomialCoefficient(n, k), { g in g.isShapelessZero ? .zero : g * slope })
}

/// Beta log density (a − 1) log x + (b − 1) log(1 − x) − log B(a, b) elementwise, in Double: at
/// a = b = 1000 the lnΓ terms are about 6000 and 13000 against a result of about 3, three digits
/// of which Float lost. −∞ outside (0, 1). ∂a = log x − ψ(a) + ψ(a + b),
/// ∂b = log(1 − x) − ψ(b) + ψ(a + b), ∂x = (a − 1)/x − (b − 1)/(1 − x).
@differentiable(reverse)
func betaLogDensity(_ a: Tensor, _ b: Tensor, _ x: Tensor) -> Tensor { betaLogDensityForward(a, b, x).value }

func betaLogDensityForward(_ a: Tensor, _ b: Tensor, _ x: Tensor) -> (value: Tensor, Tensor, Tensor, Tensor) {
    elementwiseWithPartials(a, b, x, of: "Beta") { a, b, x in
        guard x > 0 && x < 1 else { return (-.infinity, 0, 0, 0) }
        let both = Special.digamma(a + b)
        return (
            Special.logBetaDensity(a, b, x), Special.log(x) - Special.digamma(a) + both,
            Special.log1p(-x) - Special.digamma(b) + both, (a - 1) / x - (b - 1) / (1 - x)
        )
    }
}

@derivative(of: betaLogDensity)
func vjpBetaLogDensity(_ a: Tensor, _ b: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    pullbackFromPartials(betaLogDensityForward(a, b, x), a.shape, b.shape, x.shape)
}

/// Beta entropy log B(a, b) − (a − 1)ψ(a) − (b − 1)ψ(b) + (a + b − 2)ψ(a + b) in Double, for the
/// same cancellation. ∂a = −(a − 1)ψ′(a) + (a + b − 2)ψ′(a + b), and likewise ∂b.
@differentiable(reverse)
func betaEntropy(_ a: Tensor, _ b: Tensor) -> Tensor { betaEntropyForward(a, b).value }

func betaEntropyForward(_ a: Tensor, _ b: Tensor) -> (value: Tensor, Tensor, Tensor) {
    elementwiseWithPartials(a, b, of: "Beta") { a, b in
        let s = a + b
        let logB = Special.lgamma(a) + Special.lgamma(b) - Special.lgamma(s)
        let value = logB - (a - 1) * Special.digamma(a) - (b - 1) * Special.digamma(b) + (s - 2) * Special.digamma(s)
        let shared = (s - 2) * Special.trigamma(s)
        return (value, -(a - 1) * Special.trigamma(a) + shared, -(b - 1) * Special.trigamma(b) + shared)
    }
}

@derivative(of: betaEntropy)
func vjpBetaEntropy(_ a: Tensor, _ b: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    pullbackFromPartials(betaEntropyForward(a, b), a.shape, b.shape)
}
