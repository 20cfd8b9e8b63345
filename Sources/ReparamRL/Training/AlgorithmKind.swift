/// The learning algorithms by the names the command line uses.
public enum AlgorithmKind: String, CaseIterable, Codable, Sendable {
    /// Soft actor-critic: pathwise gradient through a reparameterized tanh-Gaussian action.
    case sac
    /// Twin delayed DDPG: a deterministic actor through twin critics, smoothed targets.
    case td3
    /// Deep deterministic policy gradient: a deterministic actor through one critic.
    case ddpg
    /// REINFORCE with a learned baseline: score function times reward-to-go minus V(s).
    case reinforce
    /// Advantage actor-critic: score function times a GAE advantage from short rollouts.
    case a2c
    /// Proximal policy optimization: a clipped score-function surrogate over minibatch epochs.
    case ppo

    /// Whether the algorithm differentiates through the action, and so needs continuous actions.
    public var needsContinuousActions: Bool {
        switch self {
        case .sac, .td3, .ddpg: true
        case .reinforce, .a2c, .ppo: false
        }
    }
}

/// Why a requested training run cannot start.
public struct RLConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
