import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

/// |observed − p| within 5 binomial standard errors.
func expectFrequency(
    _ hits: Int, of n: Int, near p: Double, _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let observed = Double(hits) / Double(n)
    #expect(
        Swift.abs(observed - p) <= 5 * (p * (1 - p) / Double(n)).squareRoot() + 1e-9,
        "\(label): frequency \(observed), probability \(p)", sourceLocation: sourceLocation)
}

@Suite struct DiscreteFamilyTests {
    @Test func bernoulli() throws {
        let d = Bernoulli(logits: Tensor([-2, 0.3, 4]))
        let support = try #require(d.enumerateSupport())
        let total = exp(d.logProb(support)).sum(alongAxes: [0])
        #expect(total.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-6 })
        let entropy = -(exp(d.logProb(support)) * d.logProb(support)).sum(alongAxes: [0])
        #expect(GradientCheck.maxRelativeError(d.entropy(), entropy) < 1e-5)
        let n = 100_000
        let x = d.sample(RandomKey(seed: 51), sampleShape: [n])
        for j in 0..<3 {
            let hits = (0..<n).filter { x.scalars[$0 * 3 + j] == 1 }.count
            expectFrequency(hits, of: n, near: Double(d.probabilities.scalars[j]), "Bernoulli[\(j)]")
        }
        let values = Tensor([1, 0, 1])
        let g = gradient(at: d.logits) { l in Bernoulli(logits: l).logProb(values).sumToFloat() }
        #expect(
            GradientCheck.maxRelativeError(
                g,
                GradientCheck.numericalGradient(
                    of: { Bernoulli(logits: $0).logProb(values).sumToFloat() }, at: d.logits)) < 2e-3)
    }

    @Test func categoricalAndOneHot() throws {
        let logits = Tensor(rows: [[0.5, -1, 2, 0], [3, 3, -5, 0.1]])
        let d = Categorical(logits: logits)
        let support = try #require(d.enumerateSupport())
        #expect(support.shape == [4, 2])
        let p = exp(d.logProb(support))
        #expect(p.sum(alongAxes: [0]).scalars.allSatisfy { Swift.abs($0 - 1) < 1e-6 })
        #expect(GradientCheck.maxRelativeError(d.entropy(), -(p * log(p)).sum(alongAxes: [0])) < 1e-5)
        let n = 100_000
        let x = d.sample(RandomKey(seed: 52), sampleShape: [n])
        #expect(x.shape == [n, 2])
        let probabilities = softmax(logits)
        for row in 0..<2 {
            for k in 0..<4 {
                let hits = (0..<n).filter { x.scalars[$0 * 2 + row] == Float(k) }.count
                expectFrequency(
                    hits, of: n, near: Double(probabilities.scalars[row * 4 + k]), "Categorical[\(row)][\(k)]")
            }
        }
        let oneHot = OneHotCategorical(logits: logits)
        let hotSupport = try #require(oneHot.enumerateSupport())
        #expect(hotSupport.shape == [4, 2, 4])
        #expect(exp(oneHot.logProb(hotSupport)).sum(alongAxes: [0]).scalars.allSatisfy { Swift.abs($0 - 1) < 1e-6 })
        let hot = oneHot.sample(RandomKey(seed: 52), sampleShape: [3])
        #expect(hot.shape == [3, 2, 4] && hot.sum(alongAxes: [-1]).scalars.allSatisfy { $0 == 1 })
        let classes = Tensor([2, 0])
        let g = gradient(at: logits) { l in Categorical(logits: l).logProb(classes).sumToFloat() }
        let numeric = GradientCheck.numericalGradient(
            of: { Categorical(logits: $0).logProb(classes).sumToFloat() }, at: logits)
        #expect(GradientCheck.maxRelativeError(g, numeric) < 2e-3)
    }

    @Test(arguments: [0.4, 7.5, 120, 3000])
    func poisson(rate: Float) {
        let d = Poisson(rate: Tensor(rate))
        let top = Int(rate + 20 * rate.squareRoot() + 20)
        let ks = Tensor((0...top).map(Float.init))
        let pmf = exp(d.logProb(ks)).scalars.map(Double.init)
        #expect(Swift.abs(pmf.reduce(0, +) - 1) < 1e-5)
        let entropy = -zip(pmf, d.logProb(ks).scalars).reduce(0.0) { $0 + ($1.0 > 0 ? $1.0 * Double($1.1) : 0) }
        #expect(Swift.abs(Double(d.entropy().scalarValue) - entropy) < 1e-4 * Swift.max(1, entropy))
        let n = 50_000
        let x = d.sample(RandomKey(seed: 53), sampleShape: [n]).scalars
        #expect(x.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(n)
        #expect(Swift.abs(mean - Double(rate)) < 5 * (Double(rate) / Double(n)).squareRoot())
        let mode = Int(rate)
        expectFrequency(x.filter { $0 == Float(mode) }.count, of: n, near: pmf[mode], "Poisson(\(rate)) at k = \(mode)")
    }

    @Test func geometricAndBinomial() throws {
        let geometric = try Geometric.validated(probabilities: Tensor([0.3]))
        let ks = Tensor((0...200).map(Float.init))
        #expect(Swift.abs(exp(geometric.logProb(ks)).sumToFloat() - 1) < 1e-5)
        let n = 100_000
        let g = geometric.sample(RandomKey(seed: 54), sampleShape: [n]).scalars
        let mean = g.reduce(0.0) { $0 + Double($1) } / Double(n)
        #expect(Swift.abs(mean - 0.7 / 0.3) < 5 * (0.7 / 0.09 / Double(n)).squareRoot())
        expectFrequency(g.filter { $0 == 0 }.count, of: n, near: 0.3, "Geometric at 0")

        let binomial = try Binomial.validated(count: 12, probabilities: Tensor([0.25, 0.9]))
        let support = try #require(binomial.enumerateSupport())
        #expect(exp(binomial.logProb(support)).sum(alongAxes: [0]).scalars.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
        let b = binomial.sample(RandomKey(seed: 55), sampleShape: [20_000]).scalars
        let first = stride(from: 0, to: b.count, by: 2).map { Double(b[$0]) }
        let bMean = first.reduce(0, +) / Double(first.count)
        let binomialVariance: Double = 12 * 0.25 * 0.75
        let binomialSE = (binomialVariance / Double(first.count)).squareRoot()
        #expect(Swift.abs(bMean - 3) < 5 * binomialSE)
        // C(12, 3)·0.25³·0.75⁹ = 0.258101…
        #expect(Swift.abs(exp(binomial.logProb(Tensor([3, 3]))).scalars[0] - 0.2581036) < 1e-5)
    }

    @Test func validationNamesTheProblem() {
        #expect(throws: DistributionError.self) { try Bernoulli.validated(probabilities: Tensor([0.5, 1.2])) }
        #expect(
            throws: DistributionError(
                distribution: "Categorical", parameter: "probabilities (row sum)", index: 1, value: 0.9,
                requirement: "each row must sum to 1")
        ) {
            try Categorical.validated(probabilities: Tensor(rows: [[0.5, 0.5], [0.4, 0.5]]))
        }
        #expect(throws: DistributionError.self) {
            try Poisson.validated(rate: Tensor([1])).validate(value: Tensor([2.5]))
        }
        #expect(throws: DistributionError.self) { try Categorical.validated(logits: Tensor([0, .nan])) }
    }
}

@Suite struct RelaxedFamilyTests {
    /// The acceptance case: T = 0.1, K = 256, logits 3·N(0, 1): no non-finite log density on
    /// its own (log-space) samples, and finite gradients at T = 0.05.
    @Test func lowTemperatureManyClassesStaysFinite() {
        let logits = 3 * RandomKey(seed: 61).normal([16, 256])
        let d = RelaxedOneHotCategorical(temperature: 0.1, logits: logits)
        let logY = d.rsampleLog(RandomKey(seed: 62), sampleShape: [64])
        let lp = d.logProb(logSample: logY)
        #expect(lp.shape == [64, 16])
        #expect(lp.scalars.allSatisfy { $0.isFinite }, "\(lp.scalars.filter { !$0.isFinite }.count) non-finite")
        let weights = RandomKey(seed: 63).normal([16, 256])
        let g = gradient(at: logits) { l in
            let relaxed = RelaxedOneHotCategorical(temperature: 0.05, logits: l)
            return (relaxed.rsample(RandomKey(seed: 64)) * weights).sumToFloat()
                + relaxed.logProb(logSample: relaxed.rsampleLog(RandomKey(seed: 65))).sumToFloat()
        }
        #expect(g.scalars.allSatisfy { $0.isFinite })
    }

    /// For K = 2 the Concrete density over y₁ ∈ (0, 1) integrates to 1 (midpoint rule, 20 000
    /// points), and so does the binary Concrete's; both at T = 0.7.
    @Test func densitiesIntegrateToOne() {
        let m = 20_000
        let y = (0..<m).map { (Float($0) + 0.5) / Float(m) }
        let pairs = Tensor(shape: [m, 2], scalars: y.flatMap { [$0, 1 - $0] })
        let categorical = RelaxedOneHotCategorical(temperature: 0.7, logits: Tensor([0.4, -0.3]))
        let total = exp(categorical.logProb(pairs)).scalars.reduce(0.0) { $0 + Double($1) } / Double(m)
        #expect(Swift.abs(total - 1) < 2e-3)
        let binary = RelaxedBernoulli(temperature: 0.7, logits: Tensor(0.7))
        let binaryTotal = exp(binary.logProb(Tensor(y))).scalars.reduce(0.0) { $0 + Double($1) } / Double(m)
        #expect(Swift.abs(binaryTotal - 1) < 2e-3)
    }

    /// argmax of a relaxed sample is argmax(l + g): Categorical(l) at any temperature.
    @Test func argmaxFollowsTheCategorical() {
        let logits = Tensor([1, 0, -0.5, 2])
        let n = 50_000
        let y = RelaxedOneHotCategorical(temperature: 3, logits: logits).rsample(RandomKey(seed: 66), sampleShape: [n])
        let p = softmax(logits).scalars
        for k in 0..<4 {
            let hits = (0..<n).filter { row in (0..<4).max { y.scalars[row * 4 + $0] < y.scalars[row * 4 + $1] } == k }
                .count
            expectFrequency(hits, of: n, near: Double(p[k]), "argmax = \(k)")
        }
        let b = RelaxedBernoulli(temperature: 2, logits: Tensor(0.8)).rsample(RandomKey(seed: 67), sampleShape: [n])
        expectFrequency(b.scalars.filter { $0 > 0.5 }.count, of: n, near: Double(1 / (1 + exp(-0.8))), "P(y > ½)")
    }

    @Test func straightThroughIsHardForwardRelaxedBackward() {
        let logits = Tensor(rows: [[0.2, 1, -1], [2, 0, 0]])
        let d = RelaxedOneHotCategorical(temperature: 0.5, logits: logits)
        let key = RandomKey(seed: 68)
        let hard = d.rsampleStraightThrough(key)
        #expect(hard.scalars.allSatisfy { $0 == 0 || $0 == 1 } && hard.sum(alongAxes: [-1]).scalars == [1, 1])
        let w = Tensor(rows: [[1, -2, 0.5], [0.3, 0.3, -1]])
        let gHard = gradient(at: logits) { l in
            (RelaxedOneHotCategorical(temperature: 0.5, logits: l).rsampleStraightThrough(key) * w).sumToFloat()
        }
        let gSoft = gradient(at: logits) { l in
            (RelaxedOneHotCategorical(temperature: 0.5, logits: l).rsample(key) * w).sumToFloat()
        }
        #expect(gHard == gSoft)
    }

    @Test func temperatureSchedules() {
        let schedule = TemperatureSchedule.exponentialDecay(initial: 1, rate: 1e-4, floor: 0.5, every: 1000)
        #expect(schedule.temperature(atStep: 0) == 1 && schedule.temperature(atStep: 999) == 1)
        #expect(Swift.abs(schedule.temperature(atStep: 1500) - expf(-0.1)) < 1e-6)
        #expect(schedule.temperature(atStep: 1_000_000) == 0.5)
        #expect(TemperatureSchedule.constant(0.3).temperature(atStep: 12345) == 0.3)
    }
}
