import CReparamKernels
import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// log G for G ~ Gamma(αᵢ, 1), one per element of `alphas`, computed in Double.
///
/// Marsaglia–Tsang: for α′ ≥ 1, d = α′ − ⅓, c = 1/√(9d); draw x ~ N(0, 1), v = (1 + cx)³,
/// accept when v > 0 and log u < x²/2 + d − dv + d·log v; then G = dv. For α < 1 the boost
/// G(α) = G(α + 1)·U^{1/α} is applied in log space, so α ≪ 1 does not underflow to log 0.
/// Rejected elements redraw, in index order, from `key.fold(in: round)`: the result depends only
/// on the key and α, never on threads.
func standardGammaLogSamples(_ alphas: [Float], key: RandomKey) -> [Double] {
    let n = alphas.count
    var result = [Double](repeating: 0, count: n)
    var pending = Array(0..<n), pendingAlphas = alphas
    var round: UInt64 = 0
    while !pending.isEmpty {
        let roundKey = key.fold(in: round)
        let normals = roundKey.fold(in: 0).normal([pending.count]).scalars
        let uniforms = roundKey.fold(in: 1).uniform([pending.count]).scalars
        var logs = [Double](repeating: 0, count: pending.count)
        var accepted = [UInt8](repeating: 0, count: pending.count)
        rp_gamma_attempts(pendingAlphas, normals, uniforms, pending.count, &logs, &accepted)
        var stillPending: [Int] = [], stillAlphas: [Float] = []
        for slot in 0..<pending.count {
            if accepted[slot] != 0 {
                result[pending[slot]] = logs[slot]
            } else {
                stillPending.append(pending[slot])
                stillAlphas.append(pendingAlphas[slot])
            }
        }
        pending = stillPending
        pendingAlphas = stillAlphas
        round += 1
    }
    let boosts = key.fold(in: 1 << 40).uniform([n]).scalars
    for i in 0..<n where Double(alphas[i]) < 1 {
        result[i] += log(Double(boosts[i]) + 0x1p-25) / Double(alphas[i])
    }
    return result
}

/// G ~ Gamma(α, 1) elementwise (shape sampleShape + α.shape), differentiable in α by implicit
/// reparameterization: dG/dα = −(∂P(α, G)/∂α) / p(G; α), the CDF level held fixed.
@differentiable(reverse,wrt: alpha)
public func standardGammaSample(_ alpha: Tensor, key: RandomKey, sampleShape: [Int] = []) -> Tensor {
    standardGammaForward(alpha, key: key, sampleShape: sampleShape).sample
}

func standardGammaForward(_ alpha: Tensor, key: RandomKey, sampleShape: [Int])
    -> (sample: Tensor, logSample: [Double], samples: [Double])
{
    let shape = sampleShape + alpha.shape
    let repeats = sampleShape.reduce(1, *)
    let alphas = (0..<repeats).flatMap { _ in alpha.scalars }
    let logs = standardGammaLogSamples(alphas, key: key)
    let samples = logs.map { exp($0) }
    return (Tensor(shape: shape, scalars: samples.map(Float.init)), logs, samples)
}

@derivative(of: standardGammaSample, wrt: alpha)
@usableFromInline func vjpStandardGammaSample(_ alpha: Tensor, key: RandomKey, sampleShape: [Int])
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    let (sample, logs, samples) = standardGammaForward(alpha, key: key, sampleShape: sampleShape)
    let derivative = Tensor(shape: sample.shape, scalars: gammaDerivatives(alpha, logs, samples, logForm: false))
    return (
        sample,
        { v in
            if v.isShapelessZero { return .zero }
            let perElement = v * derivative
            // Sum over the sample dimensions only (an empty axis list would mean every axis).
            return sampleShape.isEmpty
                ? perElement : perElement.sum(alongAxes: Array(0..<sampleShape.count)).reshaped(to: alpha.shape)
        }
    )
}

/// dG/dα (or, in log form, (dG/dα)/G) for draws given as log G and G, by the C kernel.
func gammaDerivatives(_ alpha: Tensor, _ logs: [Double], _ samples: [Double], logForm: Bool) -> [Float] {
    [Float](unsafeUninitializedCapacity: logs.count) { buffer, initialized in
        alpha.withUnsafeScalars { a in
            rp_gamma_log_sample_derivatives(
                a.baseAddress, a.count, logs, samples, logs.count,
                logForm ? buffer.baseAddress : nil, logForm ? nil : buffer.baseAddress)
        }
        initialized = logs.count
    }
}

extension Special {
    /// The p-quantile of Gamma(a, 1): Newton's method on P(a, x) − p, started from
    /// (p·Γ(a+1))^{1/a} (the small-x form of P) or the Wilson–Hilferty approximation.
    public static func gammaQuantile(_ a: Double, _ p: Double) -> Double {
        if p.isNaN || a.isNaN || a <= 0 || p < 0 || p > 1 { return .nan }
        if p == 0 { return 0 }
        if p == 1 { return .infinity }
        let smallStart = exp((log(p) + lgamma(a + 1)) / a)
        let z = 2.0.squareRoot() * erfinv(2 * p - 1)
        let wilsonHilferty = a * pow(1 - 1 / (9 * a) + z / (3 * a.squareRoot()), 3)
        var x = (a < 1 && smallStart < 1) || wilsonHilferty <= 0 ? smallStart : wilsonHilferty
        for _ in 0..<100 {
            let (value, _) = regularizedGammaP(a, x)
            let density = exp(logGammaDensity(a, x))
            if density == 0 || !density.isFinite { break }
            var next = x - (value - p) / density
            if next <= 0 { next = x / 10 }
            if Swift.abs(next - x) <= 1e-15 * x { x = next; break }
            x = next
        }
        return x
    }
}

/// Gamma(a, 1) quantile elementwise; differentiable: ∂/∂p = 1/density, ∂/∂a = −(∂P/∂a)/density.
@differentiable(reverse)
public func gammaQuantile(_ a: Tensor, _ p: Tensor) -> Tensor {
    gammaQuantileForward(a, p)
}

func gammaQuantileForward(_ a: Tensor, _ p: Tensor, upper: Bool = false) -> Tensor {
    let shape = joinedShape(a.shape, p.shape, of: upper ? "gammaUpperQuantile" : "gammaQuantile")
    let av = a.broadcasted(to: shape).scalars, pv = p.broadcasted(to: shape).scalars
    return Tensor(
        shape: shape,
        scalars: zip(av, pv).map {
            Float(Special.gammaQuantile(Double($0), upper ? 1 - Double($1) : Double($1)))
        })
}

@derivative(of: gammaQuantile)
@usableFromInline func vjpGammaQuantile(_ a: Tensor, _ p: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)
) {
    gammaQuantilePullback(a, p, gammaQuantileForward(a, p), probabilitySign: 1)
}

/// The pullback of a Gamma quantile x at a probability level p (sign +1) or upper-tail level q
/// (sign −1): ∂/∂p = ±1/density, ∂/∂a = dx/da at the fixed level.
func gammaQuantilePullback(_ a: Tensor, _ p: Tensor, _ x: Tensor, probabilitySign: Float)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    let av = a.broadcasted(to: x.shape).scalars
    let density = zip(av, x.scalars).map { exp(Special.logGammaDensity(Double($0), Double($1))) }
    let dp = Tensor(shape: x.shape, scalars: density.map { probabilitySign * Float(1 / $0) })
    let da = Tensor(
        shape: x.shape, scalars: zip(av, x.scalars).map { Float(Special.gammaSampleDerivative(Double($0), Double($1))) }
    )
    return (
        x,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            return ((v * da).unbroadcast(to: a.shape), (v * dp).unbroadcast(to: p.shape))
        }
    )
}

/// The x with Q(a, x) = q (the upper tail) elementwise: the Gamma quantile at 1 − q, with 1 − q
/// formed in Double, where it is exact for a Float q (in Float, 1 − 10⁻⁶ moves the tail mass by
/// 3%). ∂/∂q = −1/density; ∂/∂a as for `gammaQuantile`.
@differentiable(reverse)
public func gammaUpperQuantile(_ a: Tensor, _ q: Tensor) -> Tensor {
    gammaQuantileForward(a, q, upper: true)
}

@derivative(of: gammaUpperQuantile)
@usableFromInline func vjpGammaUpperQuantile(_ a: Tensor, _ q: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    gammaQuantilePullback(a, q, gammaQuantileForward(a, q, upper: true), probabilitySign: -1)
}

/// log G for G ~ Gamma(α, 1), differentiable in α: d log G/dα = (dG/dα)/G, computed in log space
/// so that α ≪ 1, where G itself underflows, keeps a finite value and gradient.
@differentiable(reverse,wrt: alpha)
public func standardGammaLogSample(_ alpha: Tensor, key: RandomKey, sampleShape: [Int] = []) -> Tensor {
    let logs = standardGammaForward(alpha, key: key, sampleShape: sampleShape).logSample
    return Tensor(shape: sampleShape + alpha.shape, scalars: logs.map(Float.init))
}

@derivative(of: standardGammaLogSample, wrt: alpha)
@usableFromInline func vjpStandardGammaLogSample(_ alpha: Tensor, key: RandomKey, sampleShape: [Int])
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    let (_, logs, samples) = standardGammaForward(alpha, key: key, sampleShape: sampleShape)
    let derivative = Tensor(
        shape: sampleShape + alpha.shape, scalars: gammaDerivatives(alpha, logs, samples, logForm: true))
    return (
        Tensor(shape: derivative.shape, scalars: logs.map(Float.init)),
        { v in
            if v.isShapelessZero { return .zero }
            let perElement = v * derivative
            return sampleShape.isEmpty
                ? perElement : perElement.sum(alongAxes: Array(0..<sampleShape.count)).reshaped(to: alpha.shape)
        }
    )
}
