import ReparamRandom
import ReparamTensor
import _Differentiation

/// Reinterprets the last `reinterpretedDimensions` batch dimensions of `base` as event
/// dimensions: logProb sums over them. A diagonal Gaussian is Independent(Normal, 1).
/// It is reparameterizable exactly when its base is.
public struct Independent<Base: Distribution>: Distribution {
    public var base: Base
    @noDerivative public let reinterpretedDimensions: Int

    @differentiable(reverse,wrt: base)
    public init(_ base: Base, reinterpretedDimensions: Int = 1) {
        precondition(
            reinterpretedDimensions >= 0 && reinterpretedDimensions <= base.batchShape.count,
            "Independent: cannot reinterpret \(reinterpretedDimensions) of the batch dimensions \(base.batchShape)")
        self.base = base
        self.reinterpretedDimensions = reinterpretedDimensions
    }

    /// Checked construction: at most as many reinterpreted dimensions as the base has batch ones.
    public static func validated(_ base: Base, reinterpretedDimensions: Int = 1) throws -> Independent {
        guard reinterpretedDimensions >= 0 && reinterpretedDimensions <= base.batchShape.count else {
            throw DistributionError(
                distribution: "Independent", parameter: "reinterpretedDimensions", index: 0,
                value: Float(reinterpretedDimensions),
                requirement: "must lie in 0…\(base.batchShape.count), the base's batch rank (batch \(base.batchShape))")
        }
        return Independent(base, reinterpretedDimensions: reinterpretedDimensions)
    }

    public var batchShape: [Int] { Array(base.batchShape.dropLast(reinterpretedDimensions)) }
    public var eventShape: [Int] { Array(base.batchShape.suffix(reinterpretedDimensions)) + base.eventShape }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor { base.sample(key, sampleShape: sampleShape) }

    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { summedOverEvent(base.logProb(value), reinterpretedDimensions) }

    public var mean: Tensor { base.mean }
    public var variance: Tensor { base.variance }
}

extension Independent: Reparameterizable where Base: Reparameterizable {
    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor { base.rsample(key, sampleShape: sampleShape) }
}

extension Independent: HasEntropy where Base: HasEntropy {
    @differentiable(reverse)
    public func entropy() -> Tensor { summedOverEvent(base.entropy(), reinterpretedDimensions) }
}

// KL of independent products: the base KL summed over the reinterpreted dimensions.
@differentiable(reverse)
public func klDivergence(_ p: Independent<Normal>, _ q: Independent<Normal>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}

/// Sums a per-element KL over the last `dimensions` axes (the reinterpreted ones).
@differentiable(reverse)
func summedOverEvent(_ perElement: Tensor, _ dimensions: Int) -> Tensor {
    if dimensions == 0 { return perElement }
    let rank = withoutDerivative(at: perElement.rank)
    return perElement.sum(alongAxes: Array((rank - dimensions)..<rank))
}

@differentiable(reverse)
public func klDivergence(_ p: Independent<Laplace>, _ q: Independent<Laplace>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Exponential>, _ q: Independent<Exponential>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Gamma>, _ q: Independent<Gamma>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Beta>, _ q: Independent<Beta>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Uniform>, _ q: Independent<Uniform>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Gumbel>, _ q: Independent<Gumbel>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Bernoulli>, _ q: Independent<Bernoulli>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Poisson>, _ q: Independent<Poisson>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
@differentiable(reverse)
public func klDivergence(_ p: Independent<Geometric>, _ q: Independent<Geometric>) -> Tensor {
    summedOverEvent(klDivergence(p.base, q.base), p.reinterpretedDimensions)
}
