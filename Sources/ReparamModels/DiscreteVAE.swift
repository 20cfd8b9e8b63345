import Foundation
import ReparamDistributions
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// A VAE with discrete latents (Jang et al. 2017): `variables` Bernoulli units, or `variables`
/// categorical variables with `classes` classes each, a uniform prior, and a Bernoulli-logits
/// decoder. The KL to the prior is exact; E_q[log p(x|b)] is what the gradient estimators handle.
public struct DiscreteVAE: Differentiable, ParameterListing {
    /// x → hidden… → logits (variables, or variables·classes).
    public var encoder: MLP
    /// one-hot or binary latent, flattened → hidden… → logits of p(x|b).
    public var decoder: MLP
    @noDerivative public let latent: DiscreteLatent
    @noDerivative public let variables: Int
    @noDerivative public let classes: Int

    public init(
        latent: DiscreteLatent, variables: Int, classes: Int, inputSize: Int = 784, hidden: [Int] = [512, 256],
        activation: Activation = .relu, initializer: Initializer = .pytorchDefault, key: RandomKey
    ) {
        let size = latent == .bernoulli ? variables : variables * classes
        let keys = key.split(2)
        encoder = MLP(sizes: [inputSize] + hidden + [size], hidden: activation, initializer: initializer, key: keys[0])
        decoder = MLP(
            sizes: [size] + hidden.reversed() + [inputSize], hidden: activation, initializer: initializer, key: keys[1])
        self.latent = latent
        self.variables = variables
        self.classes = latent == .bernoulli ? 2 : classes
    }

    public var parameterPaths: [ParameterPath<DiscreteVAE>] {
        encoder.parameterPaths.map { $0.nested(in: "encoder", value: \.encoder, gradient: \.encoder) }
            + decoder.parameterPaths.map { $0.nested(in: "decoder", value: \.decoder, gradient: \.decoder) }
    }

    /// q(b|x)'s logits: [batch, variables] or [batch, variables, classes].
    @differentiable(reverse,wrt: encoder)
    public static func logits(_ encoder: MLP, _ x: Tensor, latent: DiscreteLatent, variables: Int, classes: Int)
        -> Tensor
    {
        let flat = encoder(x)
        return latent == .bernoulli ? flat : flat.reshaped(to: withoutDerivative(at: [x.shape[0], variables, classes]))
    }

    public func logits(_ x: Tensor) -> Tensor {
        DiscreteVAE.logits(encoder, x, latent: latent, variables: variables, classes: classes)
    }

    /// log p(x|b) for latents shaped [n, batch] + latent shape: [n, batch].
    @differentiable(reverse,wrt: (decoder, z))
    public static func logLikelihood(_ decoder: MLP, _ z: Tensor, _ x: Tensor) -> Tensor {
        let (n, batch) = withoutDerivative(at: (z.shape[0], z.shape[1]))
        let logits = decoder(z.reshaped(to: withoutDerivative(at: [n * batch, z.count / (n * batch)])))
        // One fused pass for the value and ∂/∂logits instead of five elementwise ones (2% of a Gumbel-softmax
        // step, in-run); logits rows are draw-major, so row i scores against image i mod batch.
        return -bernoulliLogitsNLLRows(logits: logits, targets: withoutDerivative(at: x)).reshaped(to: [n, batch])
    }

    /// KL(q(b|x) ‖ uniform) per image: the sum over variables of `klToUniformPerVariable`.
    @differentiable(reverse)
    public static func klToUniform(_ logits: Tensor, latent: DiscreteLatent, classes: Int) -> Tensor {
        klToUniformPerVariable(logits, latent: latent, classes: classes).sum(alongAxes: [1])
    }

    /// KL(q(b_v|x) ‖ uniform) per image and variable, [batch, variables]: Σ_k q log q + log K
    /// (K = 2 for Bernoulli), from the KL registry with the uniform prior as zero logits.
    @differentiable(reverse)
    public static func klToUniformPerVariable(_ logits: Tensor, latent: DiscreteLatent, classes: Int) -> Tensor {
        let uniform = withoutDerivative(at: Tensor.zeros(logits.shape))
        return latent == .bernoulli
            ? klDivergence(Bernoulli(logits: logits), Bernoulli(logits: uniform))
            : klDivergence(OneHotCategorical(logits: logits), OneHotCategorical(logits: uniform))
    }

    /// −ELBO per image with one hard sample per image: −log p(x|b) + KL(q ‖ uniform).
    ///
    /// With `relaxedAt: τ` the decoder gets the Gumbel-softmax sample z̃ at temperature τ instead
    /// of b: the objective a relaxation trains. z̃ carries more than one bit per unit, so that
    /// value is not a bound on −log p(x) and can sit well below the hard −ELBO.
    public func negativeELBO(_ x: Tensor, key: RandomKey, relaxedAt temperature: Float? = nil) -> Tensor {
        let θ = logits(x)
        let perturbed = θ.reshaped(to: [1] + θ.shape) + latent.noise(key, shape: [1] + θ.shape)
        let z = temperature.map { latent.relax(perturbed, temperature: $0) } ?? latent.hardSample(perturbed: perturbed)
        return -DiscreteVAE.logLikelihood(decoder, z, x).reshaped(to: [x.shape[0]])
            + DiscreteVAE.klToUniform(θ, latent: latent, classes: classes)
    }

    /// One gradient estimate of the per-image training loss (averaged over the batch) from
    /// `estimator`: the estimator's ∂/∂logits for E_q[log p(x|b)], the exact KL gradient, and the
    /// decoder's gradient at the estimator's evaluation points. VIMCO instead optimizes its
    /// K-sample bound on log p(x), whose log weights include −log q(b|x). Returns the loss at the
    /// hard samples drawn (−ELBO, or −L_K for VIMCO).
    public func lossAndGradient<E: DiscreteGradientEstimator>(
        _ x: Tensor, estimator: inout E, key: RandomKey, draws: Int = 1
    )
        -> (loss: Float, gradient: TangentVector)
    {
        // Reporting the loss, nothing is skipped: the loss is always there.
        let (loss, gradient) = lossAndGradient(
            x, estimator: &estimator, key: key, draws: draws, sharingDecoderPass: true)
        return (loss ?? .nan, gradient)
    }

    /// `sharingDecoderPass: false` always runs the decoder again for its own gradient (the tests'
    /// reference for the shared pass). `reportingLoss: false` lets an estimator that does not use
    /// f's values (``DiscreteGradientEstimator/usesObjectiveValues``) skip the decoder pass at the
    /// hard samples that only the loss needs (the Gumbel-softmax relaxation's gradient is taken at
    /// the relaxed sample, so that pass is a sixth of the step's arithmetic); the loss is then nil,
    /// unless the estimator took its gradient at the hard samples (straight-through: no extra pass).
    func lossAndGradient<E: DiscreteGradientEstimator>(
        _ x: Tensor, estimator: inout E, key: RandomKey, draws: Int,
        sharingDecoderPass: Bool, reportingLoss: Bool = true
    )
        -> (loss: Float?, gradient: TangentVector)
    {
        let (latent, variables, classes) = (self.latent, self.variables, self.classes)
        let (θ, encoderPullback) = valueWithPullback(at: encoder) { e in
            DiscreteVAE.logits(e, x, latent: latent, variables: variables, classes: classes)
        }
        let decoder = self.decoder, batch = Float(x.shape[0])
        let multiSample = estimator.estimatesImportanceWeightedBound
        // VIMCO's log weight: log p(x|b) + log p(b) − log q(b|x), with q held fixed inside f.
        let logPrior = -Float(variables) * Float(Foundation.log(Double(classes)))
        let f: (Tensor) -> Tensor =
            multiSample
            ? { z in
                DiscreteVAE.logLikelihood(decoder, z, x) + logPrior
                    - DiscreteVAE.logProbability(z, logits: θ, latent: latent)
            }
            : { z in DiscreteVAE.logLikelihood(decoder, z, x) }
        let pass = DecoderPass()
        let skippingLoss = !reportingLoss && !estimator.usesObjectiveValues
        let objective =
            !estimator.needsDifferentiableObjective
            ? DiscreteObjective(blackBox: f, context: x)
            : sharingDecoderPass
                ? DiscreteVAE.sharedObjective(decoder, x, pass, evaluatingElsewhere: !skippingLoss)
                : DiscreteObjective({ z in DiscreteVAE.logLikelihood(decoder, z, x) }, context: x)
        let estimate = estimator.estimate(logits: θ, latent: latent, objective: objective, key: key, draws: draws)
        let weights = estimate.pointWeights, points = estimate.points
        var logitsCotangent = -estimate.gradient
        var loss = -estimate.objective.mean(alongAxes: [0]).sumToFloat()
        if multiSample {
            // The bound's direct dependence on θ through −log q(bₖ|x): −Σₖ w̃ₖ ∇θ log q(bₖ).
            let w = weights.reshaped(to: weights.shape + Array(repeating: 1, count: θ.rank - 1))
            logitsCotangent = logitsCotangent + (w * latent.score(points, logits: θ)).sum(alongAxes: [0])
        } else {
            let (kl, klPullback) = valueWithPullback(at: θ) { θ in
                DiscreteVAE.klToUniform(θ, latent: latent, classes: classes).sum()
            }
            logitsCotangent = logitsCotangent + klPullback(Tensor(1))
            loss += kl.scalarValue
        }
        var decoderGradient = MLP.TangentVector.zero
        if let weight = pass.takeGradient(into: &decoderGradient, at: points, weights: weights) {
            // The estimator's one gradient pass at these points already holds Σ ∇f: scale it by −w/batch (in
            // place: the pass let go of it).
            decoder.scale(&decoderGradient, by: -weight / batch)
        } else {
            decoderGradient = _Differentiation.gradient(at: decoder) { d in
                -(weights * DiscreteVAE.logLikelihood(d, points, x)).sumToFloat() / batch
            }
        }
        return (
            pass.skippedValues ? nil : loss / batch,
            TangentVector(encoder: encoderPullback(logitsCotangent / batch), decoder: decoderGradient)
        )
    }

    /// log p(x|z) as an objective whose gradient pass also keeps the decoder's gradient (in `pass`),
    /// and whose value at the points of that pass is not computed twice. With `evaluatingElsewhere`
    /// false, values at other points are NaN instead of a decoder pass (nobody reads them), and the
    /// pass records that it skipped them.
    static func sharedObjective(
        _ decoder: MLP, _ x: Tensor, _ pass: DecoderPass, evaluatingElsewhere: Bool = true
    ) -> DiscreteObjective {
        DiscreteObjective(
            { z in DiscreteVAE.logLikelihood(decoder, z, x) }, context: x,
            evaluate: { z in
                pass.value(at: z)
                    ?? (evaluatingElsewhere
                        ? DiscreteVAE.logLikelihood(decoder, z, x) : pass.skippedValue(at: z, images: x.shape[0]))
            },
            valueAndGradient: { z in
                let (value, pullback) = valueWithPullback(at: decoder, z) { d, z in DiscreteVAE.logLikelihood(d, z, x) }
                let (decoderGradient, zGradient) = pullback(Tensor.ones(value.shape))
                pass.record(points: z, value: value, gradient: decoderGradient)
                return (value, zGradient)
            })
    }

    /// log q(b|x) for samples shaped [n, batch] + latent shape: [n, batch].
    @differentiable(reverse,wrt: logits)
    static func logProbability(_ b: Tensor, logits: Tensor, latent: DiscreteLatent) -> Tensor {
        latent.logProbability(b, logits: logits)
    }
}

/// What an estimator's gradient passes through the decoder computed: with exactly one pass, at the
/// points the estimate reports and with equal weights on them, the decoder's gradient is that
/// pass's, scaled; otherwise (several passes, other points) it is computed again.
final class DecoderPass {
    private var passes = 0
    private var points: Tensor?, value: Tensor?, decoderGradient: MLP.TangentVector?
    /// f was asked for at points other than the pass's and gave NaN instead of a decoder pass.
    private(set) var skippedValues = false

    /// NaN for f at z, [draws, images], noting that a value was skipped.
    func skippedValue(at z: Tensor, images: Int) -> Tensor {
        skippedValues = true
        return Tensor(repeating: .nan, shape: [z.shape[0], images])
    }

    func record(points: Tensor, value: Tensor, gradient: MLP.TangentVector) {
        passes += 1
        (self.points, self.value, decoderGradient) = (points, value, gradient)
    }

    /// f at z when the one pass was at exactly z (straight-through evaluates f at the hard point it
    /// took the gradient at).
    func value(at z: Tensor) -> Tensor? {
        guard passes == 1, let points, points.shape == z.shape, points.scalars == z.scalars else { return nil }
        return value
    }

    /// When the pass's Σ∇f makes the decoder's gradient, moves it into `gradient` (the pass keeps no
    /// reference, so it can be scaled in place) and returns the one weight every point has.
    func takeGradient(into gradient: inout MLP.TangentVector, at z: Tensor, weights: Tensor) -> Float? {
        guard passes == 1, let points, decoderGradient != nil, points.shape == z.shape, points.scalars == z.scalars
        else { return nil }
        let w = weights.scalars
        guard let first = w.first, w.allSatisfy({ $0 == first }) else { return nil }
        gradient = decoderGradient!
        decoderGradient = nil
        return first
    }
}
