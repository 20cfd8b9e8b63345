import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// TD3's and DDPG's policy: an MLP with ReLU hidden layers and a tanh output, a = μθ(s) in
/// (−1, 1). Its gradient is pathwise through the critic, ∇θ Q(s, μθ(s)) = ∂Q/∂a · ∂μθ/∂θ
/// (the deterministic policy gradient, Silver et al. 2014).
public struct DeterministicActor: Differentiable {
    public var network: MLP

    public init(observationSize: Int, actionSize: Int, hidden: [Int], key: RandomKey) {
        network = MLP(sizes: [observationSize] + hidden + [actionSize], hidden: .relu, output: .tanh, key: key)
    }

    /// Actions [B, act] for observations [B, obs].
    @differentiable(reverse,wrt: self)
    public func callAsFunction(_ observations: Tensor) -> Tensor { network(observations) }
}

extension DeterministicActor: ParameterListing {
    public var parameterPaths: [ParameterPath<DeterministicActor>] {
        network.parameterPaths.map {
            $0.nested(
                in: "network", value: \DeterministicActor.network, gradient: \DeterministicActor.TangentVector.network)
        }
    }
}
