import ReparamRandom
import ReparamTensor
import _Differentiation

/// Exponential(rate λ), density λe^{−λx} on x ≥ 0. Pathwise: z = E/λ, E ~ Exp(1).
public struct Exponential: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var rate: Tensor

    @differentiable(reverse)
    public init(rate: Tensor) { self.rate = rate }

    public static func validated(rate: Tensor) throws -> Exponential {
        let d = Exponential(rate: rate)
        try d.validate()
        return d
    }

    public func validate() throws { try check(rate, "rate", of: "Exponential", .positive) }
    public func validate(value: Tensor) throws { try check(value, "value", of: "Exponential", .nonNegative) }

    public var batchShape: [Int] { rate.shape }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        key.exponential(sampleShape + withoutDerivative(at: self).batchShape) / rate
    }

    /// log λ − λx on x ≥ 0, −∞ below.
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        restricted(log(rate) - rate * value, to: withoutDerivative(at: value)) { $0 >= 0 }
    }

    /// 1 − e^{−λx} (0 below 0)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { -expm1(-rate * relu(value)) }

    /// e^{−λx} (1 below 0)
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { exp(-rate * relu(value)) }

    /// −λx (0 below 0)
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { -rate * relu(value) }

    /// −log(1 − p)/λ
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { -log1p(-probability) / rate }

    /// 1 − log λ
    @differentiable(reverse)
    public func entropy() -> Tensor { 1 - log(rate) }

    public var mean: Tensor { 1 / rate }
    public var variance: Tensor { 1 / square(rate) }
}
