import Foundation
import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Soft actor-critic (Haarnoja et al. 2018, with the automatic entropy tuning of the 2019
/// version), as stable-baselines3 runs it. The actor's gradient is pathwise: the actions
/// a = tanh(μ + σ·ε) carry ∂/∂θ into the critic, so
///
///     ∇θ E_s E_ε [α log π(a|s) − min(Q₁, Q₂)(s, a)]
///
/// is estimated from one reparameterized action per state. The critics regress on
/// r + γ(1 − terminal)(min Q′(s′, a′) − α log π(a′|s′)) with Polyak-averaged targets Q′, and
/// log α descends −log α · (log π + H̄) towards the target entropy H̄ = −dim(A).
public struct SAC {
    public var configuration: SACConfiguration
    public var actor: SquashedGaussianActor
    public var critic: TwinCritic
    public var targetCritic: TwinCritic
    public var temperature: EntropyTemperature
    public var actorOptimizer: Adam<SquashedGaussianActor>
    public var criticOptimizer: Adam<TwinCritic>
    public var temperatureOptimizer: Adam<EntropyTemperature>
    public let targetEntropy: Float

    public init(observationSize: Int, actionSize: Int, configuration: SACConfiguration, key: RandomKey) {
        let keys = key.split(2)
        self.configuration = configuration
        actor = SquashedGaussianActor(
            observationSize: observationSize, actionSize: actionSize, hidden: configuration.hidden, key: keys[0])
        critic = TwinCritic(
            observationSize: observationSize, actionSize: actionSize, hidden: configuration.hidden, key: keys[1])
        targetCritic = critic
        temperature = EntropyTemperature(log: Tensor([Float(Foundation.log(configuration.initialTemperature))]))
        let rate = configuration.learningRate
        actorOptimizer = Adam(for: actor, learningRate: rate)
        criticOptimizer = Adam(for: critic, learningRate: rate)
        temperatureOptimizer = Adam(for: temperature, learningRate: rate)
        targetEntropy = -Float(actionSize)
    }

    /// α = exp(log α).
    public var alpha: Float { Float(Foundation.exp(Double(temperature.log.scalars[0]))) }

    /// One gradient step of the temperature, the critics and the actor on `batch`, then the
    /// targets' Polyak update. `step` names the step in a non-finite-gradient error.
    public mutating func update(_ batch: ReplayBatch, key: RandomKey, step: Int) throws -> SACLosses {
        let keys = key.split(2)
        let alpha = self.alpha
        let (observations, actions) = (batch.observations, batch.actions)

        // One draw of the policy at s serves the temperature (which needs log π) and the actor's
        // gradient (which needs the critics after their update); the draw at s′ feeds the
        // critics' target. The two are independent and run at once.
        let policy = actor
        let (draw, next) = Kernels.concurrently(
            { PolicyDraw(policy, observations, key: keys[0]) },
            { policy.sampleWithLogProb(batch.nextObservations, key: keys[1]) })

        // log α: its loss −log α·mean(log π + H̄) has gradient −mean(log π + H̄).
        let entropyGap = (draw.sample.logProb + targetEntropy).mean().scalars[0]
        var temperatureGradient = EntropyTemperature.TangentVector.zero
        temperatureGradient.log = Tensor([-entropyGap])
        try temperatureOptimizer.update(&temperature, along: temperatureGradient, step: step)

        // The critics' target, from the current policy at s′ and the target critics.
        let nextValue = targetCritic.minimumValue(batch.nextObservations, next.value) - alpha * next.logProb
        let target = batch.rewards + configuration.gamma * (1 - batch.terminals) * nextValue
        let (criticLoss, criticGradient) = critic.regressionGradient(observations, actions, target)
        try criticOptimizer.update(&critic, along: criticGradient, step: step)

        // The actor, through the updated critics.
        let (actorLoss, actorGradient) = draw.softPolicyGradient(critic, observations, alpha: alpha)
        try actorOptimizer.update(&actor, along: actorGradient, step: step)
        targetCritic.trackTarget(self.critic, rate: configuration.tau)
        return SACLosses(
            critic: criticLoss, actor: actorLoss, alpha: alpha, entropy: -(entropyGap - targetEntropy))
    }

    /// Actions in (−1, 1) for observations [B, obs]: sampled, or tanh(μ) when `deterministic`.
    public func act(_ observations: Tensor, key: RandomKey, deterministic: Bool) -> Tensor {
        deterministic ? actor.deterministicAction(observations) : actor.sampleWithLogProb(observations, key: key).value
    }
}

/// A reparameterized draw a = tanh(μ + σ·ε) of the policy at a batch of states, with its
/// pullback to the actor's parameters.
public struct PolicyDraw {
    /// Actions [B, act] and their log-densities [B].
    public let sample: SampleWithLogProb
    let pullback: (SampleWithLogProb.TangentVector) -> SquashedGaussianActor.TangentVector

    public init(_ actor: SquashedGaussianActor, _ observations: Tensor, key: RandomKey) {
        (sample, pullback) = valueWithPullback(at: actor) { actor in actor.sampleWithLogProb(observations, key: key) }
    }

    /// mean(α log π(a|s) − min Q(s, a)) and its pathwise gradient with respect to the actor:
    /// the loss's cotangents at (a, log π) — −∂ min Q/∂a / B through the fixed critics, and α/B —
    /// pulled back through the draw.
    public func softPolicyGradient(_ critic: TwinCritic, _ observations: Tensor, alpha: Float)
        -> (loss: Float, gradient: SquashedGaussianActor.TangentVector)
    {
        let (value, valueGradient) = critic.concurrentMinimumActionGradient(observations, sample.value)
        let logProb = sample.logProb
        let loss = alpha * logProb.mean().scalars[0] - value
        var cotangent = SampleWithLogProb.TangentVector.zero
        cotangent.value = -1 * valueGradient
        cotangent.logProb = Tensor(repeating: alpha / Float(logProb.count), shape: logProb.shape)
        return (loss, pullback(cotangent))
    }
}

/// What one SAC update measured.
public struct SACLosses: Sendable {
    public var critic: Float
    public var actor: Float
    public var alpha: Float
    /// −mean log π of the batch's sampled actions.
    public var entropy: Float
}

/// SAC's log α as a model, so Adam can update it.
public struct EntropyTemperature: Differentiable, ParameterListing {
    public var log: Tensor

    public init(log: Tensor) { self.log = log }

    public var parameterPaths: [ParameterPath<EntropyTemperature>] {
        [ParameterPath(name: "log", value: \.log, gradient: \.log)]
    }
}
