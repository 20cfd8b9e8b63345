import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// An action-value network Q(s, a) with one or more heads: one for DDPG, two for SAC and TD3.
/// The off-policy agents regress all heads on a target, bootstrap from the smallest, and push
/// the actor up the first.
public protocol ActionValueCritic: ParameterListing {
    init(observationSize: Int, actionSize: Int, hidden: [Int], key: RandomKey)

    /// The heads' values [B, heads] for observations [B, obs] and actions [B, act].
    @differentiable(reverse)
    @differentiable(reverse,wrt: actions)
    func callAsFunction(_ observations: Tensor, _ actions: Tensor) -> Tensor

    /// The smallest head per row, [B], used in the bootstrapped target.
    @differentiable(reverse)
    @differentiable(reverse,wrt: actions)
    func minimum(_ observations: Tensor, _ actions: Tensor) -> Tensor

    /// The first head per row, [B], the deterministic actor's objective.
    @differentiable(reverse,wrt: actions)
    func first(_ observations: Tensor, _ actions: Tensor) -> Tensor

    /// `minimum` without a derivative, for targets (a critic with several heads may evaluate
    /// them at once).
    func minimumValue(_ observations: Tensor, _ actions: Tensor) -> Tensor
    /// `criticRegression`'s value and gradient.
    func regressionGradient(_ observations: Tensor, _ actions: Tensor, _ target: Tensor)
        -> (loss: Float, gradient: TangentVector)
    /// Polyak averaging of this target network towards `online`.
    mutating func trackTarget(_ online: Self, rate tau: Float)
}

extension ActionValueCritic {
    public func minimumValue(_ observations: Tensor, _ actions: Tensor) -> Tensor { minimum(observations, actions) }

    public func regressionGradient(_ observations: Tensor, _ actions: Tensor, _ target: Tensor)
        -> (loss: Float, gradient: TangentVector)
    {
        let (value, gradient) = valueWithGradient(at: self) { critic in
            criticRegression(critic, observations, actions, target).item
        }
        return (value, gradient)
    }

    public mutating func trackTarget(_ online: Self, rate tau: Float) { track(online, rate: tau) }
}

/// One action-value network, as DDPG uses it (Lillicrap et al. 2016).
public struct SingleCritic: ActionValueCritic {
    public var q: MLP

    public init(observationSize: Int, actionSize: Int, hidden: [Int], key: RandomKey) {
        q = MLP(sizes: [observationSize + actionSize] + hidden + [1], hidden: .relu, output: .identity, key: key)
    }

    /// Q(s, a) as [B, 1].
    @differentiable(reverse)
    @differentiable(reverse,wrt: actions)
    public func callAsFunction(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        q(concat([observations, actions], axis: 1))
    }

    @differentiable(reverse)
    @differentiable(reverse,wrt: actions)
    public func minimum(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        self(observations, actions).reshaped(to: [withoutDerivative(at: observations.shape[0])])
    }

    @differentiable(reverse,wrt: actions)
    public func first(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        self(observations, actions).reshaped(to: [withoutDerivative(at: observations.shape[0])])
    }
}

extension SingleCritic {
    public var parameterPaths: [ParameterPath<SingleCritic>] {
        q.parameterPaths.map { $0.nested(in: "q", value: \SingleCritic.q, gradient: \SingleCritic.TangentVector.q) }
    }
}

extension ParameterListing {
    /// θ′ ← τθ + (1 − τ)θ′ for every parameter (Polyak averaging of a target network).
    public mutating func track(_ online: Self, rate tau: Float) {
        for path in parameterPaths {
            path.set(tau * path.tensor(in: online) + (1 - tau) * path.tensor(in: self), in: &self)
        }
    }
}

/// ½ Σ_heads mean((Qᵢ(s, a) − y)²), the critics' regression on the bootstrapped target y [B].
@differentiable(reverse,wrt: critic)
func criticRegression<Critic: ActionValueCritic>(
    _ critic: Critic, _ observations: Tensor, _ actions: Tensor, _ target: Tensor
) -> Tensor {
    let q = critic(observations, actions)
    let error = q - target.reshaped(to: [withoutDerivative(at: target.shape[0]), 1])
    return 0.5 * (error * error).sum(alongAxes: [1]).mean()
}
