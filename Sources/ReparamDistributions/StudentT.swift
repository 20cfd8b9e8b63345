import _Differentiation
import ReparamRandom
import ReparamTensor

/// Student's t(ν, loc μ, scale σ). Reparameterized as z = μ + σ·ε·√(ν/(2G)) with ε ~ N(0, 1)
/// and G ~ Gamma(ν/2, 1): pathwise in μ and σ, implicit (through G) in ν.
public struct StudentT: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var degreesOfFreedom: Tensor
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(degreesOfFreedom: Tensor, loc: Tensor, scale: Tensor) {
        self.degreesOfFreedom = degreesOfFreedom
        self.loc = loc
        self.scale = scale
    }

    public static func validated(degreesOfFreedom: Tensor, loc: Tensor, scale: Tensor) throws -> StudentT {
        _ = try checkShapes([("degreesOfFreedom", degreesOfFreedom.shape), ("loc", loc.shape), ("scale", scale.shape)], of: "StudentT")
        try check(degreesOfFreedom, "degreesOfFreedom", of: "StudentT", .positive)
        try check(loc, "loc", of: "StudentT", .finite)
        try check(scale, "scale", of: "StudentT", .positive)
        return StudentT(degreesOfFreedom: degreesOfFreedom, loc: loc, scale: scale)
    }

    public func validate(value: Tensor) throws { try check(value, "value", of: "StudentT", .finite) }

    public var batchShape: [Int] { joinedShape(degreesOfFreedom.shape, loc.shape, scale.shape, of: "StudentT") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse, wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = withoutDerivative(at: self).batchShape
        let keys = withoutDerivative(at: key.split(2))
        let epsilon = keys[0].normal(sampleShape + shape)
        let g = standardGammaSample(expand(degreesOfFreedom / 2, to: shape), key: keys[1], sampleShape: sampleShape)
        return loc + scale * epsilon * sqrt(degreesOfFreedom / (2 * g))
    }

    /// lnΓ((ν+1)/2) − lnΓ(ν/2) − ½ log(νπ) − log σ − (ν+1)/2 · log(1 + z²/ν)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        let nu = degreesOfFreedom
        return lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Float.pi) - log(scale) - (nu + 1) / 2 * log1p(square(z) / nu)
    }

    /// ½·I_{ν/(ν+z²)}(ν/2, ½) below μ, 1 − that above.
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        let tail = 0.5 * regularizedIncompleteBeta(degreesOfFreedom / 2, withoutDerivative(at: Tensor(0.5)),
                                                   degreesOfFreedom / (degreesOfFreedom + square(z)))
        let below = withoutDerivative(at: z.map { $0 < 0 ? 1 : 0 })
        return select(below, tail, 1 - tail)
    }

    /// μ + σ·sign(p − ½)·√(ν(1/x − 1)) with x = I⁻¹_{2·min(p, 1−p)}(ν/2, ½).
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let nu = expand(degreesOfFreedom, to: withoutDerivative(at: joinedShape(degreesOfFreedom.shape, probability.shape, of: "StudentT")))
        let twoTail = 1 - abs(2 * probability - 1)
        let x = betaQuantile(nu / 2, withoutDerivative(at: Tensor(0.5)), twoTail)
        let magnitude = sqrt(nu * (1 / x - 1))
        let sign = withoutDerivative(at: probability.map { $0 < 0.5 ? -1 : 1 }.broadcasted(to: magnitude.shape))
        return loc + scale * sign * magnitude
    }

    /// (ν+1)/2·(ψ((ν+1)/2) − ψ(ν/2)) + ½ log ν + log B(ν/2, ½) + log σ
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let nu = degreesOfFreedom
        let logBeta = lgamma(nu / 2) + 0.5723649429247001 - lgamma((nu + 1) / 2)  // lnΓ(½) = ½ log π
        return (nu + 1) / 2 * (digamma((nu + 1) / 2) - digamma(nu / 2)) + 0.5 * log(nu) + logBeta + log(scale)
    }

    /// μ for ν > 1, else NaN.
    public var mean: Tensor {
        let m = expand(loc, to: batchShape)
        return select(degreesOfFreedom.map { $0 > 1 ? 1 : 0 }.broadcasted(to: m.shape), m, Tensor(repeating: .nan, shape: m.shape))
    }

    /// σ²ν/(ν − 2) for ν > 2, ∞ for 1 < ν ≤ 2, NaN otherwise.
    public var variance: Tensor {
        let v = expand(square(scale) * degreesOfFreedom / (degreesOfFreedom - 2), to: batchShape)
        let nu = degreesOfFreedom.broadcasted(to: v.shape).scalars
        return Tensor(shape: v.shape, scalars: (0..<v.count).map { nu[$0] > 2 ? v.scalars[$0] : (nu[$0] > 1 ? .infinity : .nan) })
    }
}
