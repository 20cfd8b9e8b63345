/// SAC's settings. The defaults are stable-baselines3's; `tuned(for:)` applies the changes that
/// rl-baselines3-zoo publishes for an environment (hyperparams/sac.yml).
public struct SACConfiguration: Codable, Sendable, Equatable {
    public var learningRate: Float = 3e-4
    public var bufferSize = 1_000_000
    /// Environment steps taken with uniformly random actions before learning starts.
    public var learningStarts = 100
    public var batchSize = 256
    /// Polyak rate of the target critics.
    public var tau: Float = 0.005
    public var gamma: Float = 0.99
    /// Environment steps between updates, and gradient steps per update.
    public var trainFrequency = 1
    public var gradientSteps = 1
    public var hidden = [256, 256]
    /// α at the start (log α is then tuned towards the target entropy −dim A).
    public var initialTemperature = 1.0

    public init() {}

    /// The zoo's tuned settings: Pendulum-v1 takes learning rate 1e-3 (and 20,000 steps);
    /// MountainCarContinuous-v0 takes 3e-4, a 50,000 buffer, batch 512, τ 0.01, γ 0.9999,
    /// 32 gradient steps every 32 steps, no warm-up and [64, 64] networks. (The zoo also fixes
    /// α = 0.1 and uses state-dependent exploration there; Reparam keeps automatic tuning.)
    public static func tuned(for environment: EnvironmentKind) -> SACConfiguration {
        var c = SACConfiguration()
        switch environment {
        case .pendulum:
            c.learningRate = 1e-3
        case .mountainCarContinuous:
            (c.learningRate, c.bufferSize, c.batchSize, c.tau, c.gamma) = (3e-4, 50_000, 512, 0.01, 0.9999)
            (c.trainFrequency, c.gradientSteps, c.learningStarts, c.hidden) = (32, 32, 0, [64, 64])
        case .cartpole, .acrobot:
            break
        }
        return c
    }
}
