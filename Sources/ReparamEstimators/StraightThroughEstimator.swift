import _Differentiation
import ReparamRandom
import ReparamTensor

/// Straight-through (Bengio et al. 2013; "ST" in Jang et al. 2017, Table 1): f and ∂f/∂b at a
/// hard sample b ~ q, pulled back through the mean μ(θ) = E[b] (σ(θ) for Bernoulli, softmax(θ)
/// for categorical): g = (∂μ/∂θ)ᵀ ∂f/∂b. No noise enters the backward pass and no temperature is
/// involved. Exact when f is linear in b (then ∇E[f] = (∂μ/∂θ)ᵀ ∂f/∂b); biased otherwise.
public struct StraightThrough: DiscreteGradientEstimator {
    public init() {}

    public var name: String { "straight-through" }
    public var isUnbiased: Bool { false }
    public var needsDifferentiableObjective: Bool { true }

    public func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                         key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        let (_, meanPullback) = valueWithPullback(at: perDraw(logits, draws)) { θ in latent.mean(θ) }
        let b = latent.hardSample(perturbed: perDraw(logits, draws) + latent.noise(key, shape: [draws] + logits.shape))
        let (f, gradientAtSample) = objective.valueAndGradient(b)
        return DiscreteGradientEstimate(objective: f, perDraw: meanPullback(gradientAtSample), evaluationsPerDraw: 1, points: b)
    }
}
