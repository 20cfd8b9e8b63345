import Foundation
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamEstimators

@Suite("Discrete estimators are unbiased against enumeration")
struct DiscreteUnbiasednessTests {
    static let draws = 20_000

    static func expectUnbiased(_ d: GradientDiagnostics, sourceLocation: SourceLocation = #_sourceLocation) {
        let z = d.biasInStandardErrors!
        #expect(
            z.allSatisfy { abs($0) < 5 }, "\(d.estimator): bias/SE \(z), mean \(d.mean), exact \(d.exact!)",
            sourceLocation: sourceLocation)
        #expect(
            d.variance.allSatisfy { $0.isFinite && $0 > 0 }, "\(d.estimator): variance \(d.variance)",
            sourceLocation: sourceLocation)
    }

    @Test("REINFORCE with every baseline", arguments: [DiscreteLatent.bernoulli, .categorical])
    func reinforce(latent: DiscreteLatent) {
        for baseline in [ScoreBaseline.none, .movingAverage(decay: 0.9), .optimalConstant(decay: 0.9)] {
            var estimator = REINFORCE(baseline: baseline)
            Self.expectUnbiased(DiscreteProblems.diagnose(&estimator, latent, draws: Self.draws, warmUp: 50))
        }
    }

    @Test(
        "RLOO, MuProp (with and without NVIL's baseline) and NVIL (unnormalized)",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func baselines(latent: DiscreteLatent) {
        var rloo = RLOO(samples: 4)
        Self.expectUnbiased(DiscreteProblems.diagnose(&rloo, latent, draws: Self.draws / 4))
        var muprop = MuProp()
        Self.expectUnbiased(DiscreteProblems.diagnose(&muprop, latent, draws: Self.draws))
        var centredMuProp = MuProp(baseline: NVIL(normalizesVariance: false, key: RandomKey(seed: 4)))
        Self.expectUnbiased(DiscreteProblems.diagnose(&centredMuProp, latent, draws: Self.draws, warmUp: 100))
        var nvil = NVIL(normalizesVariance: false, key: RandomKey(seed: 3))
        Self.expectUnbiased(DiscreteProblems.diagnose(&nvil, latent, draws: Self.draws, warmUp: 100))
    }

    @Test("ARM and DisARM (Bernoulli)")
    func antithetic() {
        var arm = ARM()
        Self.expectUnbiased(DiscreteProblems.diagnose(&arm, .bernoulli, draws: Self.draws))
        var disarm = DisARM()
        let d = DiscreteProblems.diagnose(&disarm, .bernoulli, draws: Self.draws)
        Self.expectUnbiased(d)
        let armVariance = DiscreteProblems.diagnose(&arm, .bernoulli, draws: Self.draws).variance
        #expect(
            zip(d.variance, armVariance).allSatisfy { $0 <= $1 * 1.05 }, "DisARM \(d.variance) vs ARM \(armVariance)")
    }

    @Test(
        "REBAR and RELAX, before and after fitting the control variate",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func rebarRelax(latent: DiscreteLatent) {
        let size = DiscreteProblems.problem(latent).logits.count
        var rebar = RELAX.rebar(key: RandomKey(seed: 5))
        Self.expectUnbiased(DiscreteProblems.diagnose(&rebar, latent, draws: Self.draws / 2))
        Self.expectUnbiased(
            DiscreteProblems.diagnose(&rebar, latent, draws: Self.draws / 2, warmUp: 100, key: RandomKey(seed: 6)))
        var relax = RELAX.relax(latentSize: size, key: RandomKey(seed: 7))
        let fitted = DiscreteProblems.diagnose(&relax, latent, draws: Self.draws / 2, warmUp: 200)
        Self.expectUnbiased(fitted)
        #expect(
            relax.controlVariate.network.layers.last!.weight.scalars.contains { $0 != 0 },
            "RELAX never fitted its network")
    }

    @Test("VIMCO against the enumerated K-sample bound")
    func vimco() {
        let logits = Tensor(shape: [1, 2], scalars: [0.4, -0.9]), k = 3
        let objective = DiscreteObjective(blackBox: { z in (z * Tensor([1.5, -2.0])).sum(alongAxes: [-1]) - 0.3 })
        let configurations = DiscreteLatent.bernoulli.enumerate(latentShape: [2])
        let f = objective.evaluate(configurations.reshaped(to: [4, 1, 2])).scalars.map(Double.init)
        // Every ordered K-tuple of configurations: its bound, and how often it holds each configuration.
        var bounds: [Float] = [], counts: [Float] = []
        for code in 0..<64 {
            let picks = [code % 4, (code / 4) % 4, code / 16]
            bounds.append(Float(logMeanExp(picks.map { f[$0] })))
            counts += (0..<4).map { c in Float(picks.filter { $0 == c }.count) }
        }
        let countMatrix = Tensor(shape: [64, 4], scalars: counts), boundValues = Tensor(bounds)
        let exact = gradient(at: logits) { θ in
            let logQ = DiscreteLatent.bernoulli.logProbability(of: configurations, logits: θ.reshaped(to: [2]))
            return (exp(matmul(countMatrix, logQ.reshaped(to: [4, 1])).reshaped(to: [64])) * boundValues).sum()
                .sumToFloat()
        }
        let estimate = VIMCO(samples: k).estimate(
            logits: logits, latent: .bernoulli, objective: objective,
            key: RandomKey(seed: 9), draws: Self.draws)
        Self.expectUnbiased(
            GradientDiagnostics(
                estimator: "vimco", parameters: ["θ0", "θ1"],
                estimates: estimate.perDraw.reshaped(to: [Self.draws, 2]),
                exact: exact.scalars.map(Double.init), evaluationsPerDraw: k))
    }
}

@Suite("Relaxed estimators are biased, less so at low temperature")
struct RelaxationBiasTests {
    @Test("Gumbel-softmax bias shrinks as the temperature falls", arguments: [DiscreteLatent.bernoulli, .categorical])
    func bias(latent: DiscreteLatent) {
        func relativeBias(_ temperature: Float) -> (bias: Double, standardError: Double) {
            var estimator = GumbelSoftmax(temperature: temperature)
            let d = DiscreteProblems.diagnose(&estimator, latent, draws: 40_000)
            let norm = d.exact!.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let bias = d.bias!.reduce(0) { $0 + $1 * $1 }.squareRoot() / norm
            let error = d.standardError.reduce(0) { $0 + $1 * $1 }.squareRoot() / norm
            return (bias, error)
        }
        let (hot, cold) = (relativeBias(1), relativeBias(0.1))
        #expect(hot.bias > 5 * hot.standardError, "τ = 1 should be visibly biased: \(hot)")
        #expect(cold.bias + 5 * cold.standardError < hot.bias, "bias at τ = 0.1 \(cold) not below τ = 1 \(hot)")
    }
}

@Suite("Straight-through")
struct StraightThroughTests {
    @Test(
        "exact for an f linear in b, every draw; biased for a nonlinear f",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func linearExact(latent: DiscreteLatent) {
        let logits = DiscreteProblems.problem(latent).logits
        let a = RandomKey(seed: 43).normal(logits.shape)
        let linear = DiscreteObjective({ z in
            (z * a).sum(alongAxes: withoutDerivative(at: Array(2..<z.rank))).reshaped(
                to: withoutDerivative(at: [z.shape[0], z.shape[1]]))
        })
        let exact = latent.exactGradient(logits: logits, objective: linear).gradient.scalars
        var estimator = StraightThrough()
        let estimate = estimator.estimate(
            logits: logits, latent: latent, objective: linear, key: RandomKey(seed: 44), draws: 50)
        for (i, g) in estimate.perDraw.scalars.enumerated() {
            let e = exact[i % exact.count]
            #expect(abs(g - e) < 1e-5 * max(1, abs(e)), "\(latent): coordinate \(i) gives \(g), exact \(e)")
        }
        let d = DiscreteProblems.diagnose(&estimator, latent, draws: 20_000)
        #expect(
            d.biasInStandardErrors!.contains { abs($0) > 5 },
            "\(latent): straight-through should be biased here: \(d.biasInStandardErrors!)")
    }
}

@Suite("Annealed straight-through and DARN")
struct BiasedSingleSampleTests {
    /// f(z) = Σ a⊙z per batch row, for the problem's logits shape.
    static func linear(_ logits: Tensor, seed: UInt64) -> (objective: DiscreteObjective, a: Tensor) {
        let a = RandomKey(seed: seed).normal(logits.shape)
        return (
            DiscreteObjective({ z in
                (z * a).sum(alongAxes: withoutDerivative(at: Array(2..<z.rank))).reshaped(
                    to: withoutDerivative(at: [z.shape[0], z.shape[1]]))
            }), a
        )
    }

    @Test(
        "annealed ST pulls back through the mean at slope 1/τ: closed form",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func slope(latent: DiscreteLatent) {
        let logits = DiscreteProblems.problem(latent).logits, τ: Float = 0.4
        let (objective, a) = Self.linear(logits, seed: 45)
        let estimate = StraightThrough(temperature: τ).estimate(
            logits: logits, latent: latent, objective: objective, key: RandomKey(seed: 46), draws: 3)
        let θ = logits.scalars.map { Double($0) / Double(τ) }, weights = a.scalars.map(Double.init)
        // d/dθ of Σ a·μ(θ/τ): a·s(1 − s)/τ for Bernoulli; p_k(a_k − Σ p_j a_j)/τ per categorical variable.
        var expected = [Double](repeating: 0, count: θ.count)
        let width = latent == .bernoulli ? 1 : logits.shape.last!
        for start in stride(from: 0, to: θ.count, by: width) {
            let range = start..<(start + width)
            if latent == .bernoulli {
                let s = 1 / (1 + Foundation.exp(-θ[start]))
                expected[start] = weights[start] * s * (1 - s) / Double(τ)
            } else {
                let top = θ[range].max()!, e = θ[range].map { Foundation.exp($0 - top) }, total = e.reduce(0, +)
                let p = e.map { $0 / total }, average = zip(p, weights[range]).map(*).reduce(0, +)
                for (j, i) in range.enumerated() { expected[i] = p[j] * (weights[i] - average) / Double(τ) }
            }
        }
        for (i, g) in estimate.perDraw.scalars.enumerated() {
            let e = expected[i % expected.count]
            #expect(
                abs(Double(g) - e) < 1e-5 * max(1, abs(e)), "\(latent): coordinate \(i) gives \(g), closed form \(e)")
        }
    }

    /// DARN's estimates on `objective` against enumeration.
    static func darnDiagnostics(_ latent: DiscreteLatent, _ objective: DiscreteObjective, seed: UInt64)
        -> GradientDiagnostics
    {
        let logits = DiscreteProblems.problem(latent).logits, draws = 20_000
        let estimate = DARN().estimate(
            logits: logits, latent: latent, objective: objective, key: RandomKey(seed: seed), draws: draws)
        let exact = latent.exactGradient(logits: logits, objective: objective).gradient.scalars.map(Double.init)
        return GradientDiagnostics(
            estimator: "darn", parameters: exact.indices.map { "θ\($0)" },
            estimates: estimate.perDraw.reshaped(to: [draws, logits.count]), exact: exact)
    }

    @Test(
        "DARN is unbiased for an f linear in b and biased for a nonlinear f",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func darn(latent: DiscreteLatent) {
        let logits = DiscreteProblems.problem(latent).logits
        DiscreteUnbiasednessTests.expectUnbiased(
            Self.darnDiagnostics(latent, Self.linear(logits, seed: 47).objective, seed: 48))
        // Bernoulli: the quadratic problem is still unbiased (bᵢ² = bᵢ), so the bias shows on e^{a·b}.
        let a = Tensor([1.5, -1.0, 2.0])
        let nonlinear =
            latent == .bernoulli
            ? DiscreteObjective({ z in exp((z * a).sum(alongAxes: [-1])) }) : DiscreteProblems.categorical
        let z = Self.darnDiagnostics(latent, nonlinear, seed: 49).biasInStandardErrors!
        #expect(z.contains { abs($0) > 5 }, "\(latent): DARN should be biased here: \(z)")
        if latent == .bernoulli {
            DiscreteUnbiasednessTests.expectUnbiased(Self.darnDiagnostics(latent, DiscreteProblems.bernoulli, seed: 50))
        }
    }
}

@Suite("REBAR's conditional noise")
struct ConditionalNoiseTests {
    @Test(
        "z̃ given b thresholds to b, and mixing over b gives z's law",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func conditional(latent: DiscreteLatent) {
        let (logits, _) = DiscreteProblems.problem(latent)
        let draws = 50_000, keys = RandomKey(seed: 11).split(3)
        let θ = perDraw(logits, draws)
        let z = Perturbation.z(θ, noise: latent.noise(keys[0], shape: θ.shape), latent: latent)
        let b = latent.hardSample(perturbed: z)
        let z̃ = Perturbation.conditional(θ, b: b, v: keys[1].openUniform(θ.shape), latent: latent)
        #expect(latent.hardSample(perturbed: z̃) == b)
        let fresh = Perturbation.z(θ, noise: latent.noise(keys[2], shape: θ.shape), latent: latent)
        for (statistic, name) in [({ (x: Tensor) in x }, "mean"), ({ (x: Tensor) in square(x) }, "second moment")] {
            let (a, c) = (statistic(z̃), statistic(fresh))
            let meanA = a.mean(alongAxes: [0]), meanC = c.mean(alongAxes: [0])
            let se = sqrt(
                (square(a - meanA).mean(alongAxes: [0]) + square(c - meanC).mean(alongAxes: [0])) / Float(draws))
            let gap = abs(meanA - meanC) / se
            #expect(gap.scalars.allSatisfy { $0 < 5 }, "\(latent) \(name): gap/SE \(gap.scalars)")
        }
    }
}

@Suite("One-hot argmax")
struct OneHotArgmaxTests {
    /// Against a plain scan of each row: the first maximum wins ties, a NaN never wins (a row that starts with
    /// one keeps its first entry), ±∞ compare as numbers; widths around the discrete VAE's 10 classes.
    @Test(arguments: [1, 2, 10, 33])
    func firstLargestEntryOfEachRow(width: Int) {
        let rows = 500
        var scalars = RandomKey(seed: UInt64(width)).normal([rows, width]).scalars
        for row in 0..<rows where width > 1 {
            switch row % 6 {
            case 0: scalars[row * width + width - 1] = scalars[row * width]  // a tie with the first entry
            case 1: scalars[row * width] = .nan
            case 2: scalars[row * width + width / 2] = .nan
            case 3: scalars[row * width + width - 1] = .infinity
            case 4: for j in 0..<width { scalars[row * width + j] = -.infinity }
            default: break
            }
        }
        let hard = oneHotArgmax(Tensor(shape: [1, rows, width], scalars: scalars))
        #expect(hard.shape == [1, rows, width])
        for row in 0..<rows {
            var best = 0
            for j in 1..<width where scalars[row * width + j] > scalars[row * width + best] { best = j }
            let got = Array(hard.scalars[row * width..<(row + 1) * width])
            let expected = (0..<width).map { Float($0 == best ? 1 : 0) }
            #expect(got == expected, "row \(row) of width \(width): \(got), expected a one at \(best)")
        }
    }
}
