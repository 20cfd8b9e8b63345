import Foundation
import Reparam
import Testing

@testable import ReparamLab

/// E[h(ε)] for ε ~ N(0, 1) by the trapezoid rule on [−14, 14]: spectrally accurate for the
/// smooth, Gaussian-damped integrands here, and independent of the closed forms.
private func quadrature(_ h: (Double) -> Double) -> Double {
    let n = 40_000, width = 28.0 / Double(n)
    return (0...n).reduce(0.0) { total, i in
        let e = -14 + Double(i) * width
        return total + h(e) * exp(-e * e / 2) / (2 * Double.pi).squareRoot() * width * (i == 0 || i == n ? 0.5 : 1)
    }
}

private let cases: [GaussianLab] = [
    GaussianLab(function: .square, k: 0.3, mu: 1, sigma: 0.5),
    GaussianLab(function: .gauss, k: 0.8, mu: 0.4, sigma: 0.9),
    GaussianLab(function: .cos, k: 2, mu: -0.3, sigma: 0.7),
    GaussianLab(function: .cos, k: 0.5, mu: 1.2, sigma: 0.05),
]

@Suite("lab gaussian: closed forms")
struct GaussianClosedFormTests {
    @Test("exact gradients and per-draw variances agree with quadrature", arguments: cases)
    func closedForms(lab: GaussianLab) {
        let (mu, sigma, k) = (lab.mu, lab.sigma, lab.k)
        let f: (Double) -> Double, derivative: (Double) -> Double
        switch lab.function {
        case .square: (f, derivative) = ({ ($0 - k) * ($0 - k) }, { 2 * ($0 - k) })
        case .gauss: (f, derivative) = ({ exp(-k * $0 * $0) }, { -2 * k * $0 * exp(-k * $0 * $0) })
        case .cos: (f, derivative) = ({ Foundation.cos(k * $0) }, { -k * Foundation.sin(k * $0) })
        }
        let score: [(Double) -> Double] = [{ $0 / sigma }, { ($0 * $0 - 1) / sigma }]
        let pathwise: [(Double) -> Double] = [{ derivative(mu + sigma * $0) }, { derivative(mu + sigma * $0) * $0 }]
        let mean = quadrature { f(mu + sigma * $0) }
        for j in 0..<2 {
            let g = quadrature(pathwise[j])
            #expect(
                abs(lab.exactGradient[j] - g) <= 1e-9 * max(1, abs(g)),
                "\(lab.function) gradient \(j): \(lab.exactGradient[j]) vs \(g)")
            let optimal =
                quadrature { f(mu + sigma * $0) * score[j]($0) * score[j]($0) }
                / quadrature { score[j]($0) * score[j]($0) }
            let perDraw: [(GaussianEstimator, (Double) -> Double)] = [
                (.pathwise, pathwise[j]),
                (.score, { f(mu + sigma * $0) * score[j]($0) }),
                (.scoreMeanBaseline, { (f(mu + sigma * $0) - mean) * score[j]($0) }),
                (.scoreOptimalBaseline, { (f(mu + sigma * $0) - optimal) * score[j]($0) }),
            ]
            for (estimator, h) in perDraw {
                let variance = quadrature { h($0) * h($0) } - g * g
                let closed = lab.exactVariance(estimator)[j]
                #expect(
                    abs(closed - variance) <= 1e-8 * max(1, abs(variance)),
                    "\(lab.function) \(estimator) \(j): \(closed) vs \(variance)")
            }
        }
    }
}

@Suite("lab gaussian: measured against exact")
struct GaussianMeasuredTests {
    @Test("means and variances within 5 standard errors", arguments: GaussianEstimator.allCases)
    func measured(estimator: GaussianEstimator) {
        let lab = cases[1], n = 200_000
        let (rows, _) = lab.measure(estimator, samples: n, key: RandomKey(seed: 21))
        let d = GradientDiagnostics(
            estimator: estimator.rawValue, parameters: GaussianLab.parameters, estimates: rows, exact: lab.exactGradient
        )
        let exactVariance = lab.exactVariance(estimator)
        for j in 0..<2 {
            #expect(
                abs(d.biasInStandardErrors![j]) < 5, "\(estimator) \(j): mean \(d.mean[j]) vs \(lab.exactGradient[j])")
            // SE of a sample variance: √((m₄ − v²)/n), m₄ the fourth central moment.
            let column = (0..<n).map { Double(rows.scalars[$0 * 2 + j]) - d.mean[j] }
            let m4 = column.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
            let se = ((m4 - d.variance[j] * d.variance[j]) / Double(n)).squareRoot()
            #expect(
                abs(d.variance[j] - exactVariance[j]) < 5 * se,
                "\(estimator) \(j): variance \(d.variance[j]) vs \(exactVariance[j]) ± \(se)")
        }
    }
}

@Suite("Gaussian lab at the edges of its range")
struct GaussianLabRangeTests {
    @Test("μ, σ and k outside the trusted range are refused, naming the flag")
    func refused() {
        let cases: [(GaussianLab, String)] = [
            (GaussianLab(function: .square, k: 0, mu: 1, sigma: 1e-9), "--sigma"),
            (GaussianLab(function: .square, k: 0, mu: 1e4, sigma: 1e-2), "--sigma"),  // below 10⁻⁵·|μ|
            (GaussianLab(function: .square, k: 0, mu: 1, sigma: 1e5), "--sigma"),
            (GaussianLab(function: .square, k: 0, mu: 2e4, sigma: 1), "--mu"),
            (GaussianLab(function: .cos, k: -3e4, mu: 0, sigma: 1), "--k"),
        ]
        for (lab, flag) in cases { #expect(lab.rangeProblem?.contains(flag) == true, "\(lab)") }
        #expect(GaussianLab(function: .gauss, k: 1, mu: -1e4, sigma: 0.1).rangeProblem == nil)
    }

    /// At the corners of the accepted range no closed-form variance is reported negative or
    /// infinite (one that rounding ruined is left out as null), and the measured ones are finite.
    @Test("no negative or non-finite 'exact' variance anywhere in the range", arguments: TestFunction.allCases)
    func corners(function: TestFunction) {
        let corners = [(1e4, 0.1, 0.0), (-1e4, 1e4, 1.0), (1.0, 1e-5, 1.0), (0.0, 1e-5, 3.0), (3.0, 3e-5, 3.0)]
        for (mu, sigma, k) in corners {
            let lab = GaussianLab(function: function, k: function == .gauss ? abs(k) : k, mu: mu, sigma: sigma)
            #expect(lab.rangeProblem == nil)
            for record in lab.compare(samples: 2_000, key: RandomKey(seed: 5)).records {
                let fields = Dictionary(uniqueKeysWithValues: record.fields.map { ($0.0, $0.1) })
                if case .number(let exact)? = fields["exact_variance"] {
                    #expect(exact.isNaN || (exact.isFinite && exact >= 0), "\(function) μ \(mu) σ \(sigma): \(exact)")
                }
                if case .number(let measured)? = fields["variance"] {
                    #expect(measured.isFinite && measured >= 0, "\(function) μ \(mu) σ \(sigma): measured \(measured)")
                }
            }
        }
    }
}
