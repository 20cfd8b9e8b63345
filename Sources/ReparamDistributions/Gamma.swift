import ReparamRandom
import ReparamTensor
import _Differentiation

/// Gamma(concentration α, rate β), density β^α x^{α−1} e^{−βx}/Γ(α) on x > 0.
/// Implicitly reparameterized: z = G/β with G ~ Gamma(α, 1) and dG/dα = −(∂P(α, G)/∂α)/p(G; α).
public struct Gamma: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var concentration: Tensor
    public var rate: Tensor

    @differentiable(reverse)
    public init(concentration: Tensor, rate: Tensor) {
        self.concentration = concentration
        self.rate = rate
    }

    public static func validated(concentration: Tensor, rate: Tensor) throws -> Gamma {
        let d = Gamma(concentration: concentration, rate: rate)
        try d.validate()
        return d
    }

    public func validate() throws {
        _ = try checkShapes([("concentration", concentration.shape), ("rate", rate.shape)], of: "Gamma")
        try check(concentration, "concentration", of: "Gamma", .positive)
        try check(rate, "rate", of: "Gamma", .positive)
    }

    public func validate(value: Tensor) throws { try check(value, "value", of: "Gamma", .positive) }

    public var batchShape: [Int] { joinedShape(concentration.shape, rate.shape, of: "Gamma") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let alpha = expand(concentration, to: withoutDerivative(at: self).batchShape)
        return standardGammaSample(alpha, key: key, sampleShape: sampleShape) / rate
    }

    /// α log β + (α − 1) log x − βx − lnΓ(α) on x > 0 (evaluated in Double: the terms cancel)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { gammaLogDensity(concentration, rate, value) }

    /// P(α, βx)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { regularizedGammaP(concentration, rate * relu(value)) }

    /// Q(α, βx), computed directly in the upper tail
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { regularizedGammaQ(concentration, rate * relu(value)) }

    /// P⁻¹(α, p)/β
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { gammaQuantile(concentration, probability) / rate }

    /// α − log β + lnΓ(α) + (1 − α)ψ(α)
    @differentiable(reverse)
    public func entropy() -> Tensor { standardGammaEntropy(concentration) - log(rate) }

    public var mean: Tensor { concentration / rate }
    public var variance: Tensor { concentration / square(rate) }
}
