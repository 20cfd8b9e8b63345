import ReparamTensor
import _Differentiation

/// The continuous noise behind a discrete sample, as REBAR and RELAX use it.
///
/// Bernoulli: z = θ + log u − log(1 − u), b = H(z). Categorical: z = log softmax(θ) + g, g
/// standard Gumbel, b = onehot(argmax z); the normalization only shifts z, which neither the
/// argmax nor the softmax relaxation sees.
enum Perturbation {
    @differentiable(reverse,wrt: θ)
    static func z(_ θ: Tensor, noise: Tensor, latent: DiscreteLatent) -> Tensor {
        latent == .bernoulli ? θ + noise : logSoftmax(θ) + noise
    }

    /// z̃ ~ p(z | b) from fresh uniforms v, differentiable in θ with b and v fixed.
    ///
    /// Bernoulli, p = σ(θ): b = 1 gives z̃ = log((1 − p(1−v)) / ((1−p)(1−v))), b = 0 gives
    /// z̃ = log(p·v / (1 − v(1−p))) — z = θ + logit(u) with u uniform on (1−p, 1) or (0, 1−p).
    /// Categorical: the maximum z̃_b = −log(−log v_b) is Gumbel, the others are Gumbels with
    /// location log pₖ truncated below it: z̃ₖ = −log(−log vₖ / pₖ − log v_b).
    @differentiable(reverse,wrt: θ)
    static func conditional(_ θ: Tensor, b: Tensor, v: Tensor, latent: DiscreteLatent) -> Tensor {
        if latent == .bernoulli {
            let p = sigmoid(θ), logP = logSigmoid(θ), logNotP = logSigmoid(-θ)
            let logV = withoutDerivative(at: log(v)), logNotV = withoutDerivative(at: log1p(-v))
            let one = log1p(-p * (1 - v)) - logNotP - logNotV
            let zero = logP + logV - log1p(-v * (1 - p))
            return b * one + (1 - b) * zero
        }
        // −log(−log vₖ / pₖ + e) with e = −log v_b, as −logaddexp(log(−log vₖ) − log pₖ, log e): no
        // division by a probability that may underflow to 0.
        let logNegLogV = withoutDerivative(at: log(-log(v)))
        let logAtMax = withoutDerivative(at: log((b * exp(logNegLogV)).sum(alongAxes: [-1], keepDims: true)))
        let a = logNegLogV - logSoftmax(θ)
        let others = -(a + softplus(logAtMax - a))
        return b * withoutDerivative(at: -logAtMax) + (1 - b) * others
    }

    /// J_z·t: Bernoulli t; categorical t − ⟨softmax θ, t⟩ per variable.
    static func zTangent(_ θ: Tensor, _ t: Tensor, latent: DiscreteLatent) -> Tensor {
        latent == .bernoulli ? t : t - (softmax(θ) * t).sum(alongAxes: [-1], keepDims: true)
    }

    /// J_z̃·t. Bernoulli: z̃ is elementwise in θ, so J is the diagonal a pullback of ones gives.
    /// Categorical: dz̃ₖ = (1 − bₖ)·(−log vₖ)/(pₖ²Aₖ)·dpₖ with Aₖ = −log vₖ/pₖ − log v_b and
    /// dp = p ⊙ (t − ⟨p, t⟩), which simplifies to (1 − bₖ)·(−log vₖ)(tₖ − ⟨p, t⟩)/(−log vₖ − pₖ log v_b).
    static func conditionalTangent(_ θ: Tensor, _ t: Tensor, b: Tensor, v: Tensor, latent: DiscreteLatent) -> Tensor {
        if latent == .bernoulli {
            let (value, pullback) = valueWithPullback(at: θ) { θ in conditional(θ, b: b, v: v, latent: latent) }
            return pullback(Tensor.ones(value.shape)) * t
        }
        let p = softmax(θ), negLogV = -log(v)
        let atMax = (b * negLogV).sum(alongAxes: [-1], keepDims: true)
        return (1 - b) * negLogV * (t - (p * t).sum(alongAxes: [-1], keepDims: true)) / (negLogV + p * atMax)
    }
}
