import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamEstimators

/// Rows of per-draw estimates as a [draws, parameters] matrix.
private func columns(_ tensors: Tensor...) -> Tensor {
    concat(tensors.map { $0.reshaped(to: [$0.count, 1]) }, axis: 1)
}

private func expectWithinStandardErrors(_ d: GradientDiagnostics, sourceLocation: SourceLocation = #_sourceLocation) {
    let z = d.biasInStandardErrors!
    #expect(
        z.allSatisfy { abs($0) < 5 }, "\(d.estimator): bias/SE \(z), mean \(d.mean), exact \(d.exact!)",
        sourceLocation: sourceLocation)
}

@Suite("Continuous estimators")
struct ContinuousEstimatorTests {
    static let draws = 20_000

    @Test("pathwise and score function for E[z²] under N(μ, σ²)")
    func normalSquare() {
        let (mu, sigma): (Float, Float) = (0.7, 0.4)
        let q = Normal(
            loc: Tensor(repeating: mu, shape: [Self.draws]), scale: Tensor(repeating: sigma, shape: [Self.draws]))
        let exact = [2 * Double(mu), 2 * Double(sigma)]
        let pathwise = pathwiseGradient(of: { square($0) }, at: q, key: RandomKey(seed: 1), samples: 1).gradient
        expectWithinStandardErrors(
            GradientDiagnostics(
                estimator: "pathwise", parameters: ["mu", "sigma"],
                estimates: columns(pathwise.loc, pathwise.scale), exact: exact))
        let score = scoreFunctionGradient(of: { square($0) }, at: q, key: RandomKey(seed: 2), samples: 1).gradient
        expectWithinStandardErrors(
            GradientDiagnostics(
                estimator: "score", parameters: ["mu", "sigma"],
                estimates: columns(score.loc, score.scale), exact: exact))
        let loo = scoreFunctionGradient(
            of: { square($0) }, at: q, key: RandomKey(seed: 3), samples: 4, leaveOneOut: true
        ).gradient
        let d = GradientDiagnostics(
            estimator: "rloo", parameters: ["mu", "sigma"], estimates: columns(loo.loc, loo.scale), exact: exact)
        expectWithinStandardErrors(d)
    }

    @Test("implicit pathwise for Gamma: ∂E[z]/∂α = 1/rate")
    func gammaImplicit() {
        let q = Gamma(
            concentration: Tensor(repeating: 2.5, shape: [Self.draws]), rate: Tensor(repeating: 2, shape: [Self.draws]))
        let g = pathwiseGradient(of: { $0 }, at: q, key: RandomKey(seed: 4), samples: 1).gradient
        expectWithinStandardErrors(
            GradientDiagnostics(
                estimator: "gamma", parameters: ["alpha", "rate"],
                estimates: columns(g.concentration, g.rate), exact: [0.5, -2.5 / 4]))
    }

    /// p(z) = N(μ₀, 1), p(x|z) = N(z, 1) at x = 1.5; q = N(m, s²). ELBO gradients in closed form:
    /// ∂/∂m = (x − m) + (μ₀ − m), ∂/∂s = 1/s − 2s, ∂/∂μ₀ = m − μ₀.
    static let (x, m, s, prior): (Float, Float, Float, Float) = (1.5, 0.3, 0.8, -0.2)

    static func estimates(_ variant: ImportanceWeightedGradient, samples k: Int, seed: UInt64) -> (
        value: Tensor, rows: Tensor
    ) {
        let q = Normal(loc: Tensor(repeating: m, shape: [draws]), scale: Tensor(repeating: s, shape: [draws]))
        let model = Tensor(repeating: prior, shape: [draws])
        let logJoint: @differentiable(reverse) (Tensor, Tensor) -> Tensor = { prior, z in
            Normal(loc: z, scale: Tensor(1)).logProb(Tensor(x)) + Normal(loc: prior, scale: Tensor(1)).logProb(z)
        }
        let key = RandomKey(seed: seed)
        let value = importanceWeightedBound(
            q: q, model: model, logJoint: logJoint, key: key, samples: k, gradient: variant)
        let (gq, gModel) = gradient(at: q, model) { q, model in
            importanceWeightedBound(q: q, model: model, logJoint: logJoint, key: key, samples: k, gradient: variant)
                .sum().sumToFloat()
        }
        return (value, columns(gq.loc, gq.scale, gModel))
    }

    @Test(
        "every importance-weighted gradient is the exact ELBO gradient at K = 1",
        arguments: ImportanceWeightedGradient.allCases)
    func elbo(variant: ImportanceWeightedGradient) {
        let (x, m, s, prior) = (Double(Self.x), Double(Self.m), Double(Self.s), Double(Self.prior))
        let exact = [(x - m) + (prior - m), 1 / s - 2 * s, m - prior]
        expectWithinStandardErrors(
            GradientDiagnostics(
                estimator: variant.rawValue, parameters: ["m", "s", "prior"],
                estimates: Self.estimates(variant, samples: 1, seed: 5).rows, exact: exact))
    }

    @Test("DReG agrees with the standard IWAE gradient at K = 5, with the same bound value")
    func doublyReparameterized() {
        let standard = Self.estimates(.standard, samples: 5, seed: 6)
        let dreg = Self.estimates(.doublyReparameterized, samples: 5, seed: 6)
        #expect(GradientCheck.maxRelativeError(standard.value, dreg.value) < 1e-5)
        let a = GradientDiagnostics(estimator: "standard", parameters: ["m", "s", "prior"], estimates: standard.rows)
        let b = GradientDiagnostics(
            estimator: "dreg", parameters: ["m", "s", "prior"],
            estimates: Self.estimates(.doublyReparameterized, samples: 5, seed: 7).rows)
        for j in 0..<3 {
            let se = (a.standardError[j] * a.standardError[j] + b.standardError[j] * b.standardError[j]).squareRoot()
            #expect(
                abs(a.mean[j] - b.mean[j]) < 5 * se,
                "parameter \(j): standard \(a.mean[j]) vs DReG \(b.mean[j]) ± \(se)")
        }
        // DReG's point: a lower-variance encoder gradient.
        #expect(
            b.variance[0] < a.variance[0] && b.variance[1] < a.variance[1],
            "DReG \(b.variance) vs standard \(a.variance)")
    }
}

@Suite("Diagnostics")
struct DiagnosticsTests {
    @Test("samples needed matches the normal-theory count for an unbiased estimator, and is nil when bias dominates")
    func samplesNeeded() {
        let rows = RandomKey(seed: 8).normal([100_000, 2]) * Tensor([2, 1]) + Tensor([1, 0.05])
        let d = GradientDiagnostics(estimator: "synthetic", parameters: ["a", "b"], estimates: rows, exact: [1, 1])
        let zQuantile = 1.959964
        let expected = zQuantile * zQuantile * d.variance[0] / (0.1 * 0.1)
        let needed = d.samplesNeeded(parameter: 0)!
        #expect(abs(needed - expected) / expected < 0.01, "\(needed) vs \(expected)")
        #expect(d.samplesNeeded(parameter: 1) == nil, "a mean of 0.05 against an exact 1 can never reach 10%")
        #expect(abs(d.signalToNoise[0] - 0.5) < 0.01)
    }
}

@Suite("Score-function surrogate")
struct SurrogateTests {
    @Test("its value is the objective and its gradient adds (f − b)·∇log q")
    func surrogate() {
        let q = Normal(loc: Tensor([0.3, -0.2]), scale: Tensor([0.8, 1.1]))
        let z = Tensor([0.5, 0.1]), baseline = Tensor([0.2, 0.2])
        let f = square(z)
        let value = scoreFunctionSurrogate(objective: f, logProbability: q.logProb(z), baseline: baseline)
        #expect(value == f)
        let g = gradient(at: q) { q in
            scoreFunctionSurrogate(objective: f, logProbability: q.logProb(z), baseline: baseline).sumToFloat()
        }
        let score = gradient(at: q) { q in (q.logProb(z) * (f - baseline)).sumToFloat() }
        #expect(
            GradientCheck.maxRelativeError(g.loc, score.loc) < 1e-6
                && GradientCheck.maxRelativeError(g.scale, score.scale) < 1e-6)
        #expect(g.loc.scalars.allSatisfy { $0 != 0 }, "\(g.loc) \(score.loc)")
    }
}
