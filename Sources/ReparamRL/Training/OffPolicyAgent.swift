import ReparamRandom
import ReparamTensor

/// An agent that learns from a replay buffer (SAC, TD3, DDPG): it acts in (−1, 1)ᵈ, which the
/// training loop maps onto the environment's action box, and updates from sampled minibatches.
public protocol OffPolicyAgent {
    /// Replay capacity, warm-up steps with random actions, minibatch size, and how often and how
    /// many gradient steps to take.
    var schedule: OffPolicySchedule { get }
    /// Noise the training loop adds to the actions it collects with (a deterministic policy's
    /// exploration); nil for a stochastic policy, which explores by sampling.
    var explorationNoise: ExplorationNoise? { get }
    /// Actions [B, act] in (−1, 1): exploratory, or the deterministic policy for evaluation.
    func act(_ observations: Tensor, key: RandomKey, deterministic: Bool) -> Tensor
    /// One gradient step; returns what it measured, by name.
    mutating func update(_ batch: ReplayBatch, key: RandomKey, step: Int) throws -> [String: Float]
}

/// When an off-policy agent collects and learns; the defaults are stable-baselines3's.
public struct OffPolicySchedule: Codable, Sendable, Equatable {
    /// Replay capacity.
    public var bufferSize = 1_000_000
    /// Environment steps taken with uniformly random actions before learning starts.
    public var learningStarts = 100
    public var batchSize = 256
    /// Environment steps between updates, and gradient steps per update.
    public var trainFrequency = 1
    public var gradientSteps = 1

    public init() {}

    public init(bufferSize: Int, learningStarts: Int, batchSize: Int, trainFrequency: Int, gradientSteps: Int) {
        (self.bufferSize, self.learningStarts, self.batchSize) = (bufferSize, learningStarts, batchSize)
        (self.trainFrequency, self.gradientSteps) = (trainFrequency, gradientSteps)
    }
}

extension OffPolicyAgent {
    public var explorationNoise: ExplorationNoise? { nil }
}

extension SAC: OffPolicyAgent {
    public var schedule: OffPolicySchedule { configuration.schedule }

    public mutating func update(_ batch: ReplayBatch, key: RandomKey, step: Int) throws -> [String: Float] {
        let losses: SACLosses = try update(batch, key: key, step: step)
        return [
            "critic_loss": losses.critic, "actor_loss": losses.actor, "alpha": losses.alpha,
            "entropy": losses.entropy,
        ]
    }
}
