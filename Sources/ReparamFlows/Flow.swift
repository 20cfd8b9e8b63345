import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// A normalizing flow on ℝᵈ: x = f(z) for z ~ N(0, I) and a chain of layers f = f_K ∘ … ∘ f_1,
/// so log p(x) = log N(f⁻¹(x)) + log|det ∂f⁻¹/∂x| (density estimation trains this) and a
/// reparameterized draw carries log q from the forward pass alone (variational inference
/// trains E_q[log q + U]). The base is fixed; only the layers are trained.
public struct Flow<Layer: FlowLayer>: Differentiable {
    public var bijector: Chain<Layer>
    @noDerivative public let dimension: Int

    public init(layers: [Layer], dimension: Int) {
        bijector = Chain(layers)
        self.dimension = dimension
    }

    @differentiable(reverse)
    public var distribution: TransformedDistribution<Normal, Chain<Layer>> {
        let d = withoutDerivative(at: dimension)
        return TransformedDistribution(
            base: withoutDerivative(at: Normal(loc: Tensor.zeros([d]), scale: Tensor.ones([d]))),
            bijector: bijector)
    }

    /// log p(x) for rows x [n, d] → [n].
    @differentiable(reverse)
    public func logProb(_ x: Tensor) -> Tensor { distribution.logProb(x) }

    /// n reparameterized draws with their log-densities.
    @differentiable(reverse,wrt: self)
    public func rsampleWithLogProb(_ key: RandomKey, count n: Int) -> SampleWithLogProb {
        distribution.rsampleWithLogProb(key, sampleShape: [n])
    }

    /// n draws [n, d], no gradient.
    public func sample(_ key: RandomKey, count n: Int) -> Tensor { distribution.sample(key, sampleShape: [n]) }
}

extension Flow: ParameterListing {
    public var parameterPaths: [ParameterPath<Flow>] {
        bijector.parameterPaths.map {
            $0.nested(in: "flow", value: \Flow.bijector, gradient: \Flow.TangentVector.bijector)
        }
    }
}
