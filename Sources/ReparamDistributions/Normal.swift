import ReparamRandom
import ReparamTensor
import _Differentiation

/// N(loc, scale²). Pathwise: z = loc + scale·ε, ε ~ N(0, 1).
public struct Normal: LocationScaleFamily, ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public static let familyName = "Normal"
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        loc + scale * key.normal(sampleShape + withoutDerivative(at: self).batchShape)
    }

    /// −½((x−μ)/σ)² − log σ − ½ log 2π
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        -0.5 * square((value - loc) / scale) - log(scale) - halfLogTwoPi
    }

    /// ½ erfc(−(x−μ)/(σ√2))
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { 0.5 * erfc((loc - value) / (scale * 1.41421356237)) }

    /// ½ erfc((x − μ)/(σ√2))
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { 0.5 * erfc((value - loc) / (scale * 1.41421356237)) }

    /// log Φ(z), by its left-tail form (finite far past where Φ underflows)
    @differentiable(reverse)
    public func logCDF(_ value: Tensor) -> Tensor { logNormalCDF((value - loc) / scale) }

    /// log Φ(−z)
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { logNormalCDF((loc - value) / scale) }

    /// μ + σ√2 · erf⁻¹(2p − 1), computed as ∓σ√2·erfc⁻¹(2q) with q = min(p, 1 − p): 2p − 1 keeps
    /// none of p's digits near 0 (3% of the distance to 1 at p = 10⁻⁶), 1 − p is exact for p ≥ ½.
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let lower = withoutDerivative(at: lowerHalf(probability))
        let q = smallerTail(probability)
        let signedRootTwo = withoutDerivative(at: lower.map { $0 == 1 ? -1.41421356237 : 1.41421356237 })
        return loc + scale * signedRootTwo * erfcinv(2 * q)
    }

    /// ½ + ½ log 2π + log σ
    @differentiable(reverse)
    public func entropy() -> Tensor {
        expand(log(scale) + (0.5 + halfLogTwoPi), to: withoutDerivative(at: self).batchShape)
    }

    public var mean: Tensor { expand(loc, to: withoutDerivative(at: self).batchShape) }
    public var variance: Tensor { expand(square(scale), to: withoutDerivative(at: self).batchShape) }
}
