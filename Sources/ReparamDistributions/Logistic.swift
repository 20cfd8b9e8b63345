import ReparamRandom
import ReparamTensor
import _Differentiation

/// Logistic(loc μ, scale s), CDF σ((x − μ)/s). Pathwise: z = μ + s·logit(u), u ~ U(0, 1).
public struct Logistic: LocationScaleFamily, ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public static let familyName = "Logistic"
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let u = key.openUniform(sampleShape + withoutDerivative(at: self).batchShape)
        return loc + scale * (log(u) - log1p(-u))
    }

    /// −z − 2·softplus(−z) − log s with z = (x − μ)/s
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        return -z - 2 * softplus(-z) - log(scale)
    }

    /// σ((x − μ)/s)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { sigmoid((value - loc) / scale) }

    /// σ(−z)
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { sigmoid((loc - value) / scale) }

    /// log σ(z)
    @differentiable(reverse)
    public func logCDF(_ value: Tensor) -> Tensor { logSigmoid((value - loc) / scale) }

    /// log σ(−z)
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { logSigmoid((loc - value) / scale) }

    /// μ + s·log(p/(1 − p))
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { loc + scale * (log(probability) - log1p(-probability)) }

    /// log s + 2
    @differentiable(reverse)
    public func entropy() -> Tensor { expand(log(scale) + 2, to: withoutDerivative(at: self).batchShape) }

    public var mean: Tensor { expand(loc, to: batchShape) }
    public var variance: Tensor { expand(square(scale) * (Float.pi * Float.pi / 3), to: batchShape) }
}
