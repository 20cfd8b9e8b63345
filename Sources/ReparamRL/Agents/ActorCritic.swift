import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// A stochastic policy and a state-value network V(s) trained together by one optimizer, as
/// stable-baselines3's `ActorCriticPolicy` is (separate networks, no shared trunk).
public struct ActorCritic<Policy: StochasticPolicy>: Differentiable {
    public var policy: Policy
    public var value: MLP

    public init(observationSize: Int, outputs: Int, settings: PolicyNetworkSettings, key: RandomKey) {
        let keys = key.split(2)
        policy = Policy(observationSize: observationSize, outputs: outputs, settings: settings, key: keys[0])
        value = settings.network(inputs: observationSize, outputs: 1, outputGain: 1, key: keys[1])
    }

    /// V(s), [B].
    @differentiable(reverse,wrt: self)
    public func values(_ observations: Tensor) -> Tensor {
        value(observations).reshaped(to: [withoutDerivative(at: observations.shape[0])])
    }
}

extension ActorCritic: ParameterListing {
    public var parameterPaths: [ParameterPath<ActorCritic>] {
        policy.parameterPaths.map {
            $0.nested(in: "policy", value: \ActorCritic.policy, gradient: \ActorCritic.TangentVector.policy)
        }
            + value.parameterPaths.map {
                $0.nested(in: "value", value: \ActorCritic.value, gradient: \ActorCritic.TangentVector.value)
            }
    }
}

/// A minibatch of on-policy experience: the states, the actions taken and their log-probability
/// when they were taken, the advantages Â and the value targets (returns).
public struct RolloutBatch {
    public var observations: Tensor
    public var actions: Tensor
    public var oldLogProb: Tensor
    public var advantages: Tensor
    public var returns: Tensor
}

/// The score-function objective and its companions, as a [4] tensor
/// [total, policy, value, entropy]:
///
///     policy  = −mean(Â·log π(a|s))                                  (REINFORCE, A2C)
///             = −mean(min(ρÂ, clip(ρ, 1 − ε, 1 + ε)·Â)), ρ = π/π_old  (PPO)
///     value   = mean((R − V(s))²)
///     entropy = −mean H(π(·|s))
///     total   = policy + c_H·entropy + c_V·value
///
/// The gradient of the policy term is the score function ∇ log π times the advantage: nothing
/// flows through the sampled action.
@differentiable(reverse,wrt: model)
func onPolicyLosses<Policy: StochasticPolicy>(
    _ model: ActorCritic<Policy>, _ batch: RolloutBatch, clipRange: Float?, entropyCoefficient: Float,
    valueCoefficient: Float
) -> Tensor {
    let density = model.policy.density(batch.observations, batch.actions)
    let policyLoss: Tensor
    if let epsilon = clipRange {
        let ratio = exp(density.logProb - batch.oldLogProb)
        let unclipped = batch.advantages * ratio
        let clipped = batch.advantages * clamp(ratio, min: 1 - epsilon, max: 1 + epsilon)
        // min(a, b) = ½(a + b − |a − b|)
        policyLoss = -(0.5 * (unclipped + clipped - abs(unclipped - clipped))).mean()
    } else {
        policyLoss = -(batch.advantages * density.logProb).mean()
    }
    let error = batch.returns - model.values(batch.observations)
    let valueLoss = (error * error).mean()
    let entropyLoss = -density.entropy.mean()
    let total = policyLoss + entropyCoefficient * entropyLoss + valueCoefficient * valueLoss
    return concat(
        [
            total.reshaped(to: [1]), policyLoss.reshaped(to: [1]), valueLoss.reshaped(to: [1]),
            entropyLoss.reshaped(to: [1]),
        ], axis: 0)
}
