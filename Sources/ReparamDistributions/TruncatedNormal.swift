import _Differentiation
import ReparamRandom
import ReparamTensor

/// N(loc, scale²) restricted to [low, high]. Draws by the inverse CDF in Double, on the side of
/// the interval that keeps precision; gradients by implicit reparameterization through the
/// truncated CDF. Bounds beyond ±37 standard deviations from loc lose the interval's mass in
/// Double and are not supported.
public struct TruncatedNormal: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var loc: Tensor
    public var scale: Tensor
    public var low: Tensor
    public var high: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor, low: Tensor, high: Tensor) {
        self.loc = loc
        self.scale = scale
        self.low = low
        self.high = high
    }

    public static func validated(loc: Tensor, scale: Tensor, low: Tensor, high: Tensor) throws -> TruncatedNormal {
        let shape = try checkShapes([("loc", loc.shape), ("scale", scale.shape), ("low", low.shape), ("high", high.shape)], of: "TruncatedNormal")
        try check(loc, "loc", of: "TruncatedNormal", .finite)
        try check(scale, "scale", of: "TruncatedNormal", .positive)
        let width = Tensor(shape: shape, scalars: zip(high.broadcasted(to: shape).scalars, low.broadcasted(to: shape).scalars).map { $0 - $1 })
        try check(width, "high − low", of: "TruncatedNormal", .positive)
        return TruncatedNormal(loc: loc, scale: scale, low: low, high: high)
    }

    public var batchShape: [Int] { joinedShape(loc.shape, scale.shape, low.shape, high.shape, of: "TruncatedNormal") }
    public var eventShape: [Int] { [] }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = sampleShape + batchShape
        let u = key.uniform(shape).scalars
        let m = loc.broadcasted(to: shape).scalars, s = scale.broadcasted(to: shape).scalars
        let a = low.broadcasted(to: shape).scalars, b = high.broadcasted(to: shape).scalars
        return Tensor(shape: shape, scalars: (0..<u.count).map { i in
            var alpha = (Double(a[i]) - Double(m[i])) / Double(s[i]), beta = (Double(b[i]) - Double(m[i])) / Double(s[i])
            let flip = alpha > 0  // work in the left half, where Φ keeps its relative precision
            if flip { (alpha, beta) = (-beta, -alpha) }
            let pa = 0.5 * Special.erfc(-alpha / 2.0.squareRoot()), pb = 0.5 * Special.erfc(-beta / 2.0.squareRoot())
            let p = pa + (Double(u[i]) + 0x1p-25) * (pb - pa)
            var xi = -2.0.squareRoot() * Special.erfcinv(2 * p)  // Φ⁻¹(p), exact for tiny p
            xi = Swift.min(Swift.max(xi, alpha), beta)
            return Float(Double(m[i]) + Double(s[i]) * (flip ? -xi : xi))
        })
    }

    @differentiable(reverse, wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let z = withoutDerivative(at: sample(key, sampleShape: sampleShape))
        let density = withoutDerivative(at: exp(logProb(z)))
        return implicitlyReparameterized(z, cdfAtSample: cdf(z), density: density)
    }

    @differentiable(reverse)
    func standardCDF(_ x: Tensor) -> Tensor { 0.5 * erfc(-x / 1.41421356237) }

    /// Φ(−x) = ½ erfc(x/√2): accurate where Φ(x) rounds to 1.
    @differentiable(reverse)
    func standardSurvival(_ x: Tensor) -> Tensor { 0.5 * erfc(x / 1.41421356237) }

    /// 1 where the interval lies above loc (α > 0): there the upper-tail forms keep the digits
    /// that Φ(β) − Φ(α) would cancel.
    var upperMask: Tensor {
        let shape = batchShape
        let alpha = ((low - loc) / scale).broadcasted(to: shape)
        return alpha.map { $0 > 0 ? 1 : 0 }
    }

    /// Φ at the standardized bounds, each side in the form that keeps its precision.
    @differentiable(reverse)
    var normalizer: Tensor {
        let shape = withoutDerivative(at: self).batchShape
        let alpha = expand((low - loc) / scale, to: shape), beta = expand((high - loc) / scale, to: shape)
        return select(withoutDerivative(at: upperMask), standardSurvival(alpha) - standardSurvival(beta),
                      standardCDF(beta) - standardCDF(alpha))
    }

    /// −½ξ² − log σ − ½ log 2π − log Z on [low, high], ξ = (x − μ)/σ, Z = Φ(β) − Φ(α)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let formula = -0.5 * square((value - loc) / scale) - log(scale) - halfLogTwoPi - log(normalizer)
        let shape = withoutDerivative(at: formula.shape)
        let v = withoutDerivative(at: value.broadcasted(to: shape)), lo = withoutDerivative(at: low.broadcasted(to: shape))
        let hi = withoutDerivative(at: high.broadcasted(to: shape))
        let inside = withoutDerivative(at: Tensor(shape: shape, scalars: (0..<v.count).map { v.scalars[$0] >= lo.scalars[$0] && v.scalars[$0] <= hi.scalars[$0] ? 1 : 0 }))
        return select(inside, formula, withoutDerivative(at: Tensor(repeating: -.infinity, shape: shape)))
    }

    /// (Φ(ξ) − Φ(α))/Z, or (Φ(−α) − Φ(−ξ))/Z above loc; clamped to [0, 1]
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let shape = withoutDerivative(at: joinedShape(value.shape, batchShape, of: "TruncatedNormal"))
        let xi = expand((value - loc) / scale, to: shape), alpha = expand((low - loc) / scale, to: shape)
        let z = expand(normalizer, to: shape)
        let mask = withoutDerivative(at: upperMask.broadcasted(to: shape))
        let level = select(mask, standardSurvival(alpha) - standardSurvival(xi), standardCDF(xi) - standardCDF(alpha))
        return clamp(level / z, min: 0, max: 1)
    }

    /// μ + σ·Φ⁻¹(Φ(α) + p·Z), through erfc⁻¹ on the side that keeps precision.
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let shape = withoutDerivative(at: joinedShape(probability.shape, batchShape, of: "TruncatedNormal"))
        let alpha = expand((low - loc) / scale, to: shape), z = expand(normalizer, to: shape), p = expand(probability, to: shape)
        let mask = withoutDerivative(at: upperMask.broadcasted(to: shape))
        let above = 1.41421356237 * erfcinv(2 * (standardSurvival(alpha) - p * z))
        let below = -1.41421356237 * erfcinv(2 * (standardCDF(alpha) + p * z))
        return loc + scale * select(mask, above, below)
    }

    /// log(√(2πe)·σ·Z) + (αφ(α) − βφ(β))/(2Z)
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let alpha = (low - loc) / scale, beta = (high - loc) / scale
        let phiA = exp(-0.5 * square(alpha) - halfLogTwoPi), phiB = exp(-0.5 * square(beta) - halfLogTwoPi)
        return 0.5 + halfLogTwoPi + log(scale) + log(normalizer) + (alpha * phiA - beta * phiB) / (2 * normalizer)
    }

    /// μ + σ(φ(α) − φ(β))/Z, in Double.
    public var mean: Tensor { moments().mean }

    /// σ²[1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²], in Double: in a far tail the terms
    /// cancel a thousandfold.
    public var variance: Tensor { moments().variance }

    func moments() -> (mean: Tensor, variance: Tensor) {
        let shape = batchShape
        let m = loc.broadcasted(to: shape).scalars, s = scale.broadcasted(to: shape).scalars
        let a = low.broadcasted(to: shape).scalars, b = high.broadcasted(to: shape).scalars
        var means = [Float](), variances = [Float]()
        for i in 0..<m.count {
            var alpha = (Double(a[i]) - Double(m[i])) / Double(s[i]), beta = (Double(b[i]) - Double(m[i])) / Double(s[i])
            let flip = alpha > 0
            if flip { (alpha, beta) = (-beta, -alpha) }
            let z = 0.5 * Special.erfc(-beta / 2.0.squareRoot()) - 0.5 * Special.erfc(-alpha / 2.0.squareRoot())
            func phi(_ x: Double) -> Double { x.isInfinite ? 0 : Foundation_exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }
            func times(_ x: Double) -> Double { x.isInfinite ? 0 : x * phi(x) }
            let ratio = (phi(alpha) - phi(beta)) / z
            means.append(Float(Double(m[i]) + Double(s[i]) * (flip ? -ratio : ratio)))
            variances.append(Float(Double(s[i]) * Double(s[i]) * (1 + (times(alpha) - times(beta)) / z - ratio * ratio)))
        }
        return (Tensor(shape: shape, scalars: means), Tensor(shape: shape, scalars: variances))
    }
}

#if canImport(Glibc)
import Glibc
private func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
#endif
