import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// SAC's policy: an MLP trunk and two linear heads giving a Gaussian's mean and log standard
/// deviation (clamped to [−20, 2]), squashed into (−1, 1) by tanh: a = tanh(μ + σ·ε). Its
/// samples are pathwise in the parameters, and `TanhNormal` gives their exact log-density.
public struct SquashedGaussianActor: Differentiable {
    public var trunk: MLP
    public var mean: Dense
    public var logStd: Dense

    public init(observationSize: Int, actionSize: Int, hidden: [Int], key: RandomKey) {
        precondition(!hidden.isEmpty, "SquashedGaussianActor: needs at least one hidden layer")
        let keys = key.split(3)
        trunk = MLP(sizes: [observationSize] + hidden, hidden: .relu, output: .relu, key: keys[0])
        mean = Dense(inputSize: hidden.last!, outputSize: actionSize, key: keys[1])
        logStd = Dense(inputSize: hidden.last!, outputSize: actionSize, key: keys[2])
    }

    /// π(·|s) for observations [B, obs]: batch shape [B, act].
    @differentiable(reverse)
    public func distribution(_ observations: Tensor) -> TanhNormal {
        let h = trunk(observations)
        return TanhNormal(loc: mean(h), scale: exp(clamp(logStd(h), min: -20, max: 2)))
    }

    /// Reparameterized actions [B, act] in (−1, 1) and their log-densities [B] (summed over the
    /// action's components).
    @differentiable(reverse,wrt: self)
    public func sampleWithLogProb(_ observations: Tensor, key: RandomKey) -> SampleWithLogProb {
        let draw = distribution(observations).transformed.rsampleWithLogProb(key)
        return SampleWithLogProb(value: draw.value, logProb: draw.logProb.sum(alongAxes: [1]))
    }

    /// The deterministic action tanh(μ(s)), for evaluation.
    public func deterministicAction(_ observations: Tensor) -> Tensor { tanh(mean(trunk(observations))) }
}

extension SquashedGaussianActor: ParameterListing {
    public var parameterPaths: [ParameterPath<SquashedGaussianActor>] {
        typealias Actor = SquashedGaussianActor
        return trunk.parameterPaths.map {
            $0.nested(in: "trunk", value: \Actor.trunk, gradient: \Actor.TangentVector.trunk)
        }
            + mean.parameterPaths.map { $0.nested(in: "mean", value: \Actor.mean, gradient: \Actor.TangentVector.mean) }
            + logStd.parameterPaths.map {
                $0.nested(in: "logStd", value: \Actor.logStd, gradient: \Actor.TangentVector.logStd)
            }
    }
}
