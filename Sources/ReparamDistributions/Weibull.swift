import ReparamRandom
import ReparamTensor
import _Differentiation

/// Weibull(scale λ, concentration k), CDF 1 − e^{−(x/λ)^k}. Pathwise: z = λ·E^{1/k}, E ~ Exp(1).
public struct Weibull: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var scale: Tensor
    public var concentration: Tensor

    @differentiable(reverse)
    public init(scale: Tensor, concentration: Tensor) {
        self.scale = scale
        self.concentration = concentration
    }

    public static func validated(scale: Tensor, concentration: Tensor) throws -> Weibull {
        let d = Weibull(scale: scale, concentration: concentration)
        try d.validate()
        return d
    }

    public func validate() throws {
        _ = try checkShapes([("scale", scale.shape), ("concentration", concentration.shape)], of: "Weibull")
        try check(scale, "scale", of: "Weibull", .positive)
        try check(concentration, "concentration", of: "Weibull", .positive)
    }

    public func validate(value: Tensor) throws { try check(value, "value", of: "Weibull", .nonNegative) }

    public var batchShape: [Int] { joinedShape(scale.shape, concentration.shape, of: "Weibull") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let e = key.exponential(sampleShape + withoutDerivative(at: self).batchShape)
        return scale * exp(log(e) / concentration)
    }

    /// log(k/λ) + (k − 1)·log(x/λ) − (x/λ)^k on x ≥ 0 (in Double; at 0 the limit from inside)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { weibullLogDensity(concentration, scale, value) }

    /// 1 − exp(−(x/λ)^k)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { -expm1(-exp(concentration * log(relu(value) / scale))) }

    /// exp(−(x/λ)ᵏ) (1 below 0)
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { exp(logSurvival(value)) }

    /// −(x/λ)ᵏ (0 below 0)
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { -exp(concentration * log(relu(value) / scale)) }

    /// λ·(−log(1 − p))^{1/k}
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { scale * exp(log(-log1p(-probability)) / concentration) }

    /// γ(1 − 1/k) + log(λ/k) + 1
    @differentiable(reverse)
    public func entropy() -> Tensor { eulerGamma * (1 - 1 / concentration) + log(scale / concentration) + 1 }

    public var mean: Tensor { scale * exp(lgamma(1 + 1 / concentration)) }
    public var variance: Tensor {
        square(scale) * (exp(lgamma(1 + 2 / concentration)) - exp(2 * lgamma(1 + 1 / concentration)))
    }
}
