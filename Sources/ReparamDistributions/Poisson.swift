import ReparamRandom
import ReparamTensor
import _Differentiation

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
            throw DistributionError(
                distribution: "Poisson", parameter: "value", index: index, value: value.scalars[index],
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
        return Tensor(
            shape: u.shape,
            scalars: zip(u.scalars, rates).map { ui, lambda in
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
        let top = withoutDerivative(
            at: Int((rate.scalars.max() ?? 0) + 20 * (rate.scalars.max() ?? 0).squareRoot() + 20))
        let ks = withoutDerivative(
            at: Tensor(shape: [top + 1] + Array(repeating: 1, count: rate.rank), scalars: (0...top).map(Float.init)))
        let logP = poissonLogMass(ks, rate)
        return -(exp(logP) * logP).sum(alongAxes: [0])
    }

    public func enumerateSupport() -> Tensor? { nil }

    public var mean: Tensor { rate }
    public var variance: Tensor { rate }
}
