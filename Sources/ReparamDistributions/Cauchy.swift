import _Differentiation
import ReparamRandom
import ReparamTensor

/// Cauchy(loc μ, scale s), density 1/(πs(1 + z²)). Pathwise by the inverse CDF:
/// z = μ + s·tan(π(u − ½)). Mean and variance do not exist (NaN).
public struct Cauchy: LocationScaleFamily, ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public static let familyName = "Cauchy"
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    @differentiable(reverse, wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let u = key.openUniform(sampleShape + withoutDerivative(at: self).batchShape)
        return loc + scale * tan(Float.pi * (u - 0.5))
    }

    /// −log π − log s − log(1 + z²)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        -log1p(square((value - loc) / scale)) - log(scale) - 1.1447298858494002
    }

    /// ½ + atan(z)/π
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { 0.5 + atan((value - loc) / scale) / Float.pi }

    /// μ + s·tan(π(p − ½))
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { loc + scale * tan(Float.pi * (probability - 0.5)) }

    /// log 4πs
    @differentiable(reverse)
    public func entropy() -> Tensor { expand(log(scale) + 2.5310242469692907, to: withoutDerivative(at: self).batchShape) }

    public var mean: Tensor { Tensor(repeating: .nan, shape: batchShape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: batchShape) }
}
