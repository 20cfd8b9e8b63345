import Foundation
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamPreference

@Suite("Preference optimization")
struct PreferenceTests {
    static let space = SequenceSpace(vocabulary: 4, maxLength: 3)

    @Test("The space enumerates every sequence once, in index order")
    func enumeration() {
        let all = Self.space.all
        #expect(all.count == Self.space.count && all.count == 1 + 3 + 9 + 27)
        for (i, y) in all.enumerated() { #expect(Self.space.index(of: y) == i) }
        #expect(Set(all.map { $0.map(String.init).joined(separator: ",") }).count == all.count)
    }

    @Test("Exact log-probabilities sum to one and equal teacher forcing")
    func exact() {
        let policy = SequencePolicy(space: Self.space, hidden: 8, key: RandomKey(seed: 1))
        let logp = policy.exactLogProbabilities()
        #expect(abs(logp.reduce(0) { $0 + exp($1) } - 1) < 1e-5)
        let forced = policy.logProbabilities(SequenceBatch(Self.space.all, space: Self.space)).scalars
        for (a, b) in zip(logp, forced) { #expect(abs(a - Double(b)) < 1e-4) }
    }

    @Test("Samples follow the exact distribution (chi-square within its spread)")
    func sampling() {
        let policy = SequencePolicy(space: Self.space, hidden: 8, key: RandomKey(seed: 2))
        let p = policy.exactLogProbabilities().map { exp($0) }
        let n = 40_000
        let draw = policy.sample(n, key: RandomKey(seed: 3))
        var counts = [Double](repeating: 0, count: p.count)
        for y in draw.sequences { counts[Self.space.index(of: y)] += 1 }
        let chiSquare = zip(counts, p).reduce(0) { sum, cell in
            let expected = Double(n) * cell.1
            return sum + (cell.0 - expected) * (cell.0 - expected) / expected
        }
        // χ² with 39 degrees of freedom: mean 39, sd √78 ≈ 8.8; five sd above the mean.
        #expect(chiSquare < 39 + 5 * 78.0.squareRoot(), "χ² = \(chiSquare)")
        for (y, logp) in zip(draw.sequences.prefix(50), draw.logProbabilities) {
            #expect(abs(logp - log(p[Self.space.index(of: y)])) < 1e-4)
        }
    }

    /// π* maximizes E_π[r*] − β KL(π‖π_ref) over distributions: moving mass from any sequence
    /// to another lowers the objective.
    @Test("The enumerated optimum is a distribution and beats its perturbations")
    func optimum() {
        let problem = PreferenceProblem(
            space: Self.space, beta: 0.3, pairCount: 10, corpusSize: 500, referenceSteps: 50, key: RandomKey(seed: 4))
        let q = problem.optimumLogProbabilities.map { exp($0) }
        #expect(abs(q.reduce(0, +) - 1) < 1e-9)
        let best = problem.optimum
        #expect(abs(best.objective - problem.beta * problem.logPartition) < 1e-9)
        #expect(best.klToOptimum.magnitude < 1e-12)
        var generator = RandomKey(seed: 5).makeGenerator()
        for _ in 0..<50 {
            let (i, j) = (
                Int.random(in: 0..<q.count, using: &generator), Int.random(in: 0..<q.count, using: &generator)
            )
            guard i != j else { continue }
            var perturbed = q
            let moved = 0.3 * perturbed[i]
            perturbed[i] -= moved
            perturbed[j] += moved
            #expect(problem.evaluate(logProbabilities: perturbed.map { log($0) }).objective < best.objective)
        }
    }

    @Test("The optimum's frontier: a smaller β buys more reward with more KL")
    func frontier() {
        let problem = PreferenceProblem(
            space: Self.space, beta: 0.3, pairCount: 10, corpusSize: 500, referenceSteps: 50, key: RandomKey(seed: 8))
        let points = problem.frontier(betas: [4, 1, 0.3, 0.1])
        for (a, b) in zip(points, points.dropFirst()) { #expect(b.kl > a.kl && b.reward > a.reward) }
        let again = problem.with(beta: 0.3)
        #expect(again.optimumLogProbabilities == problem.optimumLogProbabilities)
    }

    /// Two hand-made pairs with a policy and reference given by their sequence log-probabilities:
    /// h = (log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l)).
    @Test("DPO and IPO losses and gradients match their closed forms", arguments: [DirectPreferenceLoss.dpo, .ipo])
    func directLosses(loss: DirectPreferenceLoss) {
        let policy = SequencePolicy(space: Self.space, hidden: 8, key: RandomKey(seed: 6))
        let reference = SequencePolicy(space: Self.space, hidden: 8, key: RandomKey(seed: 7))
        let pairs = [PreferencePair(chosen: [1, 2], rejected: [3]), PreferencePair(chosen: [], rejected: [2, 2, 1])]
        let batch = PairBatch(pairs, reference: reference)
        let beta: Float = 0.5
        let logp: [Double] = policy.logProbabilities(batch.sequences).scalars.map(Double.init)
        let referenceLogp: [Double] = reference.logProbabilities(batch.sequences).scalars.map(Double.init)
        var h: [Double] = []
        for i in 0..<2 {
            let chosen: Double = logp[i] - referenceLogp[i]
            let rejected: Double = logp[2 + i] - referenceLogp[2 + i]
            h.append(chosen - rejected)
        }
        let b = Double(beta)
        var expected = 0.0
        // dL/dh per pair, for the closed-form gradient below.
        var slope: [Double] = []
        for x in h {
            switch loss {
            case .dpo:
                expected += Foundation.log(1 + Foundation.exp(-b * x)) / 2
                slope.append(-b / (1 + Foundation.exp(b * x)) / 2)
            case .ipo:
                let gap: Double = x - 1 / (2 * b)
                expected += gap * gap / 2
                slope.append(gap)
            }
        }
        let (value, gradient) = valueWithGradient(at: policy) { p in
            directPreferenceLoss(p, batch, beta: beta, loss: loss).item
        }
        #expect(abs(Double(value) - expected) < 1e-5 * max(1, expected))
        // Closed form: ∇L = Σ_pairs dL/dh · (∇ log π(y_w) − ∇ log π(y_l)); checked on the output bias.
        let sequences = pairs.map(\.chosen) + pairs.map(\.rejected)
        let perSequence: [[Float]] = sequences.map { y in
            let one = SequenceBatch([y], space: Self.space)
            return _Differentiation.gradient(at: policy) { p in p.logProbabilities(one).sum().item }.output.bias.scalars
        }
        for j in 0..<Self.space.vocabulary {
            var closed = 0.0
            for i in 0..<2 { closed += slope[i] * Double(perSequence[i][j] - perSequence[2 + i][j]) }
            #expect(abs(Double(gradient.output.bias.scalars[j]) - closed) < 1e-5 + 1e-3 * abs(closed), "bias \(j)")
        }
    }

    /// One sequence of two tokens and its end (three positions), β = 0.5, score 2, λ = 0.9:
    /// token rewards −β(old − ref): −0.5(−1 + 1.5) = −0.25, −0.5(−0.5 + 0.5) = 0, −0.5(−2 + 1) = 0.5,
    /// plus the score 2 at the end: [−0.25, 0, 2.5]. With values [1, 0.5, 2]:
    /// δ₂ = 2.5 − 2 = 0.5, δ₁ = 0 + 2 − 0.5 = 1.5, δ₀ = −0.25 + 0.5 − 1 = −0.75;
    /// Â₂ = 0.5, Â₁ = 1.5 + 0.45 = 1.95, Â₀ = −0.75 + 0.9·1.95 = 1.005.
    @Test("PPO's KL-penalized token rewards and advantages on a worked example")
    func ppoWorkedExample() {
        let mask: [Float] = [1, 1, 1, 0]
        let rewards = klPenalizedTokenRewards(
            oldLogProbabilities: [-1, -0.5, -2, 0], referenceLogProbabilities: [-1.5, -0.5, -1, 0], mask: mask,
            score: [2],
            beta: 0.5, length: 4)
        for (x, y) in zip(rewards, [-0.25, 0, 2.5, 0] as [Float]) { #expect(abs(x - y) < 1e-6) }
        let (advantages, returns) = tokenAdvantages(
            rewards: rewards, values: [1, 0.5, 2, 0], mask: mask, lambda: 0.9, length: 4)
        for (x, y) in zip(advantages, [1.005, 1.95, 0.5, 0] as [Float]) { #expect(abs(x - y) < 1e-5) }
        for (x, y) in zip(returns, [2.005, 2.45, 2.5, 0] as [Float]) { #expect(abs(x - y) < 1e-5) }
    }

    @Test("Settings that cannot run are refused with the reason")
    func validation() {
        for (beta, pairs, steps) in [(0.0, 10, 10), (-1, 10, 10), (.nan, 10, 10), (0.1, 0, 10), (0.1, 10, 0)] {
            #expect(throws: PreferenceError.self) {
                try PreferenceConfiguration(method: .dpo, beta: beta, pairs: pairs, steps: steps).validate()
            }
        }
    }
}
