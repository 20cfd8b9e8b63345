import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The control variate of REBAR and RELAX, a function of the continuous pre-threshold noise z:
/// c(z) = η·f(σ_λ(z)) + r_ψ(z), where σ_λ is the relaxation at temperature λ and r_ψ a small
/// MLP (RELAX only). η, λ and ψ are all fitted to minimize the estimator's variance.
public struct ControlVariate: Differentiable, ParameterListing {
    /// η
    public var scale: Tensor
    /// log λ
    public var logTemperature: Tensor
    /// r_ψ; its output layer starts at zero, so RELAX starts as REBAR.
    public var network: MLP
    @noDerivative public let usesNetwork: Bool

    public init(temperature: Float, latentSize: Int, hidden: Int, usesNetwork: Bool, key: RandomKey) {
        scale = Tensor(1)
        logTemperature = Tensor(logf(temperature))
        var network = MLP(sizes: [latentSize, hidden, 1], hidden: .tanh, key: key)
        let last = network.layers.count - 1
        network.layers[last].weight = Tensor.zeros(network.layers[last].weight.shape)
        self.network = network
        self.usesNetwork = usesNetwork
    }

    public var parameterPaths: [ParameterPath<ControlVariate>] {
        [
            ParameterPath(name: "scale", value: \.scale, gradient: \.scale),
            ParameterPath(name: "logTemperature", value: \.logTemperature, gradient: \.logTemperature),
        ]
            + (usesNetwork
                ? network.parameterPaths.map { $0.nested(in: "network", value: \.network, gradient: \.network) } : [])
    }

    /// c(z) for z shaped [draws] + θ.shape: [draws, batch].
    @differentiable(reverse,wrt: (self, z))
    public func callAsFunction(
        _ z: Tensor, latent: DiscreteLatent,
        objective: @differentiable(reverse) (Tensor) -> Tensor
    ) -> Tensor {
        let scaled = z * exp(-logTemperature)
        let relaxed = latent == .bernoulli ? sigmoid(scaled) : softmax(scaled)
        let value = scale * objective(relaxed)
        if !usesNetwork { return value }
        let rows = withoutDerivative(at: Array(z.shape.prefix(2)))
        let flat = z.reshaped(to: withoutDerivative(at: [rows[0] * rows[1], z.count / (rows[0] * rows[1])]))
        return value + network(flat).reshaped(to: rows)
    }
}
