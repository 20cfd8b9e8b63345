import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// One preference: `chosen` was preferred to `rejected` by the Bradley-Terry model on r*.
public struct PreferencePair: Sendable, Equatable, Codable {
    public var chosen: [Int]
    public var rejected: [Int]
}

/// A policy's exact standing, by enumeration of every sequence.
public struct ExactEvaluation: Sendable, Equatable, Codable {
    /// E_π[r*].
    public var trueReward: Double
    /// KL(π ‖ π_ref).
    public var klToReference: Double
    /// KL(π* ‖ π): how far the policy is from the optimum.
    public var klToOptimum: Double
    /// E_π[r*] − β·KL(π ‖ π_ref), the objective every method optimizes.
    public var objective: Double
}

/// Everything a preference experiment shares: the sequence space, the hidden reward, the
/// reference policy fitted by maximum likelihood to a synthetic corpus, the preference pairs, and
/// the exact optimum π*(y) ∝ π_ref(y)·exp(r*(y)/β) of the KL-regularized objective.
public struct PreferenceProblem {
    public let space: SequenceSpace
    public let reward: HiddenReward
    public private(set) var beta: Double
    public let reference: SequencePolicy
    public let pairs: [PreferencePair]
    /// Per sequence of `space.all`: log π_ref, r*, log π*.
    public let referenceLogProbabilities: [Double]
    public let rewards: [Double]
    public private(set) var optimumLogProbabilities: [Double]
    /// log Z = log Σ π_ref·exp(r*/β); the optimum's objective is β log Z.
    public private(set) var logPartition: Double
    /// Mean negative log-likelihood per sequence of π_ref on its corpus.
    public let referenceNLL: Double

    /// Builds the problem from `key`: corpus and reference (shared by every β and seed of a
    /// comparison when the key is), reward, and `pairCount` pairs.
    public init(
        space: SequenceSpace = SequenceSpace(), beta: Double, pairCount: Int, corpusSize: Int = 20_000,
        referenceSteps: Int = 1500, key: RandomKey
    ) {
        let keys = key.split(4)
        self.space = space
        self.beta = beta
        reward = HiddenReward(space: space, key: keys[0])
        let corpus = Self.corpus(space: space, count: corpusSize, key: keys[1])
        (reference, referenceNLL) = Self.fitReference(space: space, corpus: corpus, steps: referenceSteps, key: keys[2])
        let all = space.all
        referenceLogProbabilities = reference.exactLogProbabilities()
        rewards = all.map(reward.callAsFunction)
        (optimumLogProbabilities, logPartition) = Self.optimum(referenceLogProbabilities, rewards, beta: beta)
        pairs = Self.pairs(reference: reference, reward: reward, count: pairCount, key: keys[3])
    }

    /// The same corpus, reference, reward and pairs with another β (and so another optimum).
    public func with(beta newBeta: Double) -> PreferenceProblem {
        var copy = self
        copy.beta = newBeta
        (copy.optimumLogProbabilities, copy.logPartition) = Self.optimum(
            referenceLogProbabilities, rewards, beta: newBeta)
        return copy
    }

    /// log π*(y) ∝ log π_ref(y) + r*(y)/β, normalized, and log Z.
    static func optimum(_ referenceLogp: [Double], _ rewards: [Double], beta: Double) -> ([Double], Double) {
        let logits = zip(referenceLogp, rewards).map { $0 + $1 / beta }
        let logZ = logSumExp(logits)
        return (logits.map { $0 - logZ }, logZ)
    }

    /// (KL(π*_β‖π_ref), E_{π*_β}[r*]) for each β: the exact optimum's reward-against-KL frontier.
    public func frontier(betas: [Double]) -> [(kl: Double, reward: Double)] {
        betas.map { b in
            let evaluation = with(beta: b).optimum
            return (evaluation.klToReference, evaluation.trueReward)
        }
    }

    /// A corpus from a random first-order Markov "teacher" (transition logits ~ 1.5·N(0, 1), the
    /// end token favoured so that sequences average about three tokens).
    static func corpus(space: SequenceSpace, count: Int, key: RandomKey) -> [[Int]] {
        let v = space.vocabulary
        let logits = key.normal([v + 1, v]).scalars.enumerated().map { i, z in
            1.5 * Double(z) + (i % v == SequenceSpace.end ? 0.8 : 0)
        }
        var generator = key.fold(in: 1).makeGenerator()
        return (0..<count).map { _ in
            var y: [Int] = [], previous = v
            while y.count < space.maxLength {
                let row = (0..<v).map { exp(logits[previous * v + $0]) }
                var u = Double.random(in: 0..<row.reduce(0, +), using: &generator)
                var token = 0
                while token < v - 1 && u >= row[token] { u -= row[token]; token += 1 }
                if token == SequenceSpace.end { break }
                y.append(token)
                previous = token
            }
            return y
        }
    }

    /// Maximum likelihood on the corpus: Adam (1e-2), minibatches of 256.
    static func fitReference(space: SequenceSpace, corpus: [[Int]], steps: Int, key: RandomKey)
        -> (SequencePolicy, Double)
    {
        var policy = SequencePolicy(space: space, key: key)
        var adam = Adam(for: policy, learningRate: 1e-2)
        var generator = key.fold(in: 1).makeGenerator()
        var recent: [Double] = []
        for step in 0..<steps {
            let batch = SequenceBatch(
                (0..<256).map { _ in corpus[Int.random(in: 0..<corpus.count, using: &generator)] },
                space: space)
            let (loss, gradient) = valueWithGradient(at: policy) { p in -p.logProbabilities(batch).mean().item }
            try? adam.update(&policy, along: gradient, step: step)
            recent = Array((recent + [Double(loss)]).suffix(100))
        }
        return (policy, recent.reduce(0, +) / Double(max(1, recent.count)))
    }

    /// Pairs of independent draws from π_ref, ordered by a Bradley-Terry draw:
    /// P(y₁ ≻ y₂) = σ(r*(y₁) − r*(y₂)).
    static func pairs(reference: SequencePolicy, reward: HiddenReward, count: Int, key: RandomKey) -> [PreferencePair] {
        guard count > 0 else { return [] }
        let draws = reference.sample(2 * count, key: key).sequences
        var generator = key.fold(in: 1).makeGenerator()
        return (0..<count).map { i in
            let (a, b) = (draws[2 * i], draws[2 * i + 1])
            let p = 1 / (1 + exp(reward(b) - reward(a)))
            return Double.random(in: 0..<1, using: &generator) < p
                ? PreferencePair(chosen: a, rejected: b) : PreferencePair(chosen: b, rejected: a)
        }
    }

    /// The exact evaluation of `policy`.
    public func evaluate(_ policy: SequencePolicy) -> ExactEvaluation {
        evaluate(logProbabilities: policy.exactLogProbabilities())
    }

    /// The exact evaluation of a distribution given by its log-probabilities in `space.all` order.
    public func evaluate(logProbabilities logp: [Double]) -> ExactEvaluation {
        var reward = 0.0, klReference = 0.0, klOptimum = 0.0
        for i in logp.indices {
            let p = exp(logp[i])
            reward += p * rewards[i]
            if p > 0 { klReference += p * (logp[i] - referenceLogProbabilities[i]) }
            let q = exp(optimumLogProbabilities[i])
            if q > 0 { klOptimum += q * (optimumLogProbabilities[i] - logp[i]) }
        }
        return ExactEvaluation(
            trueReward: reward, klToReference: klReference, klToOptimum: klOptimum,
            objective: reward - beta * klReference)
    }

    /// The optimum's own evaluation: KL(π*‖π*) = 0 and objective β log Z.
    public var optimum: ExactEvaluation { evaluate(logProbabilities: optimumLogProbabilities) }
}

/// log Σ exp(xᵢ), stable.
func logSumExp(_ x: [Double]) -> Double {
    let m = x.max() ?? -.infinity
    return m + log(x.reduce(0) { $0 + exp($1 - m) })
}
