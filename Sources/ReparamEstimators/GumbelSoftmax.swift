import _Differentiation
import ReparamRandom
import ReparamTensor

/// Gumbel-softmax / binary Concrete (Jang et al. 2017; Maddison et al. 2017): the gradient of
/// f at the relaxed sample y = softmax((θ + g)/T) (σ((θ + L)/T) for Bernoulli, L logistic).
/// Biased: it is the exact gradient of E[f(y)], not of E[f(b)]; the gap closes as T → 0 while
/// the variance grows.
///
/// Straight-through: f and ∂f/∂z are taken at the hard sample b, and ∂f/∂z is pulled back
/// through the relaxed sample's Jacobian — also biased, and the bias does not vanish with T.
public struct GumbelSoftmax: DiscreteGradientEstimator {
    public var temperature: Float
    public var straightThrough: Bool

    public init(temperature: Float, straightThrough: Bool = false) {
        precondition(temperature > 0 && temperature.isFinite, "GumbelSoftmax: temperature must be positive, got \(temperature)")
        self.temperature = temperature
        self.straightThrough = straightThrough
    }

    public var name: String { (straightThrough ? "st-gumbel" : "gumbel-softmax") + "(τ=\(temperature))" }
    public var isUnbiased: Bool { false }
    public var needsDifferentiableObjective: Bool { true }

    public func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                         key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        let noise = latent.noise(key, shape: [draws] + logits.shape)
        let temperature = temperature
        let (y, relaxedPullback) = valueWithPullback(at: perDraw(logits, draws)) { θ in
            latent.relax(θ + noise, temperature: temperature)
        }
        let hard = latent.hardSample(perturbed: withoutDerivative(at: perDraw(logits, draws)) + noise)
        let point = straightThrough ? hard : y
        let (_, gradientAtPoint) = objective.valueAndGradient(point)
        return DiscreteGradientEstimate(objective: objective.evaluate(hard), perDraw: relaxedPullback(gradientAtPoint),
                                        evaluationsPerDraw: 1, points: point)
    }
}

/// MuProp (Gu et al. 2016): the first-order Taylor expansion of f around the mean-field point
/// μ̄ = E[b] as a control variate, with its expectation added back analytically:
/// g = (f(b) − f(μ̄) − ∇f(μ̄)·(b − μ̄))·∇θ log q(b) + (∂μ̄/∂θ)ᵀ∇f(μ̄). Unbiased.
///
/// With `baseline`, NVIL's learned input-dependent baseline and running centering are also
/// subtracted from the residual f(b) − f(μ̄) − ∇f(μ̄)·(b − μ̄) and fitted to it: still unbiased
/// (they do not depend on the draw) unless the baseline normalizes variance.
public struct MuProp: DiscreteGradientEstimator {
    public var baseline: NVIL?

    public init(baseline: NVIL? = nil) { self.baseline = baseline }

    public var name: String { baseline == nil ? "muprop" : "muprop-nvil" }
    public var isUnbiased: Bool { baseline?.isUnbiased ?? true }
    public var needsDifferentiableObjective: Bool { true }

    public mutating func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                                  key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        let (meanField, meanPullback) = valueWithPullback(at: logits) { θ in latent.mean(θ) }
        let (fAtMean, gradientAtMean) = objective.valueAndGradient(meanField.reshaped(to: [1] + logits.shape))
        let b = latent.hardSample(perturbed: perDraw(logits, draws) + latent.noise(key, shape: [draws] + logits.shape))
        let f = objective.evaluate(b)
        let raw = f - (fAtMean + latent.sumOverLatent(gradientAtMean * (b - meanField)))
        let residual = baseline?.centred(raw, context: objective.context ?? Tensor.ones([logits.shape[0], 1])) ?? raw
        let estimates = weighted(latent.score(b, logits: logits), by: residual)
            + meanPullback(gradientAtMean.reshaped(to: logits.shape))
        return DiscreteGradientEstimate(objective: f, perDraw: estimates, evaluationsPerDraw: 2, points: b)
    }
}
