import ReparamTensor

/// On-policy experience of N environment copies over T steps, stored time-major ([T, N] rows):
/// what the policy saw and did, what it got, and its value estimates at the time.
public struct Rollout: Sendable {
    public let steps: Int
    public let copies: Int
    public let observationSize: Int
    public let actionWidth: Int
    public var observations: [Float]
    public var actions: [Float]
    public var logProbs: [Float]
    public var values: [Float]
    /// Rewards, with γ·V(final observation) already added where the time limit cut an episode.
    public var rewards: [Float]
    /// Whether each step began a new episode (its predecessor ended).
    public var episodeStarts: [Bool]
    /// Which rows hold experience: all for fixed-length rollouts; up to each copy's episode end
    /// for whole-episode rollouts.
    public var valid: [Bool]

    public init(steps: Int, copies: Int, observationSize: Int, actionWidth: Int) {
        (self.steps, self.copies, self.observationSize, self.actionWidth) = (
            steps, copies, observationSize, actionWidth
        )
        let rows = steps * copies
        observations = [Float](repeating: 0, count: rows * observationSize)
        actions = [Float](repeating: 0, count: rows * actionWidth)
        (logProbs, values, rewards) = (
            [Float](repeating: 0, count: rows), [Float](repeating: 0, count: rows),
            [Float](repeating: 0, count: rows)
        )
        episodeStarts = [Bool](repeating: false, count: rows)
        valid = [Bool](repeating: true, count: rows)
    }

    /// Stores step `t` of all copies.
    public mutating func record(
        step t: Int, observations o: Tensor, actions a: Tensor, logProbs l: Tensor, values v: Tensor,
        rewards r: [Float],
        episodeStarts s: [Bool]
    ) {
        let n = copies
        observations.replaceSubrange((t * n * observationSize)..<((t + 1) * n * observationSize), with: o.scalars)
        actions.replaceSubrange((t * n * actionWidth)..<((t + 1) * n * actionWidth), with: a.scalars)
        logProbs.replaceSubrange((t * n)..<((t + 1) * n), with: l.scalars)
        values.replaceSubrange((t * n)..<((t + 1) * n), with: v.scalars)
        rewards.replaceSubrange((t * n)..<((t + 1) * n), with: r)
        episodeStarts.replaceSubrange((t * n)..<((t + 1) * n), with: s)
    }

    /// Generalized advantage estimates (Schulman et al. 2016) and value targets R = Â + V:
    ///
    ///     δ_t = r_t + γ·V(s_{t+1})·(1 − done_t) − V(s_t),   Â_t = δ_t + γλ·(1 − done_t)·Â_{t+1}
    ///
    /// bootstrapped from `lastValues` [N] after the last step unless `lastDones`. With λ = 1, Â_t
    /// is the discounted reward-to-go minus the baseline V(s_t).
    public func advantages(lastValues: [Float], lastDones: [Bool], gamma: Float, lambda: Float)
        -> (advantages: [Float], returns: [Float])
    {
        let n = copies
        var advantages = [Float](repeating: 0, count: steps * n)
        var running = [Float](repeating: 0, count: n)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            for i in 0..<n {
                let last = t == steps - 1
                let nextValue = last ? lastValues[i] : values[(t + 1) * n + i]
                let nextDone = last ? lastDones[i] : episodeStarts[(t + 1) * n + i]
                let live: Float = nextDone ? 0 : 1
                let row = t * n + i
                let delta = rewards[row] + gamma * nextValue * live - values[row]
                running[i] = delta + gamma * lambda * live * running[i]
                advantages[row] = running[i]
            }
        }
        return (advantages, zip(advantages, values).map { $0 + $1 })
    }

    /// The rows at `indices` with their advantages and returns, as a training batch.
    public func batch(_ indices: [Int], advantages: [Float], returns: [Float], standardize: Bool) -> RolloutBatch {
        func gather(_ source: [Float], _ width: Int) -> Tensor {
            Tensor(shape: [source.count / width, width], scalars: source).rows(indices)
        }
        var selected = indices.map { advantages[$0] }
        if standardize && selected.count > 1 {
            // As stable-baselines3: (Â − mean)/(unbiased std + 1e-8), per minibatch.
            let mean = selected.reduce(0, +) / Float(selected.count)
            let variance = selected.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(selected.count - 1)
            selected = selected.map { ($0 - mean) / (variance.squareRoot() + 1e-8) }
        }
        return RolloutBatch(
            observations: gather(observations, observationSize), actions: gather(actions, actionWidth),
            oldLogProb: Tensor(indices.map { logProbs[$0] }), advantages: Tensor(selected),
            returns: Tensor(indices.map { returns[$0] }))
    }
}
