import ReparamRandom
import ReparamTensor

/// Transitions (s, a, r, s′, terminal) in storage allocated once, overwritten oldest first when
/// full. A transition cut by a time limit is stored as not terminal, so its target bootstraps
/// from the value of s′ (stable-baselines3's `handle_timeout_termination`).
public struct ReplayBuffer: Sendable {
    public let capacity: Int
    public let observationSize: Int
    public let actionSize: Int
    public private(set) var observations: [Float]
    public private(set) var actions: [Float]
    public private(set) var rewards: [Float]
    public private(set) var nextObservations: [Float]
    /// 1 where s′ is terminal, else 0.
    public private(set) var terminals: [Float]
    /// Transitions held (≤ capacity).
    public private(set) var count = 0
    /// Where the next transition goes.
    public private(set) var position = 0

    public init(capacity: Int, observationSize: Int, actionSize: Int) {
        precondition(
            capacity >= 1 && observationSize >= 1 && actionSize >= 1,
            "ReplayBuffer: capacity and sizes must be positive")
        (self.capacity, self.observationSize, self.actionSize) = (capacity, observationSize, actionSize)
        observations = [Float](repeating: 0, count: capacity * observationSize)
        nextObservations = [Float](repeating: 0, count: capacity * observationSize)
        actions = [Float](repeating: 0, count: capacity * actionSize)
        rewards = [Float](repeating: 0, count: capacity)
        terminals = [Float](repeating: 0, count: capacity)
    }

    /// Adds one transition.
    public mutating func add(
        observation: some Collection<Float>, action: some Collection<Float>, reward: Float,
        nextObservation: some Collection<Float>, terminal: Bool
    ) {
        precondition(
            observation.count == observationSize && nextObservation.count == observationSize
                && action.count == actionSize, "ReplayBuffer: a transition of the wrong size")
        let i = position
        observations.replaceSubrange((i * observationSize)..<((i + 1) * observationSize), with: observation)
        nextObservations.replaceSubrange((i * observationSize)..<((i + 1) * observationSize), with: nextObservation)
        actions.replaceSubrange((i * actionSize)..<((i + 1) * actionSize), with: action)
        rewards[i] = reward
        terminals[i] = terminal ? 1 : 0
        position = (position + 1) % capacity
        count = Swift.min(count + 1, capacity)
    }

    /// Adds one batch step of N copies: `observations` [N, obs] before it, `actions` [N, act].
    /// s′ of a copy whose episode ended is its final observation, not the next episode's first.
    public mutating func add(observations before: Tensor, actions taken: Tensor, step: VectorStep) {
        let n = step.rewards.count
        precondition(
            before.shape == [n, observationSize] && taken.shape == [n, actionSize],
            "ReplayBuffer: a batch step of the wrong shape")
        let (o, a, next) = (before.scalars, taken.scalars, step.observations.scalars)
        for i in 0..<n {
            let row = (i * observationSize)..<((i + 1) * observationSize)
            add(
                observation: o[row], action: a[(i * actionSize)..<((i + 1) * actionSize)], reward: step.rewards[i],
                nextObservation: step.finalObservations[i] ?? Array(next[row]), terminal: step.terminated[i])
        }
    }

    /// `size` transitions drawn uniformly with replacement, indices from `key`.
    public func sample(_ size: Int, key: RandomKey) -> ReplayBatch {
        precondition(count > 0, "ReplayBuffer: sampling from an empty buffer")
        var generator = key.makeGenerator()
        let indices = (0..<size).map { _ in Int.random(in: 0..<count, using: &generator) }
        return batch(indices)
    }

    /// The transitions at `indices`.
    public func batch(_ indices: [Int]) -> ReplayBatch {
        func gather(_ source: [Float], _ width: Int) -> Tensor {
            var out = [Float](repeating: 0, count: indices.count * width)
            for (j, i) in indices.enumerated() {
                for k in 0..<width { out[j * width + k] = source[i * width + k] }
            }
            return Tensor(shape: [indices.count, width], scalars: out)
        }
        return ReplayBatch(
            observations: gather(observations, observationSize), actions: gather(actions, actionSize),
            rewards: Tensor(indices.map { rewards[$0] }), nextObservations: gather(nextObservations, observationSize),
            terminals: Tensor(indices.map { terminals[$0] }))
    }

    /// Restores a buffer from its saved fields (nil when they do not fit together).
    public init?(
        capacity: Int, observationSize: Int, actionSize: Int, count: Int, position: Int, observations: [Float],
        actions: [Float], rewards: [Float], nextObservations: [Float], terminals: [Float]
    ) {
        guard capacity >= 1, observationSize >= 1, actionSize >= 1, (0...capacity).contains(count),
            (0..<capacity).contains(position), observations.count == capacity * observationSize,
            nextObservations.count == capacity * observationSize, actions.count == capacity * actionSize,
            rewards.count == capacity, terminals.count == capacity
        else { return nil }
        (self.capacity, self.observationSize, self.actionSize) = (capacity, observationSize, actionSize)
        (self.count, self.position) = (count, position)
        (self.observations, self.actions, self.rewards) = (observations, actions, rewards)
        (self.nextObservations, self.terminals) = (nextObservations, terminals)
    }
}

/// A minibatch of transitions: [B, obs], [B, act], [B], [B, obs], [B].
public struct ReplayBatch: Sendable {
    public var observations: Tensor
    public var actions: Tensor
    public var rewards: Tensor
    public var nextObservations: Tensor
    public var terminals: Tensor
}
