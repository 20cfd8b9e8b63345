import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@Suite struct SimplexAndSquashedTests {
    /// Dirichlet(α = 0.01, K = 5): log-space samples stay finite and on the simplex, each
    /// coordinate's mean is αₖ/α₀ within 5 standard errors, and no draw collapses to 1/K.
    @Test func dirichletWithTinyConcentration() {
        let alpha = Tensor([0.01, 0.01, 0.01, 0.02, 0.05])
        let d = Dirichlet(concentration: alpha)
        let n = 20_000
        let logY = d.rsampleLog(RandomKey(seed: 71), sampleShape: [n])
        #expect(logY.scalars.allSatisfy { $0.isFinite && $0 <= 0 })
        #expect(d.logProb(logSample: logY).scalars.allSatisfy { $0.isFinite })
        let y = exp(logY)
        for k in 0..<5 {
            let column = (0..<n).map { Double(y.scalars[$0 * 5 + k]) }
            let mean = column.reduce(0, +) / Double(n)
            let exact = Double(d.mean.scalars[k]), variance = Double(d.variance.scalars[k])
            #expect(
                Swift.abs(mean - exact) < 5 * (variance / Double(n)).squareRoot(), "E[y\(k)] = \(mean), exact \(exact)")
        }
        let nearUniform = (0..<n).filter { row in (0..<5).allSatisfy { Swift.abs(y.scalars[row * 5 + $0] - 0.2) < 0.01 }
        }.count
        #expect(nearUniform == 0)
    }

    /// Pathwise identities through the implicit Gamma gradients: ∂E[y]/∂α equals the derivative
    /// of the closed-form mean, within 5 standard errors of 100 000 per-sample gradients.
    @Test func betaAndDirichletMeanGradients() {
        let n = 100_000
        let key = RandomKey(seed: 72)
        let a: Float = 0.7, b: Float = 2.5
        let (ga, gb) = gradient(at: Tensor(repeating: a, shape: [n]), Tensor(repeating: b, shape: [n])) { x, y in
            Beta(alpha: x, beta: y).rsample(key).sumToFloat()
        }
        let exactA = Double(b / ((a + b) * (a + b))), exactB = Double(-a / ((a + b) * (a + b)))
        for (g, exact, name) in [(ga, exactA, "α"), (gb, exactB, "β")] {
            let v = g.scalars.map(Double.init)
            let mean = v.reduce(0, +) / Double(n)
            let se = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
            #expect(Swift.abs(mean - exact) < 5 * se, "∂E[y]/∂\(name): \(mean) ± \(se), exact \(exact)")
        }
        // Dirichlet: ∂E[y₀]/∂α₀ = (α₀_total − α₀)/α_total² for concentrations [1.5, 0.5, 2].
        let concentration = Tensor(rows: Array(repeating: [1.5, 0.5, 2], count: n))
        let g = gradient(at: concentration) { c in
            Dirichlet(concentration: c).rsample(key).slice(axis: 1, 0..<1).sumToFloat()
        }
        let column = (0..<n).map { Double(g.scalars[$0 * 3]) }
        let mean = column.reduce(0, +) / Double(n)
        let se = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
        #expect(Swift.abs(mean - 2.5 / 16) < 5 * se, "∂E[y₀]/∂α₀: \(mean) ± \(se)")
    }

    @Test func betaAndDirichletKL() {
        let p = Beta(alpha: Tensor([0.7, 3]), beta: Tensor([2.5, 1.2])),
            q = Beta(alpha: Tensor([1.5, 2]), beta: Tensor([1, 4]))
        let (estimate, se) = monteCarloKL(p, q, key: RandomKey(seed: 73), samples: 400_000)
        let exact = klDivergence(p, q)
        for i in 0..<2 {
            #expect(Swift.abs(estimate.scalars[i] - exact.scalars[i]) <= 5 * se.scalars[i], "Beta KL[\(i)]")
        }
        let dp = Dirichlet(concentration: Tensor([1.5, 0.5, 2])), dq = Dirichlet(concentration: Tensor([1, 1, 1]))
        let (dEstimate, dSE) = monteCarloKL(dp, dq, key: RandomKey(seed: 74), samples: 400_000)
        #expect(Swift.abs(dEstimate.scalarValue - klDivergence(dp, dq).scalarValue) <= 5 * dSE.scalarValue)
    }

    @Test func tanhNormal() {
        let d = TanhNormal(loc: Tensor(0.4), scale: Tensor(0.9))
        // The density of y integrates to 1 over (−1, 1) (midpoint rule, 40 000 points).
        let m = 40_000
        let y = Tensor((0..<m).map { -1 + 2 * (Float($0) + 0.5) / Float(m) })
        let total = exp(d.logProb(y)).scalars.reduce(0.0) { $0 + Double($1) } * 2 / Double(m)
        #expect(Swift.abs(total - 1) < 2e-3)
        // Far in the tail tanh rounds to ±1; the pre-squash form stays finite, with finite gradients.
        let wide = TanhNormal(loc: Tensor(0), scale: Tensor(30))
        let both = wide.rsampleWithLogProb(RandomKey(seed: 75), sampleShape: [1000])
        #expect(both.slice(axis: 0, 1..<2).scalars.allSatisfy { $0.isFinite })
        let g = gradient(at: Tensor(30)) { s in
            TanhNormal(loc: Tensor(0), scale: s).rsampleWithLogProb(RandomKey(seed: 75), sampleShape: [1000])
                .sumToFloat()
        }
        #expect(g.scalarValue.isFinite)
    }

    @Test func independentSumsEventDimensions() {
        let base = Normal(loc: Tensor(rows: [[0, 1, 2], [3, 4, 5]]), scale: Tensor(0.5))
        let d = Independent(base, reinterpretedDimensions: 1)
        #expect(d.batchShape == [2] && d.eventShape == [3])
        let x = d.rsample(RandomKey(seed: 76))
        #expect(GradientCheck.maxRelativeError(d.logProb(x), base.logProb(x).sum(alongAxes: [-1])) < 1e-6)
        let q = Independent(Normal(loc: Tensor(0), scale: Tensor([1, 2, 3])), reinterpretedDimensions: 1)
        let pFlat = Independent(
            Normal(loc: Tensor([0.5, -1, 0]), scale: Tensor([0.3, 1, 2])), reinterpretedDimensions: 1)
        #expect(Swift.abs(klDivergence(pFlat, q).scalarValue - klDivergence(pFlat.base, q.base).sumToFloat()) < 1e-5)
    }
}

@Suite struct MixtureTests {
    let weights = Tensor([0.3, -0.4, 1.1])
    let locs = Tensor([-2, 0.5, 3]), scales = Tensor([0.5, 1, 0.7])

    @Test func densityAndCDFAreTheWeightedComponents() {
        let mixture = MixtureSameFamily(mixtureLogits: weights, components: Normal(loc: locs, scale: scales))
        let x = Tensor([-2.2, 0.1, 2.9, 6])
        let w = softmax(weights).scalars
        for i in 0..<x.count {
            var density = 0.0, cumulative = 0.0
            for k in 0..<3 {
                let component = Normal(loc: Tensor(locs.scalars[k]), scale: Tensor(scales.scalars[k]))
                density += Double(w[k]) * Double(exp(component.logProb(Tensor(x.scalars[i]))).scalarValue)
                cumulative += Double(w[k]) * Double(component.cdf(Tensor(x.scalars[i])).scalarValue)
            }
            #expect(Swift.abs(Double(exp(mixture.logProb(x)).scalars[i]) - density) < 1e-6 * Swift.max(1, density))
            #expect(Swift.abs(Double(mixture.cdf(x).scalars[i]) - cumulative) < 1e-6)
        }
    }

    /// Draws follow the mixture CDF (5 binomial SEs), and the implicit gradient of E[z] reaches
    /// the mixture logits: ∂E[z]/∂lⱼ = wⱼ(μⱼ − Σ w μ), within 5 SEs of per-sample gradients.
    @Test func samplesAndImplicitGradientToTheWeights() {
        let n = 60_000
        let key = RandomKey(seed: 81)
        let mixture = MixtureSameFamily(mixtureLogits: weights, components: Normal(loc: locs, scale: scales))
        let z = mixture.rsample(key, sampleShape: [n])
        for t: Float in [-2, 0, 2.5] {
            expectFrequency(
                z.scalars.filter { $0 <= t }.count, of: n, near: Double(mixture.cdf(Tensor(t)).scalarValue),
                "P(Z ≤ \(t))")
        }
        let perSampleLogits = Tensor(rows: Array(repeating: weights.scalars, count: n))
        let g = gradient(at: perSampleLogits) { l in
            MixtureSameFamily(mixtureLogits: l, components: Normal(loc: locs, scale: scales)).rsample(key).sumToFloat()
        }
        let w = softmax(weights).scalars.map(Double.init), mu = locs.scalars.map(Double.init)
        let average = zip(w, mu).reduce(0) { $0 + $1.0 * $1.1 }
        for j in 0..<3 {
            let column = (0..<n).map { Double(g.scalars[$0 * 3 + j]) }
            let mean = column.reduce(0, +) / Double(n)
            let se = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
            let exact = w[j] * (mu[j] - average)
            #expect(Swift.abs(mean - exact) < 5 * se, "∂E[z]/∂l\(j): \(mean) ± \(se), exact \(exact)")
        }
    }

    @Test func truncatedNormalFarTailDrawsStayInside() {
        let d = TruncatedNormal(loc: Tensor(0), scale: Tensor(1), low: Tensor(8), high: Tensor(8.5))
        let z = d.sample(RandomKey(seed: 82), sampleShape: [10_000]).scalars
        #expect(z.allSatisfy { $0 >= 8 && $0 <= 8.5 })
        let mean = z.reduce(0.0) { $0 + Double($1) } / 10_000
        #expect(
            Swift.abs(mean - Double(d.mean.scalarValue)) < 5 * (Double(d.variance.scalarValue) / 10_000).squareRoot())
    }
}

@Suite struct ReadmeDistributionExampleTests {
    /// The README's distribution example, verbatim apart from the key.
    @Test func readmeExampleRuns() throws {
        let key = RandomKey(seed: 0)
        let q = try Normal.validated(loc: Tensor([0.3]), scale: Tensor([0.8]))
        let grad = gradient(at: q) { q in square(q.rsample(key, sampleShape: [1000])).mean().item }
        let kl = klDivergence(q, Normal(loc: Tensor([0]), scale: Tensor([1])))
        // ∂E[z²]/∂μ = 2μ = 0.6 and ∂E[z²]/∂σ = 2σ = 1.6, within 5 standard errors of 1000 draws.
        // Per draw, ∂z²/∂μ = 2z has SD 2σ = 1.6; ∂z²/∂σ = 2zε has SD 2√(μ² + 2σ²) ≈ 2.34.
        let draws: Float = 1000
        let seMu: Float = 1.6 / draws.squareRoot(), seSigma: Float = 2.34 / draws.squareRoot()
        let gMu = grad.loc.scalarValue, gSigma = grad.scale.scalarValue
        #expect(Swift.abs(gMu - 0.6) < 5 * seMu)
        #expect(Swift.abs(gSigma - 1.6) < 5 * seSigma)
        #expect(kl.scalarValue > 0)
    }
}
