import ReparamRandom
import ReparamTensor
import _Differentiation

/// Bernoulli with logits l (p = σ(l)) over {0, 1}. Score-function only: no `rsample`;
/// see RelaxedBernoulli for a differentiable relaxation.
public struct Bernoulli: DiscreteDistribution, HasEntropy {
    public var logits: Tensor

    @differentiable(reverse)
    public init(logits: Tensor) { self.logits = logits }

    /// From probabilities p ∈ [0, 1] (validated): logits log p − log(1 − p).
    public static func validated(probabilities: Tensor) throws -> Bernoulli {
        try check(probabilities, "probabilities", of: "Bernoulli", .probability)
        return Bernoulli(logits: log(probabilities) - log1p(-probabilities))
    }

    public static func validated(logits: Tensor) throws -> Bernoulli {
        try check(logits.map { $0.isNaN ? .nan : 0 }, "logits", of: "Bernoulli", .finite)
        return Bernoulli(logits: logits)
    }

    public func validate(value: Tensor) throws {
        if let index = value.scalars.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw DistributionError(
                distribution: "Bernoulli", parameter: "value", index: index,
                value: value.scalars[index], requirement: "must be 0 or 1")
        }
    }

    public var batchShape: [Int] { logits.shape }
    public var eventShape: [Int] { [] }
    @differentiable(reverse)
    public var probabilities: Tensor { sigmoid(logits) }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        key.bernoulli(probabilities.broadcasted(to: sampleShape + batchShape))
    }

    /// x·l − softplus(l)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { value * logits - softplus(logits) }

    /// softplus(l) − l·σ(l)
    @differentiable(reverse)
    public func entropy() -> Tensor { softplus(logits) - logits * sigmoid(logits) }

    public func enumerateSupport() -> Tensor? {
        concat([Tensor.zeros([1] + batchShape), Tensor.ones([1] + batchShape)], axis: 0)
    }

    @differentiable(reverse)
    public var mean: Tensor { probabilities }
    public var variance: Tensor { probabilities * (1 - probabilities) }
}
