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
    @differentiable(reverse,wrt: actions)
    public func callAsFunction(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        let input = concat([observations, actions], axis: 1)
        return concat([q1(input), q2(input)], axis: 1)
    }

    /// min(Q₁, Q₂) per row, [B]: ½(Q₁ + Q₂ − |Q₁ − Q₂|). Differentiated with respect to the
    /// actions alone (an actor's loss), it forms no weight gradients.
    @differentiable(reverse)
    @differentiable(reverse,wrt: actions)
    public func minimum(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        let q = self(observations, actions)
        let (a, b) = (q.slice(axis: 1, 0..<1), q.slice(axis: 1, 1..<2))
        return (0.5 * (a + b - abs(a - b))).reshaped(to: [withoutDerivative(at: q.shape[0])])
    }

    /// Q₁ alone, [B]: TD3's actor climbs the first critic only (Fujimoto et al. 2018, Alg. 1).
    @differentiable(reverse,wrt: actions)
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

extension TwinCritic {
    /// min(Q₁, Q₂)(s, a) per row, [B], the two critics evaluated at once (no derivative).
    public func minimumValue(_ observations: Tensor, _ actions: Tensor) -> Tensor {
        let input = concat([observations, actions], axis: 1)
        let (a, b) = Kernels.concurrently({ q1(input) }, { q2(input) })
        return (0.5 * (a + b - abs(a - b))).reshaped(to: [observations.shape[0]])
    }

    /// ½ Σᵢ mean((Qᵢ(s, a) − y)²) and its gradient, each critic's term (which only its own
    /// weights enter) on its own thread.
    public func regressionGradient(_ observations: Tensor, _ actions: Tensor, _ target: Tensor)
        -> (loss: Float, gradient: TangentVector)
    {
        let input = concat([observations, actions], axis: 1)
        let y = target.reshaped(to: [target.shape[0], 1])
        func term(_ q: MLP) -> (value: Float, gradient: MLP.TangentVector) {
            valueWithGradient(at: q) { q in
                let error = q(input) - y
                return (0.5 * (error * error).mean()).item
            }
        }
        let (first, second) = Kernels.concurrently({ term(q1) }, { term(q2) })
        return (first.value + second.value, TangentVector(q1: first.gradient, q2: second.gradient))
    }

    /// mean(min(Q₁, Q₂)(s, a)) and its gradient with respect to the actions [B, act], through
    /// the critics held fixed: both forward passes at once, then both input-only backward passes.
    public func concurrentMinimumActionGradient(_ observations: Tensor, _ actions: Tensor)
        -> (value: Float, gradient: Tensor)
    {
        let input = concat([observations, actions], axis: 1)
        let (first, second) = Kernels.concurrently(
            { valueWithPullback(at: input) { x in q1(x) } }, { valueWithPullback(at: input) { x in q2(x) } })
        // ∂/∂a ½(a + b − |a − b|) = ½(1 − sign(a − b)), ∂/∂b = ½(1 + sign(a − b)); the mean adds 1/B.
        let (a, b) = (first.value.scalars, second.value.scalars)
        let n = Float(a.count)
        var weightA = [Float](repeating: 0, count: a.count), weightB = weightA, total: Float = 0
        for i in a.indices {
            let sign: Float = a[i] > b[i] ? 1 : (a[i] < b[i] ? -1 : 0)
            (weightA[i], weightB[i]) = (0.5 * (1 - sign) / n, 0.5 * (1 + sign) / n)
            total += 0.5 * (a[i] + b[i] - abs(a[i] - b[i]))
        }
        let shape = first.value.shape
        let (gradientA, gradientB) = Kernels.concurrently(
            { first.pullback(Tensor(shape: shape, scalars: weightA)) },
            { second.pullback(Tensor(shape: shape, scalars: weightB)) })
        let columns = observations.shape[1]..<(observations.shape[1] + actions.shape[1])
        return (total / n, (gradientA + gradientB).slice(axis: 1, columns))
    }
}

extension TwinCritic {
    /// Polyak averaging towards `online`, Q₁ and Q₂ at once.
    public mutating func trackTarget(_ online: TwinCritic, rate tau: Float) {
        let (q1, q2) = (self.q1, self.q2)
        (self.q1, self.q2) = Kernels.concurrently(
            {
                var q = q1; q.track(online.q1, rate: tau); return q
            },
            {
                var q = q2; q.track(online.q2, rate: tau); return q
            })
    }
}
