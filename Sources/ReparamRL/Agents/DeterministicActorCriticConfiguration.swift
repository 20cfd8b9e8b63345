/// Settings of TD3 and DDPG. The defaults are stable-baselines3's TD3; `td3(for:)` and
/// `ddpg(for:)` apply rl-baselines3-zoo's tuned values (hyperparams/td3.yml, ddpg.yml), and DDPG
/// is TD3 with one critic, no target smoothing and no policy delay, as stable-baselines3 has it.
public struct DeterministicActorCriticConfiguration: Codable, Sendable, Equatable {
    public var learningRate: Float = 1e-3
    public var schedule = OffPolicySchedule()
    /// Polyak rate of the target networks.
    public var tau: Float = 0.005
    public var gamma: Float = 0.99
    public var hidden = [400, 300]
    /// Critic updates per actor (and target) update.
    public var policyDelay = 2
    /// Standard deviation and clip of the noise added to the target action a′ (target policy
    /// smoothing); 0 turns it off.
    public var targetPolicyNoise: Float = 0.2
    public var targetNoiseClip: Float = 0.5
    public var explorationNoise: ExplorationNoise = .normal(standardDeviation: 0.1)

    public init() {}

    /// TD3 as the zoo tunes it: Pendulum-v1 with γ 0.98, a 200,000 buffer, 10,000 warm-up steps
    /// and N(0, 0.1²) exploration; MountainCarContinuous-v0 with Ornstein-Uhlenbeck noise σ 0.5.
    public static func td3(for environment: EnvironmentKind) -> Self {
        var c = Self()
        switch environment {
        case .pendulum:
            c.gamma = 0.98
            (c.schedule.bufferSize, c.schedule.learningStarts) = (200_000, 10_000)
            c.explorationNoise = .normal(standardDeviation: 0.1)
        case .mountainCarContinuous:
            c.explorationNoise = .ornsteinUhlenbeck(standardDeviation: 0.5)
        case .cartpole, .acrobot:
            break
        }
        return c
    }

    /// DDPG: the zoo's settings equal TD3's for these environments.
    public static func ddpg(for environment: EnvironmentKind) -> Self {
        var c = td3(for: environment)
        (c.policyDelay, c.targetPolicyNoise) = (1, 0)
        return c
    }
}
