import _Differentiation
import ReparamRandom
import ReparamTensor
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

    @differentiable(reverse, wrt: logits)
    public init(temperature: Float, logits: Tensor) {
        self.temperature = temperature
        self.logits = logits
    }

    public static func validated(temperature: Float, logits: Tensor) throws -> RelaxedOneHotCategorical {
        try checkTemperature(temperature, of: "RelaxedOneHotCategorical")
        return RelaxedOneHotCategorical(temperature: temperature, logits: try Categorical.validated(logits: logits).logits)
    }

    public var batchShape: [Int] { Array(logits.shape.dropLast()) }
    public var eventShape: [Int] { [logits.shape.last!] }

    /// log y = logSoftmax((l + g)/T): finite even where y underflows.
    @differentiable(reverse, wrt: self)
    public func rsampleLog(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let g = key.gumbel(sampleShape + withoutDerivative(at: logits.shape))
        return logSoftmax((logits + g) / temperature)
    }

    @differentiable(reverse, wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor { exp(rsampleLog(key, sampleShape: sampleShape)) }

    /// Hard one-hot argmax forward, the relaxed sample's gradient backward (straight-through).
    @differentiable(reverse, wrt: self)
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
        return (logits - (temperature + 1) * logSample).sum(alongAxes: [-1]) - k * scaled.logSumExp(alongAxes: [-1]) + constant
    }

    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { logProb(logSample: log(value)) }

    /// E[y] has no closed form for T > 0; reported as NaN.
    public var mean: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
}

/// Binary Concrete: y = σ((l + L)/T) with L = log u − log(1 − u) logistic noise.
/// Differentiable but biased; see Bernoulli for the exact discrete family.
public struct RelaxedBernoulli: Relaxation {
    public var logits: Tensor
    @noDerivative public let temperature: Float

    @differentiable(reverse, wrt: logits)
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

    /// s = (l + L)/T, the logit of the sample (finite where y rounds to 0 or 1).
    @differentiable(reverse, wrt: self)
    public func rsampleLogit(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let u = key.uniform(sampleShape + withoutDerivative(at: logits.shape)).map { $0 + 0x1p-25 }
        return (logits + (log(u) - log1p(-u))) / temperature
    }

    @differentiable(reverse, wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor { sigmoid(rsampleLogit(key, sampleShape: sampleShape)) }

    /// 1 where y > ½, else 0, forward; the relaxed gradient backward.
    @differentiable(reverse, wrt: self)
    public func rsampleStraightThrough(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let y = rsample(key, sampleShape: sampleShape)
        return y + withoutDerivative(at: y.map { $0 > 0.5 ? 1 : 0 } - y)
    }

    /// Density of the logit s: log T + l − T·s − 2·softplus(l − T·s).
    @differentiable(reverse)
    public func logProb(logit s: Tensor) -> Tensor {
        log(withoutDerivative(at: Tensor(temperature))) + logits - temperature * s - 2 * softplus(logits - temperature * s)
    }

    /// Density of y: the logit's density − log y − log(1 − y).
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let s = log(value) - log1p(-value)
        return logProb(logit: s) - log(value) - log1p(-value)
    }

    public var mean: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: logits.shape) }
}

func checkTemperature(_ temperature: Float, of distribution: String) throws {
    guard temperature.isFinite && temperature > 0 else {
        throw DistributionError(distribution: distribution, parameter: "temperature", index: 0, value: temperature,
                                requirement: "must be positive and finite")
    }
}

/// One-hot of the argmax along the last axis forward; `y`'s gradient backward.
@differentiable(reverse)
public func straightThroughOneHot(_ y: Tensor) -> Tensor {
    let k = withoutDerivative(at: y.shape.last!)
    let hard = withoutDerivative(at: Tensor.oneHot((0..<(y.count / k)).map { row in
        let slice = y.scalars[(row * k)..<((row + 1) * k)]
        return slice.indices.max { slice[$0] < slice[$1] }! - row * k
    }, depth: k).reshaped(to: y.shape))
    return y + withoutDerivative(at: hard - y)
}

/// Temperature over training steps.
public enum TemperatureSchedule: Sendable, Equatable {
    case constant(Float)
    /// τ = max(floor, initial·e^{−rate·t}), t rounded down to a multiple of `every` steps
    /// (Jang et al.: r ∈ {1e-5, 1e-4}, N ∈ {500, 1000}, floor 0.5).
    case exponentialDecay(initial: Float, rate: Float, floor: Float, every: Int)

    public func temperature(atStep step: Int) -> Float {
        switch self {
        case .constant(let t): return t
        case let .exponentialDecay(initial, rate, floor, every):
            let t = Float(step / Swift.max(every, 1) * Swift.max(every, 1))
            return Swift.max(floor, initial * expf(-rate * t))
        }
    }
}
