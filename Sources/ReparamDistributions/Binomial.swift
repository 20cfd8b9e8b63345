import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// Binomial(count n, logits l) on {0, …, n}: lnC(n, k) + k·l − n·softplus(l). Score-function only.
public struct Binomial: DiscreteDistribution, HasEntropy {
    @noDerivative public let count: Int
    public var logits: Tensor

    @differentiable(reverse)
    public init(count: Int, logits: Tensor) {
        self.count = count
        self.logits = logits
    }

    public static func validated(count: Int, probabilities: Tensor) throws -> Binomial {
        guard count >= 0 else {
            throw DistributionError(
                distribution: "Binomial", parameter: "count", index: 0, value: Float(count), requirement: "must be ≥ 0")
        }
        try check(probabilities, "probabilities", of: "Binomial", .probability)
        return Binomial(count: count, logits: log(probabilities) - log1p(-probabilities))
    }

    public var batchShape: [Int] { logits.shape }
    public var eventShape: [Int] { [] }
    public var probabilities: Tensor { sigmoid(logits) }

    /// The number of n uniforms below p.
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = sampleShape + batchShape
        let u = key.uniform([count] + shape).scalars
        let p = probabilities.broadcasted(to: shape).scalars
        let size = p.count
        return Tensor(
            shape: shape,
            scalars: (0..<size).map { i in
                Float((0..<count).reduce(0) { $0 + (u[$1 * size + i] < p[i] ? 1 : 0) })
            })
    }

    /// lnΓ(n+1) − lnΓ(k+1) − lnΓ(n−k+1) + k·l − n·softplus(l)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let n = withoutDerivative(at: Float(count))
        return logBinomialCoefficient(n, value) + value * logits - n * softplus(logits)
    }

    /// −Σₖ p(k) log p(k) over the n + 1 values.
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let support = withoutDerivative(at: enumerateSupport()!)
        let logP = logProb(support)
        return -(exp(logP) * logP).sum(alongAxes: [0])
    }

    public func enumerateSupport() -> Tensor? {
        let batch = batchShape.reduce(1, *)
        return Tensor(
            shape: [count + 1] + batchShape, scalars: (0...count).flatMap { Array(repeating: Float($0), count: batch) })
    }

    public var mean: Tensor { Float(count) * probabilities }
    public var variance: Tensor { Float(count) * probabilities * (1 - probabilities) }
}
