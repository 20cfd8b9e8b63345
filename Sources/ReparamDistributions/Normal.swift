import _Differentiation
import ReparamRandom
import ReparamTensor

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

    @differentiable(reverse, wrt: self)
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

    /// μ + σ√2 · erf⁻¹(2p − 1)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { loc + scale * 1.41421356237 * erfinv(2 * probability - 1) }

    /// ½ + ½ log 2π + log σ
    @differentiable(reverse)
    public func entropy() -> Tensor { expand(log(scale) + (0.5 + halfLogTwoPi), to: withoutDerivative(at: self).batchShape) }

    public var mean: Tensor { expand(loc, to: withoutDerivative(at: self).batchShape) }
    public var variance: Tensor { expand(square(scale), to: withoutDerivative(at: self).batchShape) }
}
