import ReparamRandom
import ReparamTensor
import _Differentiation

/// HalfNormal(scale σ): |N(0, σ²)|. Pathwise: z = σ|ε|.
public struct HalfNormal: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var scale: Tensor

    @differentiable(reverse)
    public init(scale: Tensor) { self.scale = scale }

    public static func validated(scale: Tensor) throws -> HalfNormal {
        let d = HalfNormal(scale: scale)
        try d.validate()
        return d
    }

    public func validate() throws { try check(scale, "scale", of: "HalfNormal", .positive) }
    public func validate(value: Tensor) throws { try check(value, "value", of: "HalfNormal", .nonNegative) }

    public var batchShape: [Int] { scale.shape }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        scale * key.normal(sampleShape + withoutDerivative(at: self).batchShape).map { Swift.abs($0) }
    }

    /// ½ log(2/π) − log σ − x²/(2σ²) on x ≥ 0 (log(π/2) = 0.4515827…)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        restricted(
            -0.5 * square(value / scale) - log(scale) - 0.5 * 0.45158270528945486, to: withoutDerivative(at: value)
        ) { $0 >= 0 }
    }

    /// erf(x/(σ√2)) (0 below 0)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { erf(relu(value) / (scale * 1.41421356237)) }

    /// erfc(x/(σ√2)) (1 below 0)
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { erfc(relu(value) / (scale * 1.41421356237)) }

    /// log 2 + log Φ(−x/σ), by the normal's left-tail form (0 below 0)
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { 0.6931471805599453 + logNormalCDF(-relu(value) / scale) }

    /// σ√2·erf⁻¹(p)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { scale * 1.41421356237 * erfinv(probability) }

    /// ½ log(πσ²/2) + ½
    @differentiable(reverse)
    public func entropy() -> Tensor { log(scale) + (0.5 * 0.45158270528945486 + 0.5) }

    public var mean: Tensor { scale * 0.7978845608 }
    public var variance: Tensor { square(scale) * (1 - 2 / Float.pi) }
}
