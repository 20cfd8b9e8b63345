/// SAC's settings. The defaults are stable-baselines3's; `tuned(for:)` applies the changes that
/// rl-baselines3-zoo publishes for an environment (hyperparams/sac.yml).
public struct SACConfiguration: Codable, Sendable, Equatable {
    public var learningRate: Float = 3e-4
    public var schedule = OffPolicySchedule()
    /// Polyak rate of the target critics.
    public var tau: Float = 0.005
    public var gamma: Float = 0.99
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
            (c.learningRate, c.tau, c.gamma, c.hidden) = (3e-4, 0.01, 0.9999, [64, 64])
            c.schedule = OffPolicySchedule(
                bufferSize: 50_000, learningStarts: 0, batchSize: 512, trainFrequency: 32, gradientSteps: 32)
        case .cartpole, .acrobot:
            break
        }
        return c
    }
}
