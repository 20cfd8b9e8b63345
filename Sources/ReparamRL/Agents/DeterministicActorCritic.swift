import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// TD3 (Fujimoto et al. 2018): twin critics, target policy smoothing, delayed actor updates.
public typealias TD3 = DeterministicActorCritic<TwinCritic>
/// DDPG (Lillicrap et al. 2016): one critic, the actor updated every step.
public typealias DDPG = DeterministicActorCritic<SingleCritic>

/// A deterministic actor μθ trained through a learned critic: the actor ascends
/// Q(s, μθ(s)) by the chain rule through the action — the reparameterization trick with
/// zero noise — and the critic regresses on
///
///     y = r + γ(1 − terminal) · min Q′(s′, clip(μ′(s′) + clip(ε, −c, c), −1, 1)),  ε ~ N(0, σ²)
///
/// with Polyak-averaged targets μ′, Q′ that move only when the actor does.
public struct DeterministicActorCritic<Critic: ActionValueCritic> {
    public var configuration: DeterministicActorCriticConfiguration
    public var actor: DeterministicActor
    public var targetActor: DeterministicActor
    public var critic: Critic
    public var targetCritic: Critic
    public var actorOptimizer: Adam<DeterministicActor>
    public var criticOptimizer: Adam<Critic>

    public init(
        observationSize: Int, actionSize: Int, configuration: DeterministicActorCriticConfiguration, key: RandomKey
    ) {
        let keys = key.split(2)
        self.configuration = configuration
        actor = DeterministicActor(
            observationSize: observationSize, actionSize: actionSize, hidden: configuration.hidden, key: keys[0])
        critic = Critic(
            observationSize: observationSize, actionSize: actionSize, hidden: configuration.hidden, key: keys[1])
        (targetActor, targetCritic) = (actor, critic)
        actorOptimizer = Adam(for: actor, learningRate: configuration.learningRate)
        criticOptimizer = Adam(for: critic, learningRate: configuration.learningRate)
    }

    /// One critic step on `batch` and, every `policyDelay`-th step, one actor step and the
    /// targets' Polyak update. Returns the critic's loss and, when the actor moved, −mean Q₁.
    public mutating func update(_ batch: ReplayBatch, key: RandomKey, step: Int) throws
        -> DeterministicActorCriticLosses
    {
        let c = configuration
        var nextActions = targetActor(batch.nextObservations)
        if c.targetPolicyNoise > 0 {
            let noise = clamp(
                c.targetPolicyNoise * key.normal(nextActions.shape), min: -c.targetNoiseClip, max: c.targetNoiseClip)
            nextActions = clamp(nextActions + noise, min: -1, max: 1)
        }
        let nextValue = targetCritic.minimumValue(batch.nextObservations, nextActions)
        let target = batch.rewards + c.gamma * (1 - batch.terminals) * nextValue
        let (observations, actions) = (batch.observations, batch.actions)
        let (criticLoss, criticGradient) = critic.regressionGradient(observations, actions, target)
        try criticOptimizer.update(&critic, along: criticGradient, step: step)
        guard (step + 1) % c.policyDelay == 0 else {
            return DeterministicActorCriticLosses(critic: criticLoss, actor: nil)
        }

        let (actorLoss, actorGradient) = deterministicPolicyGradient(observations)
        try actorOptimizer.update(&actor, along: actorGradient, step: step)
        targetCritic.trackTarget(critic, rate: c.tau)
        targetActor.track(actor, rate: c.tau)
        return DeterministicActorCriticLosses(critic: criticLoss, actor: actorLoss)
    }

    /// −mean Q₁(s, μθ(s)) and its gradient in θ: ∂Q₁/∂a through the fixed critic, pulled back
    /// through the actor.
    public func deterministicPolicyGradient(_ observations: Tensor) -> (
        loss: Float, gradient: DeterministicActor.TangentVector
    ) {
        let (actions, pullback) = valueWithPullback(at: actor) { actor in actor(observations) }
        let critic = self.critic
        let (value, valueGradient) = valueWithGradient(at: actions) { actions in
            critic.first(observations, actions).mean().item
        }
        return (-value, pullback(-1 * valueGradient))
    }
}

extension DeterministicActorCritic: OffPolicyAgent {
    public var schedule: OffPolicySchedule { configuration.schedule }

    public var explorationNoise: ExplorationNoise? { configuration.explorationNoise }

    /// μθ(s); the training loop adds the exploration noise.
    public func act(_ observations: Tensor, key: RandomKey, deterministic: Bool) -> Tensor { actor(observations) }

    public mutating func update(_ batch: ReplayBatch, key: RandomKey, step: Int) throws -> [String: Float] {
        let losses: DeterministicActorCriticLosses = try update(batch, key: key, step: step)
        var metrics = ["critic_loss": losses.critic]
        if let actor = losses.actor { metrics["actor_loss"] = actor }
        return metrics
    }
}

/// What one TD3 or DDPG update measured: the critics' regression loss and, when the actor
/// moved, −mean Q₁(s, μθ(s)).
public struct DeterministicActorCriticLosses: Sendable {
    public var critic: Float
    public var actor: Float?
}
