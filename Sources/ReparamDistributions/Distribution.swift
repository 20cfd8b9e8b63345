import ReparamRandom
import ReparamTensor
import _Differentiation

/// A probability distribution over tensors.
///
/// Parameters broadcast together into `batchShape`; one event has `eventShape`. A draw of
/// `sampleShape` has shape sampleShape + batchShape + eventShape, and `logProb` sums over the
/// event dimensions, returning sampleShape + batchShape.
///
/// `sample` is deliberately not differentiable: a sample carries no gradient, and using one
/// where a gradient is needed is a compile-time error ("expression is not differentiable").
/// Gradients of expectations come from `rsample`, which only `Reparameterizable` families have,
/// or from a score-function estimator built on the differentiable `logProb`.
public protocol Distribution: Differentiable {
    var batchShape: [Int] { get }
    var eventShape: [Int] { get }

    /// Draws with no gradient.
    func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor

    /// log density (or mass) of `value`, summed over event dimensions; differentiable in the
    /// parameters and in `value`.
    @differentiable(reverse)
    func logProb(_ value: Tensor) -> Tensor

    var mean: Tensor { get }
    var variance: Tensor { get }
}

/// A family whose sample is a differentiable function z = g(θ, ε) of its parameters and
/// parameter-free noise ε drawn from the key, so ∇θ E[f(z)] = E[∇θ f(g(θ, ε))].
public protocol Reparameterizable: Distribution {
    /// A draw whose gradient flows to the parameters.
    @differentiable(reverse,wrt: self)
    func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor
}

/// Pathwise by an explicit transform: location-scale (z = μ + σε) or inverse CDF (z = F⁻¹(u)).
public protocol ExplicitlyReparameterizable: Reparameterizable {}

/// Pathwise by implicit differentiation of the CDF: dz/dθ = −(∂F(z|θ)/∂θ) / q(z|θ).
public protocol ImplicitlyReparameterizable: Reparameterizable {}

/// A continuous relaxation of a discrete family: differentiable, but its samples (and so its
/// gradients) are biased with respect to the discrete family it relaxes.
public protocol Relaxation: Reparameterizable {}

/// Families with a closed-form differential entropy (or entropy for discrete ones).
public protocol HasEntropy: Distribution {
    @differentiable(reverse)
    func entropy() -> Tensor
}

/// Families with a cumulative distribution function and its inverse.
public protocol HasCDF: Distribution {
    @differentiable(reverse)
    func cdf(_ value: Tensor) -> Tensor
    @differentiable(reverse)
    func icdf(_ probability: Tensor) -> Tensor
    /// P(X > x) = 1 − F(x). The default subtracts; families with a closed form for the upper tail
    /// override it, since 1 − F rounds to 0 once F is within half an ulp of 1.
    @differentiable(reverse)
    func survival(_ value: Tensor) -> Tensor
    /// log F(x); the default is log of `cdf`, overridden where the log form reaches further.
    @differentiable(reverse)
    func logCDF(_ value: Tensor) -> Tensor
    /// log(1 − F(x)); the default is log of `survival`.
    @differentiable(reverse)
    func logSurvival(_ value: Tensor) -> Tensor
}

extension HasCDF {
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { 1 - cdf(value) }
    @differentiable(reverse)
    public func logCDF(_ value: Tensor) -> Tensor { log(cdf(value)) }
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { log(survival(value)) }
}

extension Distribution {
    /// One draw of batchShape + eventShape, with no gradient.
    public func sample(_ key: RandomKey) -> Tensor { sample(key, sampleShape: []) }
}

extension Reparameterizable {
    /// One reparameterized draw of batchShape + eventShape.
    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey) -> Tensor { rsample(key, sampleShape: []) }

    /// Reparameterized draws are ordinary draws when no gradient is wanted.
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        withoutDerivative(at: rsample(key, sampleShape: sampleShape))
    }
}

/// A discrete family: gradients of expectations come from score-function estimators (it has
/// no `rsample`). `enumerateSupport` lists every value when the support is finite, shaped
/// [number of values] + batchShape + eventShape, so exact expectations can be summed.
public protocol DiscreteDistribution: Distribution {
    func enumerateSupport() -> Tensor?
}
