import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

/// Discrete families, Dirichlet moments and entropy, against scipy.stats 1.17.1 (bernoulli,
/// poisson, geom with loc = −1 for failures-before-success, binom, dirichlet).
@Suite struct ScipyReferenceTests {
    func expectClose(
        _ got: Float, _ expected: Double, _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            Swift.abs(Double(got) - expected) <= 2e-5 * Swift.max(1, Swift.abs(expected)),
            "\(label): \(got) vs \(expected)",
            sourceLocation: sourceLocation)
    }

    @Test func bernoulli() throws {
        let d = try Bernoulli.validated(probabilities: Tensor([0.3, 0.3, 0.97]))
        let lp = d.logProb(Tensor([1, 0, 0]))
        for (i, e) in [-1.2039728043259361, -0.35667494393873245, -3.506557897319981].enumerated() {
            expectClose(lp.scalars[i], e, "logpmf \(i)")
        }
        expectClose(d.entropy().scalars[0], 0.6108643020548935, "entropy(0.3)")
        expectClose(d.entropy().scalars[2], 0.13474216817976684, "entropy(0.97)")
    }

    @Test func poisson() {
        let d = Poisson(rate: Tensor([0.4, 7.5, 3000]))
        let lp = d.logProb(Tensor([0, 3, 2950]))
        for (i, e) in [-0.4, -3.247050407601261, -5.332747973130608].enumerated() {
            expectClose(lp.scalars[i], e, "logpmf \(i)")
        }
        for (i, e) in [0.819071203753557, 2.414335980371919, 5.422094534604321].enumerated() {
            expectClose(d.entropy().scalars[i], e, "entropy \(i)")
        }
    }

    @Test func geometric() throws {
        let d = try Geometric.validated(probabilities: Tensor([0.3, 0.3, 0.01]))
        let lp = d.logProb(Tensor([0, 5, 300]))
        for (i, e) in [-1.2039728043259361, -2.987347524019598, -7.620270942038523].enumerated() {
            expectClose(lp.scalars[i], e, "logpmf \(i)")
        }
        expectClose(d.entropy().scalars[0], 2.036214340182978, "entropy(0.3)")
        expectClose(d.entropy().scalars[2], 5.600153435484733, "entropy(0.01)")
        expectClose(d.mean.scalars[2], 99, "mean(0.01)")
        expectClose(d.variance.scalars[0], 7.777777777777779, "variance(0.3)")
        expectClose(d.variance.scalars[2], 9900, "variance(0.01)")
    }

    @Test func binomial() throws {
        let d = try Binomial.validated(count: 12, probabilities: Tensor([0.25, 0.9, 0.5]))
        let lp = d.logProb(Tensor([3, 12, 0]))
        for (i, e) in [-1.3543941890733384, -1.2643261878939154, -8.317766166719343].enumerated() {
            expectClose(lp.scalars[i], e, "logpmf \(i)")
        }
        expectClose(d.entropy().scalars[0], 1.8100459794092398, "entropy(0.25)")
        expectClose(d.entropy().scalars[1], 1.3802014088807477, "entropy(0.9)")
    }

    @Test func dirichletMomentsAndEntropy() {
        let tiny = Dirichlet(concentration: Tensor([0.01, 0.01, 0.01, 0.02, 0.05]))
        expectClose(tiny.entropy().scalarValue, -298.1808734344127, "entropy, α = 0.01…")
        for (i, e) in [
            0.09999999813735484, 0.09999999813735484, 0.09999999813735484, 0.19999999627470968, 0.5000000093132257,
        ].enumerated() {
            expectClose(tiny.mean.scalars[i], e, "mean \(i)")
        }
        for (i, e) in [
            0.08181818049123955, 0.08181818049123955, 0.08181818049123955, 0.14545454347182893, 0.22727272734969597,
        ].enumerated() {
            expectClose(tiny.variance.scalars[i], e, "variance \(i)")
        }
        expectClose(
            Dirichlet(concentration: Tensor([1.5, 0.5, 2])).entropy().scalarValue, -1.5068434306052672,
            "entropy, α = (1.5, 0.5, 2)")
    }

    /// TanhNormal draws: P(Y ≤ tanh q) = Φ((q − μ)/σ), within 5 binomial standard errors.
    @Test func tanhNormalDraws() {
        let d = TanhNormal(loc: Tensor(0.4), scale: Tensor(0.9))
        let n = 50_000
        let y = d.rsample(RandomKey(seed: 97), sampleShape: [n]).scalars
        for q: Float in [-1, 0.4, 1.5] {
            let p = Double(Normal(loc: Tensor(0.4), scale: Tensor(0.9)).cdf(Tensor(q)).scalarValue)
            expectFrequency(y.filter { $0 <= Foundation.tanh(q) }.count, of: n, near: p, "P(Y ≤ tanh \(q))")
        }
    }

    /// Beta and Dirichlet KL gradients against central differences.
    @Test func betaAndDirichletKLGradients() {
        let parameters = Tensor([0.7, 2.5, 1.5, 1.2])
        let beta: @differentiable(reverse) (Tensor) -> Float = { t in
            klDivergence(
                Beta(alpha: t.slice(axis: 0, 0..<1), beta: t.slice(axis: 0, 1..<2)),
                Beta(alpha: t.slice(axis: 0, 2..<3), beta: t.slice(axis: 0, 3..<4))
            ).sumToFloat()
        }
        #expect(
            GradientCheck.maxRelativeError(
                gradient(at: parameters, of: beta),
                GradientCheck.numericalGradient(of: { beta($0) }, at: parameters)) < 2e-3)
        let q = Dirichlet(concentration: Tensor([1, 2, 0.5]))
        let concentration = Tensor([1.5, 0.5, 2])
        let g = gradient(at: concentration) { c in klDivergence(Dirichlet(concentration: c), q).sumToFloat() }
        let n = GradientCheck.numericalGradient(
            of: { klDivergence(Dirichlet(concentration: $0), q).sumToFloat() }, at: concentration)
        #expect(GradientCheck.maxRelativeError(g, n) < 2e-3)
    }
}
