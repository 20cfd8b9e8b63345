import ReparamRandom
import ReparamTensor
import _Differentiation

/// Gumbel(loc μ, scale β), CDF exp(−e^{−(x−μ)/β}). Pathwise: z = μ + β·g, g standard Gumbel.
public struct Gumbel: LocationScaleFamily, ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public static let familyName = "Gumbel"
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        loc + scale * key.gumbel(sampleShape + withoutDerivative(at: self).batchShape)
    }

    /// −(z + e^{−z}) − log β with z = (x − μ)/β
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        return -(z + exp(-z)) - log(scale)
    }

    /// exp(−e^{−z})
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { exp(-exp((loc - value) / scale)) }

    /// 1 − e^{−e^{−z}} as −expm1(−e^{−z})
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { -expm1(-exp((loc - value) / scale)) }

    /// −e^{−z}
    @differentiable(reverse)
    public func logCDF(_ value: Tensor) -> Tensor { -exp((loc - value) / scale) }

    /// μ − β·log(−log p)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { loc - scale * log(-log(probability)) }

    /// log β + γ + 1
    @differentiable(reverse)
    public func entropy() -> Tensor {
        expand(log(scale) + (eulerGamma + 1), to: withoutDerivative(at: self).batchShape)
    }

    public var mean: Tensor { expand(loc + scale * eulerGamma, to: batchShape) }
    public var variance: Tensor { expand(square(scale) * (Float.pi * Float.pi / 6), to: batchShape) }
}
