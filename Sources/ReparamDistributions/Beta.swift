import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// Beta(α, β) on (0, 1): drawn as G₁/(G₁ + G₂) with Gᵢ ~ Gamma, σ(log G₁ − log G₂) in log
/// space; implicitly reparameterized through its own CDF, dz/dθ = −(∂I_z(α, β)/∂θ)/p(z).
public struct Beta: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var alpha: Tensor
    public var beta: Tensor

    @differentiable(reverse)
    public init(alpha: Tensor, beta: Tensor) {
        self.alpha = alpha
        self.beta = beta
    }

    public static func validated(alpha: Tensor, beta: Tensor) throws -> Beta {
        _ = try checkShapes([("alpha", alpha.shape), ("beta", beta.shape)], of: "Beta")
        try check(alpha, "alpha", of: "Beta", .positive)
        try check(beta, "beta", of: "Beta", .positive)
        return Beta(alpha: alpha, beta: beta)
    }

    public func validate(value: Tensor) throws { try check(value, "value", of: "Beta", .openUnit) }

    public var batchShape: [Int] { joinedShape(alpha.shape, beta.shape, of: "Beta") }
    public var eventShape: [Int] { [] }

    /// log G₁ − log G₂, the logit of a draw (finite where the draw rounds to 0 or 1); its gradient
    /// flows through the two Gammas' implicit gradients.
    @differentiable(reverse,wrt: self)
    public func rsampleLogit(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let shape = withoutDerivative(at: self).batchShape
        let keys = withoutDerivative(at: key.split(2))
        return standardGammaLogSample(expand(alpha, to: shape), key: keys[0], sampleShape: sampleShape)
            - standardGammaLogSample(expand(beta, to: shape), key: keys[1], sampleShape: sampleShape)
    }

    /// Draws with no gradient work: σ(log G₁ − log G₂) from the plain Gamma sampler.
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = batchShape, keys = key.split(2)
        let logG1 = standardGammaForward(alpha.broadcasted(to: shape), key: keys[0], sampleShape: sampleShape).logSample
        let logG2 = standardGammaForward(beta.broadcasted(to: shape), key: keys[1], sampleShape: sampleShape).logSample
        return Tensor(shape: sampleShape + shape, scalars: zip(logG1, logG2).map { Float(1 / (1 + exp($1 - $0))) })
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let z = withoutDerivative(at: sample(key, sampleShape: sampleShape))
        let density = withoutDerivative(at: exp(logProb(z)))
        return implicitlyReparameterized(z, cdfAtSample: cdf(z), density: density)
    }

    /// (α − 1) log x + (β − 1) log(1 − x) − log B(α, β) on (0, 1), in Double (`betaLogDensity`)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        restricted(betaLogDensity(alpha, beta, value), to: withoutDerivative(at: value)) { $0 > 0 && $0 < 1 }
    }

    /// I_x(α, β)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { regularizedIncompleteBeta(alpha, beta, clamp(value, min: 0, max: 1)) }

    /// I_{1−x}(β, α) from x = ½ up, the lower tail of 1 − x ~ Beta(β, α), where 1 − I_x(α, β) would
    /// round to 0 (1 − x is exact in Float there); 1 − I_x(α, β) below ½, where 1 − x would lose
    /// the digits of a small x.
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor {
        let upper = withoutDerivative(at: value.map { $0 >= 0.5 ? 1 : 0 })
        let mirrored = regularizedIncompleteBeta(beta, alpha, clamp(1 - value, min: 0, max: 1))
        let direct = 1 - cdf(value)
        return select(expand(upper, to: direct.shape), expand(mirrored, to: direct.shape), direct)
    }

    /// I⁻¹_p(α, β)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { betaQuantile(alpha, beta, probability) }

    /// log B(α, β) − (α − 1)ψ(α) − (β − 1)ψ(β) + (α + β − 2)ψ(α + β), in Double (`betaEntropy`)
    @differentiable(reverse)
    public func entropy() -> Tensor { betaEntropy(alpha, beta) }

    public var mean: Tensor { alpha / (alpha + beta) }
    public var variance: Tensor { alpha * beta / (square(alpha + beta) * (alpha + beta + 1)) }
}
