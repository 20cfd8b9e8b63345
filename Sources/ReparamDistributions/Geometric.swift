import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// Geometric(probability p): failures before the first success, k ∈ {0, 1, …}:
/// k log(1 − p) + log p. Score-function only.
public struct Geometric: DiscreteDistribution, HasEntropy {
    public var logits: Tensor

    @differentiable(reverse)
    public init(logits: Tensor) { self.logits = logits }

    public static func validated(probabilities: Tensor) throws -> Geometric {
        try check(probabilities, "probabilities", of: "Geometric", .above(0))
        try check(probabilities, "probabilities", of: "Geometric", .probability)
        return Geometric(logits: log(probabilities) - log1p(-probabilities))
    }

    public var batchShape: [Int] { logits.shape }
    public var eventShape: [Int] { [] }
    public var probabilities: Tensor { sigmoid(logits) }

    /// k = ⌊log u / log(1 − p)⌋
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let u = key.uniform(sampleShape + batchShape)
        let logFail = logSigmoid(-logits).broadcasted(to: u.shape).scalars
        return Tensor(
            shape: u.shape,
            scalars: zip(u.scalars, logFail).map { ui, lf in
                lf == 0 ? .infinity : (logf(ui + 0x1p-25) / lf).rounded(.down)
            })
    }

    /// k·log σ(−l) + log σ(l)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { value * logSigmoid(-logits) + logSigmoid(logits) }

    /// (−(1 − p) log(1 − p) − p log p)/p
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let p = sigmoid(logits)
        return -((1 - p) * logSigmoid(-logits) + p * logSigmoid(logits)) / p
    }

    public func enumerateSupport() -> Tensor? { nil }

    public var mean: Tensor { exp(-logits) }  // (1 − p)/p
    public var variance: Tensor { exp(-logits) / sigmoid(logits) }  // (1 − p)/p²
}
