import Foundation
import ReparamTensor

/// What an estimator's independent draws say about it, per parameter: mean, per-draw variance,
/// signal-to-noise ratio |mean|/sd, bias against an exact reference, cost, and how many samples
/// it needs for a target relative error.
public struct GradientDiagnostics: Sendable {
    public var estimator: String
    public var parameters: [String]
    public var draws: Int
    public var mean: [Double]
    /// Variance of one draw's estimate (not of the mean).
    public var variance: [Double]
    public var exact: [Double]?
    /// f evaluations behind one draw (K for K-sample estimators, 2 for antithetic pairs…).
    public var evaluationsPerDraw: Int
    public var secondsPerDraw: Double

    /// Summarizes rows of independent estimates (`estimates` is [draws, parameters], in Double
    /// accumulators).
    public init(
        estimator: String, parameters: [String], estimates: Tensor, exact: [Double]? = nil,
        evaluationsPerDraw: Int = 1, seconds: Double = 0
    ) {
        precondition(
            estimates.rank == 2 && estimates.shape[1] == parameters.count && estimates.shape[0] >= 2,
            "GradientDiagnostics: estimates \(estimates.shape) must be [draws ≥ 2, \(parameters.count)]")
        precondition(
            exact == nil || exact!.count == parameters.count, "GradientDiagnostics: exact has the wrong length")
        let (n, p) = (estimates.shape[0], estimates.shape[1])
        var mean = [Double](repeating: 0, count: p), m2 = [Double](repeating: 0, count: p)
        estimates.withUnsafeScalars { s in
            for row in 0..<n {
                for j in 0..<p {
                    let x = Double(s[row * p + j])
                    let delta = x - mean[j]
                    mean[j] += delta / Double(row + 1)
                    m2[j] += delta * (x - mean[j])
                }
            }
        }
        self.estimator = estimator
        self.parameters = parameters
        self.draws = n
        self.mean = mean
        self.variance = m2.map { $0 / Double(n - 1) }
        self.exact = exact
        self.evaluationsPerDraw = evaluationsPerDraw
        self.secondsPerDraw = seconds / Double(n)
    }

    /// Standard error of `mean`.
    public var standardError: [Double] { variance.map { ($0 / Double(draws)).squareRoot() } }
    /// |mean| / standard deviation of one draw.
    public var signalToNoise: [Double] { zip(mean, variance).map { abs($0) / $1.squareRoot() } }
    /// mean − exact.
    public var bias: [Double]? { exact.map { zip(mean, $0).map { $0 - $1 } } }
    /// Bias in units of its own standard error: beyond ~5 it is real, not noise.
    public var biasInStandardErrors: [Double]? {
        bias.map { zip($0, standardError).map { $1 > 0 ? $0 / $1 : 0 } }
    }

    /// f evaluations needed so the averaged estimate of parameter j is within `relativeError`
    /// of the exact value with probability `confidence`, from a normal approximation of the
    /// mean of n draws with this bias and variance. nil when the bias alone exceeds the target.
    public func samplesNeeded(parameter j: Int, relativeError: Double = 0.1, confidence: Double = 0.95) -> Double? {
        let target = relativeError * abs(exact?[j] ?? mean[j])
        let offset = abs(bias?[j] ?? 0)
        guard target > 0, offset < target else { return nil }
        let sd = variance[j].squareRoot()
        func coverage(_ n: Double) -> Double {
            let s = sd / n.squareRoot()
            return 0.5
                * (Special.erf((target - offset) / (s * 2.0.squareRoot()))
                    + Special.erf((target + offset) / (s * 2.0.squareRoot())))
        }
        if sd == 0 || coverage(1) >= confidence { return Double(evaluationsPerDraw) }
        var (low, high) = (1.0, 2.0)
        while coverage(high) < confidence {
            (low, high) = (high, high * 2)
            if high > 1e18 { return nil }
        }
        for _ in 0..<60 {
            let middle = (low * high).squareRoot()
            if coverage(middle) >= confidence { high = middle } else { low = middle }
        }
        return high.rounded(.up) * Double(evaluationsPerDraw)
    }
}
