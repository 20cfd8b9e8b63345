import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The training loop of a score-function agent (REINFORCE, A2C, PPO): collect a rollout with
/// the current policy, estimate advantages, take the configured epochs of minibatch steps on
/// the surrogate, repeat. Steps count transitions over all copies, as stable-baselines3 counts.
public struct OnPolicyTraining<Base: PolicyEnvironment> {
    public typealias Model = ActorCritic<Base.Policy>
    public let configuration: OnPolicyConfiguration
    public var model: Model
    var optimizer: OnPolicyOptimizer<Model>
    public var environments: VectorEnvironment<Base>
    /// The copies' current observations, as the environment gives them.
    public var observations: Tensor
    /// Whether each copy's current step begins an episode.
    public var episodeStarts: [Bool]
    public var normalization: VectorNormalization?
    /// Environment steps taken so far, and the run's total (for the linear decay).
    public internal(set) var step = 0
    public let totalSteps: Int
    public internal(set) var rollouts = 0
    public let key: RandomKey
    public internal(set) var lastMetrics: [String: Float] = [:]
    public internal(set) var trainingReturns: [Double] = []

    public init(environment: Base, configuration c: OnPolicyConfiguration, totalSteps: Int, key: RandomKey) {
        let keys = key.split(3)
        configuration = c
        model = Model(
            observationSize: environment.observationSize, outputs: environment.policyOutputs, settings: c.network,
            key: keys[0])
        optimizer = OnPolicyOptimizer(c.optimizer, for: model, learningRate: c.learningRate)
        environments = VectorEnvironment(environment, count: c.copies, key: keys[1])
        self.key = keys[2]
        self.totalSteps = totalSteps
        observations = environments.observations
        episodeStarts = [Bool](repeating: true, count: c.copies)
        if c.normalize {
            normalization = VectorNormalization(
                observationSize: environment.observationSize, copies: c.copies, gamma: c.gamma)
            normalization!.observations.update(observations.scalars, batch: c.copies)
        }
    }

    /// Observations as the networks see them.
    func networkInput(_ raw: Tensor) -> Tensor { normalization?.normalize(raw) ?? raw }

    /// One rollout and the updates on it.
    public mutating func advance() throws {
        let rollout: Rollout
        let lastValues: [Float]
        let lastDones: [Bool]
        if let steps = configuration.rolloutSteps {
            rollout = collect(steps: steps)
            lastValues = model.values(networkInput(observations)).scalars
            lastDones = episodeStarts
        } else {
            rollout = collectEpisodes()
            lastValues = [Float](repeating: 0, count: configuration.copies)
            lastDones = [Bool](repeating: true, count: configuration.copies)
        }
        rollouts += 1
        let c = configuration
        let (advantages, returns) = rollout.advantages(
            lastValues: lastValues, lastDones: lastDones, gamma: c.gamma, lambda: c.gaeLambda)
        try update(rollout, advantages: advantages, returns: returns)
    }

    /// Rewards of a step as the agent learns from them: normalized if configured, and with
    /// γ·V(final observation) added where the time limit (not a terminal state) ended the episode.
    mutating func learningRewards(_ result: VectorStep) -> [Float] {
        let done = zip(result.terminated, result.truncated).map { $0 || $1 }
        var rewards = result.rewards
        if normalization != nil {
            normalization!.observations.update(result.observations.scalars, batch: result.rewards.count)
            rewards = normalization!.normalizeRewards(rewards, done: done)
        }
        let cut = result.truncated.indices.filter { result.truncated[$0] && !result.terminated[$0] }
        if !cut.isEmpty {
            let final = Tensor(
                shape: [cut.count, environments.base.observationSize],
                scalars: cut.flatMap { result.finalObservations[$0]! })
            let values = model.values(networkInput(final)).scalars
            for (k, i) in cut.enumerated() { rewards[i] += configuration.gamma * values[k] }
        }
        return rewards
    }

    /// `steps` steps of every copy, continuing their episodes.
    mutating func collect(steps: Int) -> Rollout {
        let base = environments.base
        var rollout = Rollout(
            steps: steps, copies: environments.count, observationSize: base.observationSize,
            actionWidth: base.policyActionWidth)
        for t in 0..<steps {
            let result = stepCopies(recordingAt: t, in: &rollout)
            trainingReturns += result.finishedEpisodes.map(\.return)
            step += environments.count
        }
        return rollout
    }

    /// Samples actions at the current observations, steps the copies, records row `t` of
    /// `rollout` and moves on to the new observations.
    mutating func stepCopies(recordingAt t: Int, in rollout: inout Rollout) -> VectorStep {
        let input = networkInput(observations)
        let (actions, logProbs) = model.policy.sample(input, key: key.fold(in: UInt64(step)))
        let values = model.values(input)
        let result = environments.step(environments.base.actions(fromPolicy: actions))
        let rewards = learningRewards(result)
        rollout.record(
            step: t, observations: input, actions: actions, logProbs: logProbs, values: values, rewards: rewards,
            episodeStarts: episodeStarts)
        episodeStarts = zip(result.terminated, result.truncated).map { $0 || $1 }
        observations = result.observations
        return result
    }

    /// One whole episode from every copy, started afresh; rows after a copy's episode ended are
    /// marked invalid. Only valid rows count as steps.
    mutating func collectEpisodes() -> Rollout {
        let base = environments.base
        let n = configuration.copies
        environments = VectorEnvironment(base, count: n, key: key.fold(in: 1 << 40 | UInt64(rollouts)))
        observations = environments.observations
        if normalization != nil { normalization!.observations.update(observations.scalars, batch: n) }
        episodeStarts = [Bool](repeating: true, count: n)
        var rollout = Rollout(
            steps: base.timeLimit, copies: n, observationSize: base.observationSize, actionWidth: base.policyActionWidth
        )
        var running = [Bool](repeating: true, count: n)
        var t = 0
        while running.contains(true) {
            let result = stepCopies(recordingAt: t, in: &rollout)
            for i in 0..<n {
                rollout.valid[t * n + i] = running[i]
                if running[i] { step += 1 }
            }
            for episode in result.finishedEpisodes where running[episode.copy] {
                running[episode.copy] = false
                trainingReturns.append(episode.return)
            }
            t += 1
        }
        // Rows past the longest episode stay invalid.
        for row in (t * n)..<(rollout.steps * n) { rollout.valid[row] = false }
        return rollout
    }

    /// The configured epochs of minibatch steps on the rollout's valid rows.
    mutating func update(_ rollout: Rollout, advantages: [Float], returns: [Float]) throws {
        let c = configuration
        let progressRemaining = c.linearDecay ? max(0, 1 - Float(step) / Float(totalSteps)) : 1
        let clipRange = c.clipRange.map { $0 * progressRemaining }
        let learningRate = c.learningRate * progressRemaining
        var rows = rollout.valid.indices.filter { rollout.valid[$0] }
        let size = c.batchSize ?? rows.count
        var generator = key.fold(in: 1 << 41 | UInt64(rollouts)).makeGenerator()
        var sums = [Float](repeating: 0, count: 4)
        var batches = 0
        for _ in 0..<c.epochs {
            if c.batchSize != nil { rows.shuffle(using: &generator) }
            for start in stride(from: 0, to: rows.count, by: size) {
                let batch = rollout.batch(
                    Array(rows[start..<min(start + size, rows.count)]), advantages: advantages, returns: returns,
                    standardize: c.normalizeAdvantages)
                let (losses, pullback) = valueWithPullback(at: model) { model in
                    onPolicyLosses(
                        model, batch, clipRange: clipRange, entropyCoefficient: c.entropyCoefficient,
                        valueCoefficient: c.valueCoefficient)
                }
                var gradient = pullback(Tensor([1, 0, 0, 0]))
                do {
                    try model.clipByGlobalNorm(&gradient, maxNorm: c.maxGradientNorm)
                } catch let error as NonFiniteGradientError {
                    throw NonFiniteTrainingError(step: step, detail: error.description)
                }
                try optimizer.update(&model, along: gradient, learningRate: learningRate, step: step)
                for k in 0..<4 { sums[k] += losses.scalars[k] }
                batches += 1
            }
        }
        let names = ["loss", "policy_loss", "value_loss", "entropy_loss"]
        for k in 0..<4 { lastMetrics[names[k]] = sums[k] / Float(batches) }
        lastMetrics["learning_rate"] = learningRate
    }

    /// The deterministic policy's returns (the most likely action) over `episodes` fresh episodes,
    /// with the normalization statistics frozen.
    public func evaluate(episodes: Int, key: RandomKey) -> Evaluation {
        let base = environments.base
        let (model, normalization) = (self.model, self.normalization)
        return ReparamRL.evaluate(base, episodes: episodes, key: key) { observations in
            base.actions(fromPolicy: model.policy.mode(normalization?.normalize(observations) ?? observations))
        }
    }
}

/// Adam or RMSprop over an actor-critic, with the learning rate set per step. One of the two is
/// set; each is mutated in place, so its moment tensors are never copied (a copy of the optimizer
/// taken out of an enum case and put back would copy every moment on every step).
struct OnPolicyOptimizer<Model: ParameterListing> {
    var adam: Adam<Model>?
    var rmsprop: RMSprop<Model>?

    init(_ kind: OnPolicyOptimizerKind, for model: Model, learningRate: Float) {
        switch kind {
        case .adam(let epsilon): adam = Adam(for: model, learningRate: learningRate, epsilon: epsilon)
        case .rmsprop(let alpha, let epsilon):
            rmsprop = RMSprop(for: model, learningRate: learningRate, alpha: alpha, epsilon: epsilon)
        }
    }

    mutating func update(_ model: inout Model, along gradient: Model.TangentVector, learningRate: Float, step: Int)
        throws
    {
        if adam != nil {
            adam!.learningRate = learningRate
            try adam!.update(&model, along: gradient, step: step)
        } else {
            rmsprop!.learningRate = learningRate
            try rmsprop!.update(&model, along: gradient, step: step)
        }
    }
}
