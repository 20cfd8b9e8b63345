import _Differentiation
import ReparamRandom
import ReparamTensor
#if canImport(Glibc)
import Glibc
#endif

/// Poisson(rate λ) on {0, 1, …}: k log λ − λ − lnΓ(k + 1). Score-function only.
public struct Poisson: DiscreteDistribution, HasEntropy {
    public var rate: Tensor

    @differentiable(reverse)
    public init(rate: Tensor) { self.rate = rate }

    public static func validated(rate: Tensor) throws -> Poisson {
        try check(rate, "rate", of: "Poisson", .positive)
        return Poisson(rate: rate)
    }

    public func validate(value: Tensor) throws {
        if let index = value.scalars.firstIndex(where: { $0 < 0 || $0 != $0.rounded() || !$0.isFinite }) {
            throw DistributionError(distribution: "Poisson", parameter: "value", index: index, value: value.scalars[index],
                                    requirement: "must be a whole number ≥ 0")
        }
    }

    public var batchShape: [Int] { rate.shape }
    public var eventShape: [Int] { [] }

    /// Exact inverse-CDF draws: start at the normal approximation's quantile, then step with
    /// the pmf recurrence p(k+1) = p(k)·λ/(k+1) until F(k−1) < u ≤ F(k).
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let u = key.uniform(sampleShape + batchShape)
        let rates = rate.broadcasted(to: u.shape).scalars
        return Tensor(shape: u.shape, scalars: zip(u.scalars, rates).map { ui, lambda in
            Float(Poisson.quantile(Double(ui) + 0x1p-25, rate: Double(lambda)))
        })
    }

    static func quantile(_ u: Double, rate lambda: Double) -> Int {
        let z = 2.0.squareRoot() * Special.erfinv(2 * u - 1)
        var k = Swift.max(0, Int((lambda + z * lambda.squareRoot()).rounded()))
        var pmf = exp(Double(k) * log(lambda) - lambda - lgamma(Double(k) + 1))
        var cdf = 1 - Special.regularizedGammaP(Double(k) + 1, lambda).value  // F(k) = Q(k + 1, λ)
        while cdf < u {
            k += 1
            pmf *= lambda / Double(k)
            cdf += pmf
            if pmf == 0 && cdf < u { break }  // u beyond what Double resolves: stay in the tail
        }
        while k > 0 && cdf - pmf >= u {
            cdf -= pmf
            pmf *= Double(k) / lambda
            k -= 1
        }
        return k
    }

    /// k log λ − λ − lnΓ(k + 1) (evaluated in Double: the terms cancel for large λ)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { poissonLogMass(value, rate) }

    /// −Σₖ p(k) log p(k), summed over k up to λ + 20√λ + 20 (the rest is below 1e-80).
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let top = withoutDerivative(at: Int((rate.scalars.max() ?? 0) + 20 * (rate.scalars.max() ?? 0).squareRoot() + 20))
        let ks = withoutDerivative(at: Tensor(shape: [top + 1] + Array(repeating: 1, count: rate.rank), scalars: (0...top).map(Float.init)))
        let logP = poissonLogMass(ks, rate)
        return -(exp(logP) * logP).sum(alongAxes: [0])
    }

    public func enumerateSupport() -> Tensor? { nil }

    public var mean: Tensor { rate }
    public var variance: Tensor { rate }
}

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
        return Tensor(shape: u.shape, scalars: zip(u.scalars, logFail).map { ui, lf in
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
            throw DistributionError(distribution: "Binomial", parameter: "count", index: 0, value: Float(count), requirement: "must be ≥ 0")
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
        return Tensor(shape: shape, scalars: (0..<size).map { i in
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
        return Tensor(shape: [count + 1] + batchShape, scalars: (0...count).flatMap { Array(repeating: Float($0), count: batch) })
    }

    public var mean: Tensor { Float(count) * probabilities }
    public var variance: Tensor { Float(count) * probabilities * (1 - probabilities) }
}
