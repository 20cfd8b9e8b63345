import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Two independent action-value networks Q₁, Q₂(s, a) (Fujimoto et al. 2018): SAC and TD3 take
/// the smaller of the two in their targets to counter Q-learning's overestimation.
public struct TwinCritic: ActionValueCritic {
    public var q1: MLP
    public var q2: MLP

    public init(observationSize: Int, actionSize: Int, hidden: [Int], key: RandomKey) {
        let keys = key.split(2)
        let sizes = [observationSize + actionSize] + hidden + [1]
        q1 = MLP(sizes: sizes, hidden: .relu, output: .identity, key: keys[0])
        q2 = MLP(sizes: sizes, hidden: .relu, output: .identity, key: keys[1])
    }

    /// [Q₁, Q₂] for observations [B, obs] and actions [B, act]: [B, 2].
    @differentiable(reverse)
    @differentiable(reverse, wrt: actions)
    public func callAsFunction(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        let input = concat([observations, actions], axis: 1)
        return concat([q1(input), q2(input)], axis: 1)
    }

    /// min(Q₁, Q₂) per row, [B]: ½(Q₁ + Q₂ − |Q₁ − Q₂|). Differentiated with respect to the
    /// actions alone (an actor's loss), it forms no weight gradients.
    @differentiable(reverse)
    @differentiable(reverse, wrt: actions)
    public func minimum(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        let q = self(observations, actions)
        let (a, b) = (q.slice(axis: 1, 0..<1), q.slice(axis: 1, 1..<2))
        return (0.5 * (a + b - abs(a - b))).reshaped(to: [withoutDerivative(at: q.shape[0])])
    }

    /// Q₁ alone, [B]: TD3's actor climbs the first critic only (Fujimoto et al. 2018, Alg. 1).
    @differentiable(reverse, wrt: actions)
    public func first(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        let input = concat([observations, actions], axis: 1)
        return q1(input).reshaped(to: [withoutDerivative(at: observations.shape[0])])
    }
}

extension TwinCritic: ParameterListing {
    public var parameterPaths: [ParameterPath<TwinCritic>] {
        q1.parameterPaths.map { $0.nested(in: "q1", value: \TwinCritic.q1, gradient: \TwinCritic.TangentVector.q1) }
            + q2.parameterPaths.map {
                $0.nested(in: "q2", value: \TwinCritic.q2, gradient: \TwinCritic.TangentVector.q2)
            }
    }
}
