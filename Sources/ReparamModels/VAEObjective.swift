import Foundation
import ReparamDistributions
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// What a VAE is trained to maximize.
public enum VAEObjective: Equatable, Sendable, CustomStringConvertible {
    /// The ELBO, with KL(q ‖ p) in closed form or as the one-sample estimate log q(z) − log p(z).
    case elbo(analyticKL: Bool)
    /// The importance-weighted bound with `samples` samples, and its gradient estimator.
    case iwae(samples: Int, gradient: ImportanceWeightedGradient)

    /// The ELBO with the KL in closed form: no sampling beyond one z.
    var isAnalyticELBO: Bool { self == .elbo(analyticKL: true) }
    /// Samples per image (1 for the ELBO).
    public var samples: Int { if case .iwae(let k, _) = self { return k } else { return 1 } }
    var gradientEstimator: ImportanceWeightedGradient {
        if case .iwae(_, let g) = self { return g } else { return .standard }
    }

    public var description: String {
        switch self {
        case .elbo(let analytic): return analytic ? "elbo (analytic KL)" : "elbo (Monte Carlo KL)"
        case .iwae(let k, let gradient): return "iwae (k = \(k), \(gradient.rawValue) gradient)"
        }
    }
}

extension VAE {
    /// The negative bound per image, averaged over the batch; its gradient is the objective's
    /// estimator. Noise comes from `key`.
    @differentiable(reverse,wrt: self)
    public func loss(_ x: Tensor, objective: VAEObjective, key: RandomKey) -> Float {
        // An if on plain values: autodiff does not support switching over enum payloads.
        if withoutDerivative(at: objective.isAnalyticELBO) {
            return negativeELBO(x, noise: key.normal(withoutDerivative(at: [x.shape[0], latentSize])))
        }
        let (k, gradient) = withoutDerivative(at: (objective.samples, objective.gradientEstimator))
        return -importanceWeighted(x, key: key, samples: k, gradient: gradient).mean().sumToFloat()
    }

    /// The encoder's Gaussian N(μ(x), diag σ²(x)) over the latent axis.
    @differentiable(reverse,wrt: self)
    func posterior(_ x: Tensor) -> Independent<Normal> { gaussian(encoder(x)) }

    @differentiable(reverse,wrt: self)
    func gaussian(_ h: Tensor) -> Independent<Normal> {
        let latent = withoutDerivative(at: latentSize)
        return Independent(
            Normal(loc: h.slice(axis: 1, 0..<latent), scale: exp(0.5 * h.slice(axis: 1, latent..<(2 * latent)))))
    }

    /// k draws of q(z|x) [k, n, latent] with log q [k, n]: the Gaussian pushed through the flow,
    /// its context the encoder's outputs after μ and log σ².
    @differentiable(reverse,wrt: self)
    func flowPosteriorSamples(_ x: Tensor, key: RandomKey, samples k: Int) -> SampleWithLogProb {
        let h = encoder(x)
        let latent = withoutDerivative(at: latentSize), width = withoutDerivative(at: h.shape[1])
        let context = h.slice(axis: 1, (2 * latent)..<width)
        return flow.rsampleWithLogProb(base: gaussian(h), context: context, key: key, samples: k)
    }

    /// log (1/K) Σₖ p(x, zₖ)/q(zₖ|x) per image, zₖ ~ q(z|x); K = 1 is the ELBO with Monte Carlo KL.
    /// With a flow posterior, log q comes from the forward pass (standard gradient only).
    @differentiable(reverse,wrt: self)
    func importanceWeighted(_ x: Tensor, key: RandomKey, samples k: Int, gradient: ImportanceWeightedGradient) -> Tensor
    {
        if withoutDerivative(at: hasFlow) {
            let draw = flowPosteriorSamples(x, key: key, samples: k)
            let logWeights = VAE.logJoint(decoder, draw.value, x) - draw.logProb
            return logWeights.logSumExp(alongAxes: [0]) - Float(Foundation.log(Double(k)))
        }
        return importanceWeightedBound(
            q: posterior(x), model: decoder,
            logJoint: { decoder, z in VAE.logJoint(decoder, z, x) },
            key: key, samples: k, gradient: gradient)
    }

    /// log p(x|z) + log N(z; 0, I) for z shaped [K, batch, latent]: [K, batch].
    @differentiable(reverse,wrt: (decoder, z))
    static func logJoint(_ decoder: MLP, _ z: Tensor, _ x: Tensor) -> Tensor {
        let (k, batch, latent) = withoutDerivative(at: (z.shape[0], z.shape[1], z.shape[2]))
        let logits = decoder(z.reshaped(to: [k * batch, latent]))
        // Logits rows are sample-major ([k, batch] flattened), so row i scores against image i mod batch.
        let logLikelihood = -bernoulliLogitsNLLRows(logits: logits, targets: withoutDerivative(at: x))
            .reshaped(to: [k, batch])
        return logLikelihood + standardNormalLogDensity(z)
    }

    /// `logJoint`'s value alone, for evaluation: the decoder's last layer (no activation) and the
    /// Bernoulli loss in one pass that never stores the logits (bit for bit the same values).
    static func logJointValue(_ decoder: MLP, _ z: Tensor, _ x: Tensor) -> Tensor {
        guard let last = decoder.layers.last, last.activation == .identity else { return logJoint(decoder, z, x) }
        let (k, batch, latent) = (z.shape[0], z.shape[1], z.shape[2])
        let h = decoder.layers.dropLast().reduce(z.reshaped(to: [k * batch, latent])) { h, layer in layer(h) }
        let logLikelihood = -last.bernoulliLogitsNLLRows(h, targets: x).reshaped(to: [k, batch])
        return logLikelihood + standardNormalLogDensity(z)
    }

    /// log N(z; 0, I) summed over the last axis of [K, batch, latent].
    @differentiable(reverse)
    static func standardNormalLogDensity(_ z: Tensor) -> Tensor {
        (-0.5 * square(z) - 0.91893853320467274).sum(alongAxes: [2])
    }

    /// The importance-sampled estimate of log p(x) per image (the bound L_K), without gradients,
    /// accumulated over chunks of at most `chunk` samples so K can be in the thousands. By default
    /// a chunk's decoder output stays under 16 MB: larger buffers are fresh mappings that the
    /// kernel zeroes page by page (a fifth of the time at 500 samples × 50 images × 784 pixels).
    public func logLikelihood(_ x: Tensor, samples k: Int, chunk: Int? = nil, key: RandomKey) -> [Double] {
        let chunk = chunk ?? Swift.max(1, Swift.min(500, (4 << 20) / Swift.max(1, x.shape[0] * x.shape[1])))
        let q = posterior(x)
        var total = [Double](repeating: -.infinity, count: x.shape[0])
        var done = 0, part: UInt64 = 0
        while done < k {
            let n = Swift.min(chunk, k - done)
            let logWeights: Tensor
            if hasFlow {
                let draw = flowPosteriorSamples(x, key: key.fold(in: part), samples: n)
                logWeights = VAE.logJointValue(decoder, draw.value, x) - draw.logProb
            } else {
                let z = q.sample(key.fold(in: part), sampleShape: [n])
                logWeights = VAE.logJointValue(decoder, z, x) - q.logProb(z)
            }
            let chunkMax = logWeights.max(alongAxes: [0]).scalars
            let sums = exp(logWeights - Tensor(chunkMax)).sum(alongAxes: [0]).scalars
            for i in total.indices {
                let partial = Double(chunkMax[i]) + Foundation.log(Double(sums[i]))
                let high = Swift.max(total[i], partial)
                total[i] = high + Foundation.log(Foundation.exp(total[i] - high) + Foundation.exp(partial - high))
            }
            done += n
            part += 1
        }
        return total.map { $0 - Foundation.log(Double(k)) }
    }
}

/// Pixels ~ Bernoulli(grey level), drawn from `key` (dynamic binarization).
public func binarized(_ images: Tensor, key: RandomKey) -> Tensor {
    key.bernoulli(images)
}
