import ReparamRandom
import ReparamTensor
import _Differentiation

/// Categorical over {0, …, K−1} with logits [batch…, K]; values are class indices (as Float).
/// Score-function only; see RelaxedOneHotCategorical for the Gumbel-softmax relaxation.
public struct Categorical: DiscreteDistribution, HasEntropy {
    public var logits: Tensor

    @differentiable(reverse)
    public init(logits: Tensor) { self.logits = logits }

    public static func validated(logits: Tensor) throws -> Categorical {
        guard logits.rank >= 1, logits.shape.last! > 0 else {
            throw DistributionError(
                distribution: "Categorical", parameter: "logits", index: 0, value: .nan,
                requirement: "shape \(logits.shape) needs a last axis of at least one class")
        }
        if let index = logits.scalars.firstIndex(where: { $0.isNaN || $0 == .infinity }) {
            throw DistributionError(
                distribution: "Categorical", parameter: "logits", index: index,
                value: logits.scalars[index], requirement: "must be finite or −∞")
        }
        return Categorical(logits: logits)
    }

    /// From probabilities on the simplex (each row non-negative, summing to 1 within 1e-5).
    public static func validated(probabilities: Tensor) throws -> Categorical {
        try checkSimplex(probabilities, of: "Categorical")
        return Categorical(logits: log(probabilities))
    }

    public func validate(value: Tensor) throws {
        let classes = logits.shape.last!
        if let index = value.scalars.firstIndex(where: { $0 < 0 || $0 >= Float(classes) || $0 != $0.rounded() }) {
            throw DistributionError(
                distribution: "Categorical", parameter: "value", index: index, value: value.scalars[index],
                requirement: "must be a class index in 0..<\(classes)")
        }
    }

    public var classes: Int { logits.shape.last! }
    public var batchShape: [Int] { Array(logits.shape.dropLast()) }
    public var eventShape: [Int] { [] }
    public var probabilities: Tensor { softmax(logits) }

    /// Gumbel-max: argmax(l + g), g standard Gumbel.
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let perturbed = logits + key.gumbel(sampleShape + logits.shape)
        let k = classes
        let rows = perturbed.count / k
        return Tensor(
            shape: sampleShape + batchShape,
            scalars: (0..<rows).map { row in
                let slice = perturbed.scalars[(row * k)..<((row + 1) * k)]
                return Float(slice.indices.max { slice[$0] < slice[$1] }! - row * k)
            })
    }

    /// log softmax(l)[x]
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let logP = logSoftmax(logits)
        let shape = withoutDerivative(at: joinedShape(value.shape, batchShape, of: "Categorical"))
        let k = withoutDerivative(at: classes)
        let indices = withoutDerivative(at: value.broadcasted(to: shape).scalars.map { Int($0) })
        return expand(logP, to: shape + [k]).gather(lastAxisIndices: indices).reshaped(to: shape)
    }

    /// −Σ p log p
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let logP = logSoftmax(logits)
        return
            -(exp(logP)
            * select(
                withoutDerivative(at: logP.map { $0.isFinite ? 1 : 0 }), logP,
                withoutDerivative(at: Tensor.zeros(logP.shape)))).sum(alongAxes: [-1])
    }

    public func enumerateSupport() -> Tensor? {
        let batch = batchShape.reduce(1, *)
        return Tensor(
            shape: [classes] + batchShape, scalars: (0..<classes).flatMap { Array(repeating: Float($0), count: batch) })
    }

    /// A class index has no meaningful mean or variance: NaN, as in torch.
    public var mean: Tensor { Tensor(repeating: .nan, shape: batchShape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: batchShape) }
}
