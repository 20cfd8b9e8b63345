import ReparamFlows
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// A variational autoencoder with a Gaussian posterior q(z|x) = N(μ(x), diag σ²(x)), or that
/// Gaussian pushed through a flow conditioned on the encoder, a standard normal prior and a
/// Bernoulli-logits decoder p(x|z) (Kingma & Welling 2014).
public struct VAE: Differentiable, ParameterListing {
    /// x → hidden… → [μ, log σ², h] (2·latent outputs, and the flow's context h when there is a flow).
    public var encoder: MLP
    /// z → hidden… → logits of p(x|z).
    public var decoder: MLP
    /// The posterior's flow (no layers for a diagonal posterior).
    public var flow: PosteriorFlow
    @noDerivative public let latentSize: Int

    public init(
        inputSize: Int = 784, hidden: [Int] = [400], latentSize: Int = 20, activation: Activation = .relu,
        initializer: Initializer = .pytorchDefault, posterior: PosteriorKind = .diagonal, flowSteps: Int = 0,
        key: RandomKey
    ) {
        let keys = key.split(3)
        flow = PosteriorFlow(
            kind: posterior, latentSize: latentSize, steps: flowSteps, hidden: hidden.last!,
            activation: activation, key: keys[2])
        encoder = MLP(
            sizes: [inputSize] + hidden + [2 * latentSize + flow.contextSize], hidden: activation,
            initializer: initializer, key: keys[0])
        decoder = MLP(
            sizes: [latentSize] + hidden.reversed() + [inputSize], hidden: activation, initializer: initializer,
            key: keys[1])
        self.latentSize = latentSize
    }

    public var parameterPaths: [ParameterPath<VAE>] {
        encoder.parameterPaths.map { $0.nested(in: "encoder", value: \.encoder, gradient: \.encoder) }
            + decoder.parameterPaths.map { $0.nested(in: "decoder", value: \.decoder, gradient: \.decoder) }
            + flow.parameterPaths.map { $0.nested(in: "flow", value: \.flow, gradient: \.flow) }
    }

    /// Whether q(z|x) is the encoder's Gaussian alone (its KL then has a closed form).
    public var hasFlow: Bool { flow.kind != .diagonal }

    /// −ELBO per image, averaged over the batch: −E_q[log p(x|z)] + KL(q(z|x) ‖ N(0, I)), with the
    /// KL in closed form, −½Σ(1 + log σ² − μ² − σ²), and one reparameterized z = μ + σ·noise.
    @differentiable(reverse,wrt: self)
    public func negativeELBO(_ x: Tensor, noise: Tensor) -> Float {
        let h = encoder(x)
        let latent = withoutDerivative(at: latentSize)
        let loc = h.slice(axis: 1, 0..<latent), logVariance = h.slice(axis: 1, latent..<(2 * latent))
        let z = loc + exp(0.5 * logVariance) * noise
        let reconstruction = bernoulliLogitsNLL(logits: decoder(z), targets: x)
        let kl = (-0.5 * (1 + logVariance - square(loc) - exp(logVariance))).sumToFloat()
        return (reconstruction + kl) / Float(withoutDerivative(at: x.shape[0]))
    }
}

/// Mini-batches of rows, in order or shuffled by a key (the last, partial batch included).
public struct Batches: Sequence {
    public let data: Tensor
    public let batchSize: Int
    public let order: [Int]

    public init(_ data: Tensor, batchSize: Int, shuffledBy key: RandomKey? = nil) {
        precondition(batchSize > 0, "Batches: batch size must be positive, got \(batchSize)")
        self.data = data
        self.batchSize = batchSize
        if let key {
            var generator = key.makeGenerator()
            order = Array(0..<data.shape[0]).shuffled(using: &generator)
        } else {
            order = Array(0..<data.shape[0])
        }
    }

    public var count: Int { (order.count + batchSize - 1) / batchSize }

    public func makeIterator() -> AnyIterator<Tensor> {
        var start = 0
        return AnyIterator {
            guard start < order.count else { return nil }
            defer { start += batchSize }
            return data.rows(Array(order[start..<Swift.min(start + batchSize, order.count)]))
        }
    }
}
