import Foundation
import Reparam

/// The lab's test functions f(z), each with a parameter k.
public enum TestFunction: String, CaseIterable, Sendable {
    /// (z − k)²
    case square
    /// exp(−k z²)
    case gauss
    /// cos(k z)
    case cos

    public var formula: String {
        switch self {
        case .square: return "(z−k)²"
        case .gauss: return "exp(−k z²)"
        case .cos: return "cos(k z)"
        }
    }

    public func differentiable(k: Float) -> @differentiable(reverse) (Tensor) -> Tensor {
        switch self {
        case .square: return { z in Reparam.square(z - k) }
        case .gauss: return { z in exp(-k * Reparam.square(z)) }
        case .cos: return { z in Reparam.cos(k * z) }
        }
    }
}

/// The estimators `lab gaussian` compares. Baselines are held out (each draw's baseline comes
/// from the other draws), so every one of them is unbiased.
public enum GaussianEstimator: String, CaseIterable, Sendable {
    case pathwise
    case score
    case scoreMeanBaseline = "score-mean-baseline"
    case scoreOptimalBaseline = "score-optimal-baseline"
}

/// ∂/∂μ and ∂/∂σ of E_{N(μ, σ²)}[f(z)]: exact values and per-draw variances in closed form, and
/// measurements of the same quantities by the library's estimators.
public struct GaussianLab: Sendable {
    public var function: TestFunction
    public var k: Double
    public var mu: Double
    public var sigma: Double

    public init(function: TestFunction, k: Double, mu: Double, sigma: Double) {
        self.function = function
        self.k = k
        self.mu = mu
        self.sigma = sigma
    }

    /// The largest |μ|, σ and |k| the lab accepts: beyond it f, the score terms f·ε/σ and their
    /// squares leave Float's range, and the closed forms lose their digits to cancellation.
    public static let largest = 1e4
    /// The smallest σ/max(1, |μ|): the draws z = μ + σε are Float, whose spacing near μ is
    /// 2⁻²³·|μ|; below this σε is no longer resolved and the measured variances collapse.
    public static let smallestRelativeSigma = 1e-5

    /// Why μ, σ or k fall outside the range where the measured and closed-form numbers can be
    /// trusted, naming the flag; nil inside it.
    public var rangeProblem: String? {
        let largest = formatted(GaussianLab.largest)
        if !(abs(mu) <= GaussianLab.largest) { return "--mu must lie within ±\(largest), got \(mu)" }
        if !(abs(k) <= GaussianLab.largest) { return "--k must lie within ±\(largest), got \(k)" }
        let smallest = GaussianLab.smallestRelativeSigma * max(1, abs(mu))
        // The slack lets the printed bound itself through (10⁻⁵·3 rounds above 3·10⁻⁵).
        if !(sigma >= smallest * (1 - 1e-12) && sigma <= GaussianLab.largest) {
            return "--sigma must lie in [\(formatted(smallest)), \(largest)] at μ = \(formatted(mu)) "
                + "(Float draws resolve σ down to 10⁻⁵·max(1, |μ|)), got \(sigma)"
        }
        return nil
    }

    public static let parameters = ["mu", "sigma"]

    // MARK: Exact

    /// ∂E[f]/∂μ = E[f·ε]/σ and ∂E[f]/∂σ = E[f·(ε² − 1)]/σ (score identities).
    public var exactGradient: [Double] { scores.map { expectF($0) } }

    /// Variance of one draw of each estimator, per parameter, with s the score:
    /// pathwise E[f′²·(∂z/∂θ)²] − g²; score E[f² s²] − g²; mean baseline b = E[f]:
    /// E[(f − b)² s²] − g²; optimal b = E[f s²]/E[s²]: E[f² s²] − E[f s²]²/E[s²] − g².
    public func exactVariance(_ estimator: GaussianEstimator) -> [Double] {
        let g = exactGradient
        return (0..<2).map { j in
            let s = scores[j], s2 = s * s
            switch estimator {
            case .pathwise:
                return expectDerivativeSquared(j == 0 ? [1] : [0, 0, 1]) - g[j] * g[j]
            case .score:
                return expectFSquared(s2) - g[j] * g[j]
            case .scoreMeanBaseline:
                let b = expectF([1])
                return expectFSquared(s2) - 2 * b * expectF(s2) + b * b * integrals.expectation(s2) - g[j] * g[j]
            case .scoreOptimalBaseline:
                let fs2 = expectF(s2)
                return expectFSquared(s2) - fs2 * fs2 / integrals.expectation(s2) - g[j] * g[j]
            }
        }
    }

    var integrals: GaussianIntegrals { GaussianIntegrals(mu: mu, sigma: sigma) }
    /// s_μ = ε/σ, s_σ = (ε² − 1)/σ as polynomials in ε.
    var scores: [[Double]] { [[0, 1 / sigma], [-1 / sigma, 0, 1 / sigma]] }

    func expectF(_ p: [Double]) -> Double {
        switch function {
        case .square: return integrals.expectation(shifted * shifted * p)
        case .gauss: return integrals.gaussianWeighted(a: k, p)
        case .cos: return integrals.oscillatory(t: k, p).cos
        }
    }

    func expectFSquared(_ p: [Double]) -> Double {
        switch function {
        case .square: return integrals.expectation(shifted * shifted * shifted * shifted * p)
        case .gauss: return integrals.gaussianWeighted(a: 2 * k, p)
        case .cos: return 0.5 * integrals.expectation(p) + 0.5 * integrals.oscillatory(t: 2 * k, p).cos
        }
    }

    func expectDerivativeSquared(_ p: [Double]) -> Double {
        switch function {
        case .square: return integrals.expectation([4] * shifted * shifted * p)
        case .gauss: return integrals.gaussianWeighted(a: 2 * k, [4 * k * k] * integrals.z * integrals.z * p)
        case .cos: return k * k * (0.5 * integrals.expectation(p) - 0.5 * integrals.oscillatory(t: 2 * k, p).cos)
        }
    }

    /// z − k as a polynomial in ε.
    var shifted: [Double] { [mu - k, sigma] }

    // MARK: Measured

    /// `samples` independent per-draw estimates [samples, 2] of (∂/∂μ, ∂/∂σ), and the seconds taken.
    public func measure(_ estimator: GaussianEstimator, samples: Int, key: RandomKey) -> (
        estimates: Tensor, seconds: Double
    ) {
        let start = DispatchTime.now().uptimeNanoseconds
        let q = Normal(
            loc: Tensor(repeating: Float(mu), shape: [samples]),
            scale: Tensor(repeating: Float(sigma), shape: [samples]))
        let f = function.differentiable(k: Float(k))
        let estimates: Tensor
        if estimator == .pathwise {
            let g = pathwiseGradient(of: f, at: q, key: key, samples: 1).gradient
            estimates = GaussianLab.columns(g.loc, g.scale)
        } else {
            let z = q.sample(key)
            let s = gradient(at: q) { q in q.logProb(z).sumToFloat() }
            let baseline: HeldOutBaseline =
                estimator == .score ? .none : estimator == .scoreMeanBaseline ? .mean : .optimalConstant
            estimates = scoreFunctionRows(values: f(z), scores: GaussianLab.columns(s.loc, s.scale), baseline: baseline)
        }
        return (estimates, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    public func diagnose(_ estimator: GaussianEstimator, samples: Int, key: RandomKey) -> GradientDiagnostics {
        let (estimates, seconds) = measure(estimator, samples: samples, key: key)
        return GradientDiagnostics(
            estimator: estimator.rawValue, parameters: GaussianLab.parameters, estimates: estimates,
            exact: exactGradient, seconds: seconds)
    }

    static func columns(_ a: Tensor, _ b: Tensor) -> Tensor {
        concat([a.reshaped(to: [a.count, 1]), b.reshaped(to: [b.count, 1])], axis: 1)
    }
}
