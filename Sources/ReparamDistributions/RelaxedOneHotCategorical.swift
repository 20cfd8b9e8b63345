import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// Gumbel-softmax / Concrete (Maddison et al., Jang et al.): y = softmax((l + g)/T) on the
/// simplex, g standard Gumbel. Differentiable but biased: as T → 0 it approaches
/// OneHotCategorical(l), with gradients whose variance grows as T shrinks.
///
/// The sample is formed in log space, log y = logSoftmax((l + g)/T). At small T most yₖ
/// underflow to exactly 0 in Float although log yₖ is finite, so densities should be taken
/// from `rsampleLog` with `logProb(logSample:)`; `logProb(y)` is exact only where y > 0.
public struct RelaxedOneHotCategorical: Relaxation {
    public var logits: Tensor
    @noDerivative public let temperature: Float

    @differentiable(reverse,wrt: logits)
    public init(temperature: Float, logits: Tensor) {
        self.temperature = temperature
        self.logits = logits
    }

    public static func validated(temperature: Float, logits: Tensor) throws -> RelaxedOneHotCategorical {
        try checkTemperature(temperature, of: "RelaxedOneHotCategorical")
        return RelaxedOneHotCategorical(
            temperature: temperature, logits: try Categorical.validated(logits: logits).logits)
    }

    public var batchShape: [Int] { Array(logits.shape.dropLast()) }
    public var eventShape: [Int] { [logits.shape.last!] }

    /// log y = logSoftmax((l + g)/T): finite even where y underflows.
    @differentiable(reverse,wrt: self)
    public func rsampleLog(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let g = key.gumbel(sampleShape + withoutDerivative(at: logits.shape))
        return logSoftmax((logits + g) / temperature)
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        exp(rsampleLog(key, sampleShape: sampleShape))
    }

    /// Hard one-hot argmax forward, the relaxed sample's gradient backward (straight-through).
    @differentiable(reverse,wrt: self)
    public func rsampleStraightThrough(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        straightThroughOneHot(rsample(key, sampleShape: sampleShape))
    }

    /// log p(y) = lnΓ(K) + (K−1) log T + Σₖ(lₖ − (T+1) log yₖ) − K·logΣexp(l − T log y),
    /// from log y directly.
    @differentiable(reverse)
    public func logProb(logSample: Tensor) -> Tensor {
        let k = withoutDerivative(at: Float(logits.shape.last!))
        let scaled = logits - temperature * logSample
        let constant = withoutDerivative(at: Float(lgamma(Double(k))) + (k - 1) * logf(temperature))
        return (logits - (temperature + 1) * logSample).sum(alongAxes: [-1]) - k * scaled.logSumExp(alongAxes: [-1])
            + constant
    }

    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { logProb(logSample: log(value)) }

    /// E[y] has no closed form for T > 0; reported as NaN.
    public var mean: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
}
