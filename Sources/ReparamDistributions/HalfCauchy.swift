import ReparamRandom
import ReparamTensor
import _Differentiation

/// HalfCauchy(scale s): |Cauchy(0, s)|. Pathwise: z = s·tan(πu/2), u ~ U(0, 1).
/// Mean and variance do not exist (∞).
public struct HalfCauchy: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var scale: Tensor

    @differentiable(reverse)
    public init(scale: Tensor) { self.scale = scale }

    public static func validated(scale: Tensor) throws -> HalfCauchy {
        let d = HalfCauchy(scale: scale)
        try d.validate()
        return d
    }

    public func validate() throws { try check(scale, "scale", of: "HalfCauchy", .positive) }
    public func validate(value: Tensor) throws { try check(value, "value", of: "HalfCauchy", .nonNegative) }

    public var batchShape: [Int] { scale.shape }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        scale * tan(key.openUniform(sampleShape + withoutDerivative(at: self).batchShape) * (Float.pi / 2))
    }

    /// log(2/π) − log s − log(1 + (x/s)²) on x ≥ 0
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        restricted(-log1p(square(value / scale)) - log(scale) - 0.45158270528945486, to: withoutDerivative(at: value)) {
            $0 >= 0
        }
    }

    /// (2/π)·atan(x/s) (0 below 0)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { atan(relu(value) / scale) * (2 / Float.pi) }

    /// (2/π)·atan(s/x), 1 at and below 0: 1 − F cancels for x ≫ s
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor {
        let positive = withoutDerivative(at: value.map { $0 > 0 ? 1 : 0 })
        let x = select(positive, value, withoutDerivative(at: Tensor(repeating: 1, shape: value.shape)))
        let inside = atan(scale / x) * (2 / Float.pi)
        let one = withoutDerivative(at: Tensor(repeating: 1, shape: inside.shape))
        return select(expand(positive, to: inside.shape), inside, one)
    }

    /// s·tan(πp/2), computed above p = ½ as s/tan(π(1 − p)/2): πp/2 rounds near π/2, where tan
    /// turns that rounding into a few percent of the quantile at p = 1 − 10⁻⁶.
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let lower = withoutDerivative(at: lowerHalf(probability))
        let t = tan(smallerTail(probability) * (Float.pi / 2))
        // The reciprocal path reads 1 where it is not taken: no division by 0 on either path.
        let upper = 1 / select(lower, withoutDerivative(at: Tensor(repeating: 1, shape: t.shape)), t)
        return scale * select(lower, t, upper)
    }

    /// log 2πs
    @differentiable(reverse)
    public func entropy() -> Tensor { log(scale) + 1.8378770664093453 }

    public var mean: Tensor { Tensor(repeating: .infinity, shape: batchShape) }
    public var variance: Tensor { Tensor(repeating: .infinity, shape: batchShape) }
}
