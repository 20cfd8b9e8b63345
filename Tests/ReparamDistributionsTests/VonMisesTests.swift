import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

struct VonMisesCase: Sendable {
    let loc: Float, kappa: Float, x: [Float], logProb: [Double], cdf: [Double], entropy: Double
}

@Suite struct VonMisesTests {
    /// scipy.stats.vonmises(κ, loc): logpdf, cdf and entropy.
    static let cases = [
        VonMisesCase(
            loc: 0.5, kappa: 2, x: [-2, 0.1, 0.5, 0.8, 2.2],
            logProb: [
                -4.2641578389861685, -0.8197486187259744, -0.6618706078923016, -0.7511976366868405, -2.919559691055877,
            ],
            cdf: [0.0069850056945373745, 0.30406430734423484, 0.5, 0.6502649387313026, 0.9704272802569376],
            entropy: 1.2663212919642852),
        VonMisesCase(
            loc: -1, kappa: 0.3, x: [-3.5, -1.4, -1, -0.7, 0.7],
            logProb: [
                -2.100594839695468, -1.583933454045185, -1.5602517550313877, -1.5736508093505686, -1.8989050997735752,
            ],
            cdf: [0.07549185356377454, 0.4166289210596271, 0.5, 0.5627437489913759, 0.8168828283019048],
            entropy: 1.8157505269491252),
        VonMisesCase(
            loc: 2, kappa: 40, x: [-0.5, 1.6, 2, 2.3, 3.7],
            logProb: [
                -71.12340854963905, -2.2352237962680372, 0.922336072238298, -0.8642037990774423, -44.23144559103321,
            ],
            cdf: [1.2859158182720876e-13, 0.006124549762433873, 0.5, 0.9702321913559653, 1.0],
            entropy: -0.4191297256923221),
    ]

    @Test(arguments: VonMisesTests.cases)
    func matchesScipy(_ c: VonMisesCase) {
        let d = VonMises(loc: Tensor(c.loc), concentration: Tensor(c.kappa))
        let lp = d.logProb(Tensor(c.x)), cdf = d.cdf(Tensor(c.x))
        for i in 0..<c.x.count {
            #expect(
                Swift.abs(Double(lp.scalars[i]) - c.logProb[i]) <= 2e-5 * Swift.max(1, Swift.abs(c.logProb[i])),
                "logProb(\(c.x[i]))")
            #expect(
                Swift.abs(Double(cdf.scalars[i]) - c.cdf[i]) <= 1e-6, "cdf(\(c.x[i])): \(cdf.scalars[i]) vs \(c.cdf[i])"
            )
        }
        #expect(Swift.abs(Double(d.entropy().scalarValue) - c.entropy) <= 2e-5 * Swift.max(1, Swift.abs(c.entropy)))
    }

    /// Draws follow the CDF (5 binomial SEs) and stay in [μ − π, μ + π).
    @Test(arguments: [(Float(0.5), Float(2)), (-1, 0.3), (2, 40)])
    func samplesFollowTheCDF(loc: Float, kappa: Float) {
        let d = VonMises(loc: Tensor(loc), concentration: Tensor(kappa))
        let n = 40_000
        let z = d.rsample(RandomKey(seed: 95), sampleShape: [n]).scalars
        #expect(z.allSatisfy { $0 >= loc - Float.pi - 1e-5 && $0 < loc + Float.pi + 1e-5 })
        for offset: Float in [-1, -0.1, 0.4] {
            let t = loc + offset / kappa.squareRoot()
            expectFrequency(
                z.filter { $0 <= t }.count, of: n, near: Double(d.cdf(Tensor(t)).scalarValue), "P(Z ≤ \(t))")
        }
    }

    /// The implicit κ-gradient: E[cos(z − μ)] = I₁(κ)/I₀(κ), so ∂/∂κ E[cos(z − μ)] = 1 − A/κ − A²
    /// with A = I₁/I₀, within 5 standard errors of per-sample gradients; ∂z/∂μ = 1.
    @Test(arguments: [Float(0.7), 3, 25])
    func concentrationGradientMatchesClosedForm(kappa: Float) {
        let n = 30_000
        let key = RandomKey(seed: 96)
        let kappas = Tensor(repeating: kappa, shape: [n])
        let g = gradient(at: kappas) { k in
            cos(VonMises(loc: Tensor(0.2), concentration: k).rsample(key) - 0.2).sumToFloat()
        }
        let a = Special.scaledBesselI(1, Double(kappa)) / Special.scaledBesselI(0, Double(kappa))
        let exact = 1 - a / Double(kappa) - a * a
        let values = g.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(n)
        let se = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
        #expect(Swift.abs(mean - exact) < 5 * se + 1e-6, "∂E[cos]/∂κ at κ = \(kappa): \(mean) ± \(se), exact \(exact)")
        let gLoc = gradient(at: Tensor(repeating: 0.2, shape: [8])) { m in
            VonMises(loc: m, concentration: Tensor(kappa)).rsample(key).sumToFloat()
        }
        #expect(gLoc.scalars.allSatisfy { $0 == 1 })
    }
}
