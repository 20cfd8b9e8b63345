import Foundation
import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// log π(a|s) and the entropy H(π(·|s)) for a batch of states, [B] each.
public struct ActionDensity: Differentiable {
    public var logProb: Tensor
    public var entropy: Tensor

    @differentiable(reverse)
    public init(logProb: Tensor, entropy: Tensor) { (self.logProb, self.entropy) = (logProb, entropy) }
}

/// A policy trained by score-function gradients (REINFORCE, A2C, PPO): it samples actions and
/// differentiates log π(a|s) in its parameters — never through the action, which reaches a
/// non-differentiable environment. Actions travel as [B, width] tensors: class indices (width 1)
/// for a discrete policy, raw Gaussian draws for a continuous one.
public protocol StochasticPolicy: ParameterListing {
    init(observationSize: Int, outputs: Int, settings: PolicyNetworkSettings, key: RandomKey)

    /// Actions [B, width] drawn from π(·|s) and their log-probabilities [B].
    func sample(_ observations: Tensor, key: RandomKey) -> (actions: Tensor, logProb: Tensor)

    /// The most likely action, [B, width], for evaluation.
    func mode(_ observations: Tensor) -> Tensor

    /// log π(a|s) and the entropy at s.
    @differentiable(reverse,wrt: self)
    func density(_ observations: Tensor, _ actions: Tensor) -> ActionDensity
}

/// The shape of an on-policy actor-critic's networks, as stable-baselines3's `MlpPolicy` has it.
public struct PolicyNetworkSettings: Codable, Sendable, Equatable {
    public var hidden = [64, 64]
    /// Orthogonal initialization with gains √2 (hidden), 0.01 (policy head) and 1 (value head).
    public var orthogonalInitialization = true
    /// The Gaussian policy's starting log σ (a state-independent parameter).
    public var logStdInit: Float = 0

    public init() {}

    func initializer(gain: Float) -> Initializer {
        orthogonalInitialization ? .orthogonal(gain: gain) : .pytorchDefault
    }

    /// A tanh network [inputs] + hidden + [outputs] whose last layer starts with `outputGain`.
    func network(inputs: Int, outputs: Int, outputGain: Float, key: RandomKey) -> MLP {
        let sizes = [inputs] + hidden + [outputs]
        let keys = key.split(sizes.count - 1)
        return MLP(
            layers: (0..<(sizes.count - 1)).map { i in
                let last = i == sizes.count - 2
                return Dense(
                    inputSize: sizes[i], outputSize: sizes[i + 1], activation: last ? .identity : .tanh,
                    initializer: initializer(gain: last ? outputGain : Float(2).squareRoot()), key: keys[i])
            })
    }
}

/// π(a|s) = softmax(f(s))ₐ over a discrete action set.
public struct CategoricalPolicy: StochasticPolicy {
    public var network: MLP

    public init(observationSize: Int, outputs: Int, settings: PolicyNetworkSettings, key: RandomKey) {
        network = settings.network(inputs: observationSize, outputs: outputs, outputGain: 0.01, key: key)
    }

    /// Class indices [B, 1] by Gumbel-max, and their log-probabilities.
    public func sample(_ observations: Tensor, key: RandomKey) -> (actions: Tensor, logProb: Tensor) {
        let distribution = Categorical(logits: network(observations))
        let actions = distribution.sample(key, sampleShape: [])
        return (actions.reshaped(to: [actions.count, 1]), distribution.logProb(actions))
    }

    public func mode(_ observations: Tensor) -> Tensor {
        let logits = network(observations)
        let k = logits.shape[1]
        return Tensor(
            shape: [logits.shape[0], 1],
            scalars: (0..<logits.shape[0]).map { row in
                let slice = logits.scalars[(row * k)..<((row + 1) * k)]
                return Float(slice.indices.max { slice[$0] < slice[$1] }! - row * k)
            })
    }

    @differentiable(reverse,wrt: self)
    public func density(_ observations: Tensor, _ actions: Tensor) -> ActionDensity {
        let distribution = Categorical(logits: network(observations))
        let indices = actions.reshaped(to: [withoutDerivative(at: actions.shape[0])])
        return ActionDensity(logProb: distribution.logProb(indices), entropy: distribution.entropy())
    }
}

/// π(a|s) = N(μ(s), diag σ²) with a state-independent log σ, unsquashed: the environment clips
/// the action to its box, as stable-baselines3 does.
public struct GaussianPolicy: StochasticPolicy {
    public var network: MLP
    public var logStd: Tensor

    public init(observationSize: Int, outputs: Int, settings: PolicyNetworkSettings, key: RandomKey) {
        network = settings.network(inputs: observationSize, outputs: outputs, outputGain: 0.01, key: key)
        logStd = Tensor(repeating: settings.logStdInit, shape: [outputs])
    }

    public func sample(_ observations: Tensor, key: RandomKey) -> (actions: Tensor, logProb: Tensor) {
        let mean = network(observations)
        let actions = mean + exp(logStd) * key.normal(mean.shape)
        return (actions, density(observations, actions).logProb)
    }

    public func mode(_ observations: Tensor) -> Tensor { network(observations) }

    /// log N(a; μ, σ²) and the entropy ½ log(2πe) + log σ, each summed over the action's components.
    @differentiable(reverse,wrt: self)
    public func density(_ observations: Tensor, _ actions: Tensor) -> ActionDensity {
        let normal = Normal(loc: network(observations), scale: exp(logStd))
        let batch = withoutDerivative(at: observations.shape[0])
        let perState = (logStd + Float(0.5 * (1 + Foundation.log(2 * Double.pi)))).sum()
        let entropy = perState * Tensor(repeating: 1, shape: [batch])
        return ActionDensity(logProb: normal.logProb(actions).sum(alongAxes: [1]), entropy: entropy)
    }
}

extension CategoricalPolicy {
    public var parameterPaths: [ParameterPath<CategoricalPolicy>] {
        network.parameterPaths.map {
            $0.nested(
                in: "network", value: \CategoricalPolicy.network, gradient: \CategoricalPolicy.TangentVector.network)
        }
    }
}

extension GaussianPolicy {
    public var parameterPaths: [ParameterPath<GaussianPolicy>] {
        network.parameterPaths.map {
            $0.nested(in: "network", value: \GaussianPolicy.network, gradient: \GaussianPolicy.TangentVector.network)
        } + [ParameterPath(name: "logStd", value: \.logStd, gradient: \.logStd)]
    }
}
