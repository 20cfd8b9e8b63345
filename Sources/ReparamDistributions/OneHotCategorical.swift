import ReparamRandom
import ReparamTensor
import _Differentiation

/// OneHotCategorical: the Categorical's value as a one-hot vector (eventShape [K]).
public struct OneHotCategorical: DiscreteDistribution, HasEntropy {
    public var logits: Tensor

    @differentiable(reverse)
    public init(logits: Tensor) { self.logits = logits }

    public static func validated(logits: Tensor) throws -> OneHotCategorical {
        OneHotCategorical(logits: try Categorical.validated(logits: logits).logits)
    }

    public var batchShape: [Int] { Array(logits.shape.dropLast()) }
    public var eventShape: [Int] { [logits.shape.last!] }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let indices = Categorical(logits: logits).sample(key, sampleShape: sampleShape)
        return Tensor.oneHot(indices.scalars.map { Int($0) }, depth: logits.shape.last!).reshaped(
            to: indices.shape + eventShape)
    }

    /// Σ x·log softmax(l) over the event axis
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { (value * logSoftmax(logits)).sum(alongAxes: [-1]) }

    @differentiable(reverse)
    public func entropy() -> Tensor { Categorical(logits: logits).entropy() }

    public func enumerateSupport() -> Tensor? {
        let k = logits.shape.last!, batch = batchShape.reduce(1, *)
        // Value j, for every batch element, is the j-th unit vector.
        let indices = (0..<k).flatMap { Array(repeating: $0, count: batch) }
        return Tensor.oneHot(indices, depth: k).reshaped(to: [k] + batchShape + [k])
    }

    @differentiable(reverse)
    public var mean: Tensor { softmax(logits) }
    public var variance: Tensor { softmax(logits) * (1 - softmax(logits)) }
}
