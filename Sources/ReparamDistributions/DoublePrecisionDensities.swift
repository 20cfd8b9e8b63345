import _Differentiation
import ReparamTensor

// The Gamma log density and entropy cancel large terms (lnΓ(1000) ≈ 5905 against α log βx)
// down to a few units, which Float cannot do to 2e-5; these evaluate in Double and carry their
// own derivatives.

/// α log β + (α − 1) log x − βx − lnΓ(α) elementwise (broadcasting), in Double; −∞ for x ≤ 0.
/// ∂/∂α = log βx − ψ(α), ∂/∂β = α/β − x, ∂/∂x = (α − 1)/x − β.
@differentiable(reverse)
func gammaLogDensity(_ alpha: Tensor, _ rate: Tensor, _ x: Tensor) -> Tensor {
    gammaLogDensityForward(alpha, rate, x).value
}

func gammaLogDensityForward(_ alpha: Tensor, _ rate: Tensor, _ x: Tensor)
    -> (value: Tensor, dAlpha: Tensor, dRate: Tensor, dX: Tensor) {
    let shape = joinedShape(alpha.shape, rate.shape, x.shape, of: "Gamma")
    let a = alpha.broadcasted(to: shape).scalars, b = rate.broadcasted(to: shape).scalars, v = x.broadcasted(to: shape).scalars
    var value = [Float](), dA = [Float](), dB = [Float](), dX = [Float]()
    for i in 0..<a.count {
        let (ai, bi, xi) = (Double(a[i]), Double(b[i]), Double(v[i]))
        if xi == 0 && ai <= 1 {
            // At the edge, the density's limit from inside (scipy's convention): β for α = 1 (the
            // exponential's log β, where the formula reads 0·log 0), +∞ for α < 1. The derivatives
            // are their limits too: ∂/∂α → −∞ (through log x), ∂/∂x → −β for α = 1 and −∞ below.
            value.append(ai == 1 ? Float(Special.log(bi)) : .infinity)
            dA.append(-.infinity); dB.append(Float(ai / bi)); dX.append(ai == 1 ? Float(-bi) : -.infinity)
            continue
        }
        guard xi > 0 else {
            value.append(-.infinity); dA.append(0); dB.append(0); dX.append(0)
            continue
        }
        let logBX = Special.log(bi * xi)
        value.append(Float(ai * logBX - Special.log(xi) - bi * xi - Special.lgamma(ai)))
        dA.append(Float(logBX - Special.digamma(ai)))
        dB.append(Float(ai / bi - xi))
        dX.append(Float((ai - 1) / xi - bi))
    }
    func t(_ s: [Float]) -> Tensor { Tensor(shape: shape, scalars: s) }
    return (t(value), t(dA), t(dB), t(dX))
}

@derivative(of: gammaLogDensity)
func vjpGammaLogDensity(_ alpha: Tensor, _ rate: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor)) {
    pullbackFromPartials(gammaLogDensityForward(alpha, rate, x), alpha.shape, rate.shape, x.shape)
}

/// The value and pullback of f(a, b, c) on broadcast tensors from its partials, computed beside
/// the value: each cotangent is g·∂f summed back to its argument's shape.
func pullbackFromPartials(_ forward: (Tensor, Tensor, Tensor, Tensor), _ a: [Int], _ b: [Int], _ c: [Int])
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor)) {
    let (value, da, db, dc) = forward
    return (value, { g in
        if g.isShapelessZero { return (.zero, .zero, .zero) }
        return ((g * da).unbroadcast(to: a), (g * db).unbroadcast(to: b), (g * dc).unbroadcast(to: c))
    })
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
    -> (value: Tensor, dK: Tensor, dScale: Tensor, dX: Tensor) {
    let shape = joinedShape(concentration.shape, scale.shape, x.shape, of: "Weibull")
    let c = concentration.broadcasted(to: shape).scalars, l = scale.broadcasted(to: shape).scalars
    let v = x.broadcasted(to: shape).scalars
    var value = [Float](), dK = [Float](), dL = [Float](), dX = [Float]()
    for i in 0..<c.count {
        let (k, lambda, xi) = (Double(c[i]), Double(l[i]), Double(v[i]))
        if xi < 0 || (xi == 0 && k > 1) {
            value.append(-.infinity); dK.append(0); dL.append(0); dX.append(0)
        } else if xi == 0 {
            value.append(k == 1 ? Float(-Special.log(lambda)) : .infinity)
            dK.append(-.infinity); dL.append(Float(-k / lambda)); dX.append(k == 1 ? Float(-1 / lambda) : -.infinity)
        } else {
            let logR = Special.log(xi / lambda), rk = Special.exp(k * logR)
            value.append(Float(Special.log(k / lambda) + (k - 1) * logR - rk))
            dK.append(Float(1 / k + (1 - rk) * logR))
            dL.append(Float(k * (rk - 1) / lambda))
            dX.append(Float((k - 1 - k * rk) / xi))
        }
    }
    func t(_ s: [Float]) -> Tensor { Tensor(shape: shape, scalars: s) }
    return (t(value), t(dK), t(dL), t(dX))
}

@derivative(of: weibullLogDensity)
func vjpWeibullLogDensity(_ concentration: Tensor, _ scale: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor)) {
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
    return (Tensor(shape: shape, scalars: value), Tensor(shape: shape, scalars: dK), Tensor(shape: shape, scalars: dRate))
}

@derivative(of: poissonLogMass)
func vjpPoissonLogMass(_ k: Tensor, _ rate: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    let (value, dK, dRate) = poissonLogMassForward(k, rate)
    return (value, { g in
        if g.isShapelessZero { return (.zero, .zero) }
        return ((g * dK).unbroadcast(to: k.shape), (g * dRate).unbroadcast(to: rate.shape))
    })
}

/// log C(n, k) = lnΓ(n+1) − lnΓ(k+1) − lnΓ(n−k+1) elementwise in Double;
/// ∂/∂k = ψ(n−k+1) − ψ(k+1).
@differentiable(reverse, wrt: k)
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
