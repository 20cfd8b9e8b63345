import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The ways to fit a policy to preferences, by the names the command line uses.
public enum PreferenceMethod: String, CaseIterable, Codable, Sendable {
    /// RLHF: a Bradley-Terry reward model, then PPO with a per-token KL penalty against π_ref.
    case ppo
    /// The reward model's score minus β·log π/π_ref, times ∇ log π, with a running-mean baseline.
    case reinforce
    /// REINFORCE with a leave-one-out baseline over k samples (Ahmadian et al. 2024).
    case rloo
    /// Direct preference optimization: a supervised loss on the pairs, no sampling.
    case dpo
    /// Identity preference optimization: DPO's squared-loss variant.
    case ipo

    /// Whether the method samples sequences from the policy (and so counts sampled tokens).
    public var samples: Bool {
        switch self {
        case .ppo, .reinforce, .rloo: true
        case .dpo, .ipo: false
        }
    }
}

/// A preference run's settings.
public struct PreferenceConfiguration: Codable, Sendable, Equatable {
    public var method: PreferenceMethod
    public var beta: Double
    public var pairs: Int
    public var steps: Int
    public var seed: UInt64
    public var learningRate: Float = 3e-3
    /// Pairs (DPO, IPO) or sampled sequences (RL methods) per step.
    public var batchSize = 64
    /// Samples per group for RLOO's leave-one-out baseline.
    public var rlooGroup = 4
    /// PPO: passes over each batch of samples, minibatches per pass, clip ε, GAE λ, value weight.
    public var ppoEpochs = 4
    public var ppoMinibatches = 4
    public var ppoClip: Float = 0.2
    public var gaeLambda: Float = 0.95
    public var valueCoefficient: Float = 0.5
    /// Steps of the reward model's Bradley-Terry fit (RL methods).
    public var rewardModelSteps = 1500

    public init(method: PreferenceMethod, beta: Double, pairs: Int, steps: Int, seed: UInt64 = 0) {
        (self.method, self.beta, self.pairs, self.steps, self.seed) = (method, beta, pairs, steps, seed)
    }

    /// Every reason these settings cannot run.
    public func validate() throws {
        // Below 1e-4 IPO's target 1/(2β) and DPO's reward scale 1/β overflow the loss's Float range
        // (β = 1e-45 passed the old (0, 100] check and stopped with a NaN gradient at step 0).
        if !(beta.isFinite && beta >= 1e-4 && beta <= 100) {
            throw PreferenceError("--beta must be between 1e-4 and 100, got \(beta)")
        }
        if !(1...1_000_000).contains(pairs) {
            throw PreferenceError("--pairs must be between 1 and 1000000, got \(pairs)")
        }
        if !(1...10_000_000).contains(steps) {
            throw PreferenceError("--steps must be between 1 and 10000000, got \(steps)")
        }
        if !(learningRate.isFinite && learningRate > 0) {
            throw PreferenceError("the learning rate must be positive")
        }
        if batchSize < 2 || batchSize % rlooGroup != 0 || rlooGroup < 2 {
            throw PreferenceError("the batch (\(batchSize)) must be a multiple of the RLOO group (\(rlooGroup)) ≥ 2")
        }
    }
}

/// Why a preference run cannot start.
public struct PreferenceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a preference run reached.
public struct PreferenceResult: Sendable, Codable {
    public var method: PreferenceMethod
    public var beta: Double
    public var evaluation: ExactEvaluation
    public var optimum: ExactEvaluation
    public var seconds: Double
    /// Tokens the policy generated during training (end tokens included; 0 for DPO and IPO).
    public var sampledTokens: Int
    /// The reward model's accuracy on the pairs (RL methods).
    public var rewardModelAccuracy: Double?
}

/// Trains `configuration.method` on `problem` (whose β must equal the configuration's), starting
/// from π_ref; `progress(step)` after each step. Returns the policy and its exact evaluation.
public func trainPreference(
    _ configuration: PreferenceConfiguration, problem: PreferenceProblem, progress: (Int) -> Void = { _ in }
) throws -> (policy: SequencePolicy, result: PreferenceResult) {
    try configuration.validate()
    let c = configuration
    let key = RandomKey(seed: c.seed).fold(in: 1 << 40)
    var policy = problem.reference
    var adam = Adam(for: policy, learningRate: c.learningRate)
    let start = Date()
    var sampledTokens = 0
    var accuracy: Double?
    var generator = key.fold(in: 1).makeGenerator()
    switch c.method {
    case .dpo, .ipo:
        let loss: DirectPreferenceLoss = c.method == .dpo ? .dpo : .ipo
        let margins = PairBatch.referenceMargins(problem.pairs, reference: problem.reference)
        for step in 0..<c.steps {
            let chosen = (0..<min(c.batchSize, problem.pairs.count)).map { _ in
                Int.random(in: 0..<problem.pairs.count, using: &generator)
            }
            let batch = PairBatch(
                chosen.map { problem.pairs[$0] }, space: problem.space,
                referenceMargin: Tensor(chosen.map { margins[$0] }))
            let g = gradient(at: policy) { p in directPreferenceLoss(p, batch, beta: Float(c.beta), loss: loss).item }
            try adam.update(&policy, along: g, step: step)
            progress(step + 1)
        }
    case .reinforce, .rloo, .ppo:
        let (rewardModel, fit) = RewardModel.fit(
            space: problem.space, pairs: problem.pairs, steps: c.rewardModelSteps, key: key.fold(in: 2))
        accuracy = fit
        var baseline = 0.0
        for step in 0..<c.steps {
            let draw = policy.sample(c.batchSize, key: key.fold(in: 3).fold(in: UInt64(step)))
            sampledTokens += draw.sequences.reduce(0) { $0 + $1.count + ($1.count < problem.space.maxLength ? 1 : 0) }
            let batch = SequenceBatch(draw.sequences, space: problem.space)
            let score = rewardModel(rewardModel.features(draw.sequences)).scalars.map(Double.init)
            if c.method == .ppo {
                try ppoStep(
                    &policy, &adam, batch: batch, score: score, problem: problem, configuration: c, step: step,
                    generator: &generator)
            } else {
                let referenceLogp = problem.reference.logProbabilities(batch).scalars
                // The KL-penalized return of each sample; its score-function gradient is unbiased
                // for ∇(E r_φ − β KL(π‖π_ref)).
                let returns = (0..<c.batchSize).map { i in
                    score[i] - c.beta * (draw.logProbabilities[i] - Double(referenceLogp[i]))
                }
                let advantages: [Double]
                if c.method == .rloo {
                    let k = c.rlooGroup
                    advantages = returns.indices.map { i in
                        let group = (i / k * k)..<(i / k * k + k)
                        let others = group.filter { $0 != i }.reduce(0) { $0 + returns[$1] } / Double(k - 1)
                        return returns[i] - others
                    }
                } else {
                    let mean = returns.reduce(0, +) / Double(returns.count)
                    advantages = returns.map { $0 - baseline }
                    baseline = step == 0 ? mean : 0.9 * baseline + 0.1 * mean
                }
                let weights = Tensor(advantages.map { Float($0) / Float(c.batchSize) })
                let g = gradient(at: policy) { p in -(weights * p.logProbabilities(batch)).sum().item }
                try adam.update(&policy, along: g, step: step)
            }
            progress(step + 1)
        }
    }
    let seconds = Date().timeIntervalSince(start)
    let result = PreferenceResult(
        method: c.method, beta: c.beta, evaluation: problem.evaluate(policy), optimum: problem.optimum,
        seconds: seconds, sampledTokens: sampledTokens, rewardModelAccuracy: accuracy)
    return (policy, result)
}
