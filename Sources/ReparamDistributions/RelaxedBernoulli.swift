import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// Binary Concrete: y = σ((l + L)/T) with L = log u − log(1 − u) logistic noise, i.e.
/// `TransformedDistribution(Logistic(l/T, 1/T), Sigmoid)`.
/// Differentiable but biased; see Bernoulli for the exact discrete family.
public struct RelaxedBernoulli: Relaxation {
    public var logits: Tensor
    @noDerivative public let temperature: Float

    @differentiable(reverse,wrt: logits)
    public init(temperature: Float, logits: Tensor) {
        self.temperature = temperature
        self.logits = logits
    }

    public static func validated(temperature: Float, logits: Tensor) throws -> RelaxedBernoulli {
        try checkTemperature(temperature, of: "RelaxedBernoulli")
        return RelaxedBernoulli(temperature: temperature, logits: try Bernoulli.validated(logits: logits).logits)
    }

    public var batchShape: [Int] { logits.shape }
    public var eventShape: [Int] { [] }

    /// The logit of the sample, s = (l + L)/T ~ Logistic(l/T, 1/T).
    @differentiable(reverse)
    public var logit: Logistic {
        Logistic(loc: logits / temperature, scale: withoutDerivative(at: Tensor(1 / temperature)))
    }

    @differentiable(reverse)
    public var transformed: TransformedDistribution<Logistic, Sigmoid> {
        TransformedDistribution(base: logit, bijector: Sigmoid())
    }

    /// s = (l + L)/T, the logit of the sample (finite where y rounds to 0 or 1).
    @differentiable(reverse,wrt: self)
    public func rsampleLogit(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        logit.rsample(key, sampleShape: sampleShape)
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        transformed.rsample(key, sampleShape: sampleShape)
    }

    /// 1 where y > ½, else 0, forward; the relaxed gradient backward.
    @differentiable(reverse,wrt: self)
    public func rsampleStraightThrough(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let y = rsample(key, sampleShape: sampleShape)
        return y + withoutDerivative(at: y.map { $0 > 0.5 ? 1 : 0 } - y)
    }

    /// Density of the logit s: log T + l − T·s − 2·softplus(l − T·s).
    @differentiable(reverse)
    public func logProb(logit s: Tensor) -> Tensor { logit.logProb(s) }

    /// Density of y: the logit's density − log y − log(1 − y).
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { transformed.logProb(value) }

    public var mean: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
}
