/// Settings of the score-function agents. `ppo(for:)` and `a2c(for:)` are rl-baselines3-zoo's
/// tuned values (hyperparams/ppo.yml, a2c.yml) over stable-baselines3's defaults; REINFORCE,
/// which neither library has, takes the settings chosen here (`reinforce(for:)`).
public struct OnPolicyConfiguration: Codable, Sendable, Equatable {
    /// Environment copies stepped together.
    public var copies = 1
    /// Steps per copy in one rollout; nil collects one whole episode per copy (REINFORCE).
    public var rolloutSteps: Int? = 2048
    /// Passes over each rollout, and the minibatch size (nil: the whole rollout at once).
    public var epochs = 10
    public var batchSize: Int? = 64
    public var gamma: Float = 0.99
    /// GAE's λ (Schulman et al. 2016): 1 gives the Monte-Carlo return minus the baseline.
    public var gaeLambda: Float = 0.95
    public var learningRate: Float = 3e-4
    /// PPO's clip ε (Schulman et al. 2017); nil uses the plain score-function surrogate Â·log π.
    public var clipRange: Float? = 0.2
    /// Decay the learning rate and the clip range linearly to zero over the run (the zoo's `lin_`).
    public var linearDecay = false
    public var entropyCoefficient: Float = 0
    public var valueCoefficient: Float = 0.5
    public var maxGradientNorm: Float = 0.5
    /// Standardize the advantages within each minibatch.
    public var normalizeAdvantages = true
    public var optimizer: OnPolicyOptimizerKind = .adam(epsilon: 1e-5)
    public var network = PolicyNetworkSettings()
    /// Running normalization of observations and rewards (stable-baselines3's VecNormalize).
    public var normalize = false

    public init() {}

    /// PPO: CartPole-v1 with 8 copies × 32 steps, 20 epochs on one minibatch of 256, γ 0.98, λ 0.8,
    /// learning rate and clip decaying from 1e-3 and 0.2; Acrobot-v1 with 16 × 256, 4 epochs,
    /// λ 0.94 and normalization; Pendulum-v1 with 4 × 1024, γ 0.9, learning rate 1e-3;
    /// MountainCarContinuous-v0 with the zoo's small-σ settings. (The zoo's gSDE exploration on
    /// the continuous tasks is replaced by the plain Gaussian policy.)
    public static func ppo(for environment: EnvironmentKind) -> Self {
        var c = Self()
        switch environment {
        case .cartpole:
            (c.copies, c.rolloutSteps, c.batchSize, c.gaeLambda, c.gamma) = (8, 32, 256, 0.8, 0.98)
            (c.epochs, c.learningRate, c.clipRange, c.linearDecay) = (20, 1e-3, 0.2, true)
        case .acrobot:
            (c.normalize, c.copies, c.rolloutSteps, c.gaeLambda, c.gamma, c.epochs) = (true, 16, 256, 0.94, 0.99, 4)
        case .pendulum:
            (c.copies, c.rolloutSteps, c.gaeLambda, c.gamma, c.epochs) = (4, 1024, 0.95, 0.9, 10)
            (c.learningRate, c.clipRange) = (1e-3, 0.2)
        case .mountainCarContinuous:
            (c.normalize, c.copies, c.batchSize, c.rolloutSteps, c.gamma) = (true, 1, 256, 8, 0.9999)
            (c.learningRate, c.entropyCoefficient, c.clipRange, c.epochs) = (7.77e-5, 0.00429, 0.1, 10)
            (c.gaeLambda, c.maxGradientNorm, c.valueCoefficient) = (0.9, 5, 0.19)
            (c.network.logStdInit, c.network.orthogonalInitialization) = (-3.29, false)
        }
        return c
    }

    /// A2C (stable-baselines3's synchronous advantage actor-critic): 5-step rollouts, one
    /// gradient step on the whole rollout, RMSprop (α 0.99, ε 1e-5) at 7e-4, λ 1, no advantage
    /// standardization. The zoo takes 8 copies on CartPole-v1, 16 with normalization on Acrobot-v1,
    /// and on Pendulum-v1 8 copies × 8 steps, γ 0.9, λ 0.9, c_V 0.4, decaying rate, log σ₀ −2.
    public static func a2c(for environment: EnvironmentKind) -> Self {
        var c = Self()
        (c.rolloutSteps, c.epochs, c.batchSize, c.gaeLambda, c.clipRange) = (5, 1, nil, 1, nil)
        (c.learningRate, c.normalizeAdvantages, c.optimizer) = (7e-4, false, .rmsprop(alpha: 0.99, epsilon: 1e-5))
        switch environment {
        case .cartpole:
            c.copies = 8
        case .acrobot:
            (c.normalize, c.copies) = (true, 16)
        case .pendulum:
            (c.normalize, c.copies, c.rolloutSteps, c.gaeLambda, c.valueCoefficient) = (true, 8, 8, 0.9, 0.4)
            (c.gamma, c.linearDecay) = (0.9, true)
            (c.network.logStdInit, c.network.orthogonalInitialization) = (-2, false)
        case .mountainCarContinuous:
            (c.normalize, c.copies, c.rolloutSteps) = (true, 4, 100)
            c.network.orthogonalInitialization = false
        }
        return c
    }

    /// REINFORCE with a learned baseline (Williams 1992): whole episodes, one per copy, the
    /// reward-to-go G_t minus V(s_t) as the advantage (λ = 1), one Adam step (1e-3) per batch of
    /// 8 episodes. Settings of this project: no library publishes tuned ones.
    public static func reinforce(for environment: EnvironmentKind) -> Self {
        var c = Self()
        (c.copies, c.rolloutSteps, c.epochs, c.batchSize, c.gaeLambda, c.clipRange) = (8, nil, 1, nil, 1, nil)
        (c.learningRate, c.normalizeAdvantages, c.optimizer) = (1e-3, false, .adam(epsilon: 1e-5))
        switch environment {
        case .cartpole, .acrobot: break
        case .pendulum: c.gamma = 0.9
        case .mountainCarContinuous: c.normalize = true
        }
        return c
    }
}

/// The optimizer of an on-policy agent.
public enum OnPolicyOptimizerKind: Codable, Sendable, Equatable {
    case adam(epsilon: Float)
    case rmsprop(alpha: Float, epsilon: Float)
}
