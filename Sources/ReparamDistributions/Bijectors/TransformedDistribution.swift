import ReparamRandom
import ReparamTensor
import _Differentiation

/// The distribution of y = f(x) for x ~ base and a bijector f (a normalizing flow when f is
/// learned). By the change of variables,
///
///     log p(y) = log p_base(f⁻¹(y)) + log|det ∂f⁻¹/∂y|,
///
/// and this type is the one place that adds the log-determinant: LogNormal, TanhNormal,
/// RelaxedBernoulli and every flow get their densities from it.
///
/// Event shapes: when f mixes more trailing dimensions than one base event spans (a flow on
/// vectors over an elementwise Normal), those base batch dimensions become event dimensions
/// and the base log-density is summed over them; when the base event is larger, f's
/// log-determinant is summed instead.
public struct TransformedDistribution<Base: Distribution, Transform: Bijector>: Distribution {
    public var base: Base
    public var bijector: Transform

    @differentiable(reverse)
    public init(base: Base, bijector: Transform) {
        self.base = base
        self.bijector = bijector
    }

    /// Base batch dimensions that the bijector turns into event dimensions.
    var absorbedBatchRank: Int { Swift.max(0, bijector.eventRank - base.eventShape.count) }

    public var batchShape: [Int] { Array(base.batchShape.dropLast(absorbedBatchRank)) }
    public var eventShape: [Int] { Array(base.batchShape.suffix(absorbedBatchRank)) + base.eventShape }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        withoutDerivative(at: bijector.forward(base.sample(key, sampleShape: sampleShape)))
    }

    /// log p_base(f⁻¹(y)) + log|det ∂f⁻¹/∂y|.
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let x = bijector.inverseWithLogDet(value)
        return logProb(base: base.logProb(x.value), inverseLogDet: x.logDet)
    }

    /// log p(f(x)) from a base point x and log|det ∂f/∂x| there: no inverse needed.
    @differentiable(reverse)
    public func logProb(preimage x: Tensor, forwardLogDet: Tensor) -> Tensor {
        logProb(base: base.logProb(x), inverseLogDet: -forwardLogDet)
    }

    /// The base log-density and the log-determinant, each summed to the event shape.
    @differentiable(reverse)
    func logProb(base baseLogProb: Tensor, inverseLogDet: Tensor) -> Tensor {
        let absorbed = withoutDerivative(at: self).absorbedBatchRank
        let extra = Swift.max(
            0, withoutDerivative(at: base).eventShape.count - withoutDerivative(at: bijector).eventRank)
        return summedOverEvent(baseLogProb, absorbed) + summedOverEvent(inverseLogDet, extra)
    }

    /// No closed form in general: NaN (LogNormal and the named families give their own).
    public var mean: Tensor { Tensor(repeating: .nan, shape: batchShape + eventShape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: batchShape + eventShape) }
}

/// A reparameterized draw and its log-density, computed together.
public struct SampleWithLogProb: Differentiable {
    public var value: Tensor
    public var logProb: Tensor

    @differentiable(reverse)
    public init(value: Tensor, logProb: Tensor) {
        self.value = value
        self.logProb = logProb
    }
}

extension TransformedDistribution: Reparameterizable where Base: Reparameterizable {
    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        bijector.forward(base.rsample(key, sampleShape: sampleShape))
    }

    /// y = f(x) for a reparameterized base draw x, with log p(y) from the forward pass alone
    /// (what variational inference with a flow needs; no inverse is computed).
    @differentiable(reverse,wrt: self)
    public func rsampleWithLogProb(_ key: RandomKey, sampleShape: [Int] = []) -> SampleWithLogProb {
        let x = base.rsample(key, sampleShape: sampleShape)
        let y = bijector.forwardWithLogDet(x)
        return SampleWithLogProb(value: y.value, logProb: logProb(preimage: x, forwardLogDet: y.logDet))
    }
}

extension TransformedDistribution: ExplicitlyReparameterizable where Base: ExplicitlyReparameterizable {}
extension TransformedDistribution: ImplicitlyReparameterizable where Base: ImplicitlyReparameterizable {}
