import ReparamRandom
import ReparamTensor
import _Differentiation

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

    public var kind: EstimatorKind { baseline == nil ? .muprop : .mupropNVIL }
    public var isUnbiased: Bool { baseline?.isUnbiased ?? true }

    public mutating func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let (meanField, meanPullback) = valueWithPullback(at: logits) { θ in latent.mean(θ) }
        let (fAtMean, gradientAtMean) = objective.valueAndGradient(meanField.reshaped(to: [1] + logits.shape))
        let b = latent.sample(logits: logits, draws: draws, key: key)
        let f = objective.evaluate(b)
        let raw = f - (fAtMean + latent.sumOverLatent(gradientAtMean * (b - meanField)))
        let residual = baseline?.centred(raw, context: objective.context ?? Tensor.ones([logits.shape[0], 1])) ?? raw
        let estimates =
            weighted(latent.score(b, logits: logits), by: residual)
            + meanPullback(gradientAtMean.reshaped(to: logits.shape))
        return DiscreteGradientEstimate(objective: f, perDraw: estimates, evaluationsPerDraw: 2, points: b)
    }
}
