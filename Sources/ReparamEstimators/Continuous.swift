import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Pathwise (reparameterization) estimate of ∇ E_q[f(z)]: the gradient of the sample mean of
/// f(z), z = q.rsample(ε). f maps [samples] + batch + event to [samples] + batch; the estimate
/// is of Σ_batch E[f]. Explicit and implicit families alike (their rsample carries dz/dθ).
public func pathwiseGradient<Q: Reparameterizable>(
    of f: @differentiable(reverse) (Tensor) -> Tensor, at q: Q,
    key: RandomKey, samples: Int
) -> (value: Float, gradient: Q.TangentVector) {
    valueWithGradient(at: q) { q in f(q.rsample(key, sampleShape: [samples])).sum().sumToFloat() / Float(samples) }
}

/// Score-function (REINFORCE) estimate of ∇ E_q[f(z)] for any family and any f:
/// (1/S) Σₛ (f(zₛ) − bₛ)·∇ log q(zₛ). With `leaveOneOut`, bₛ is the mean of the other S − 1
/// values (RLOO), which keeps it unbiased; otherwise b = 0.
public func scoreFunctionGradient<Q: Distribution>(
    of f: (Tensor) -> Tensor, at q: Q, key: RandomKey, samples: Int,
    leaveOneOut: Bool = false
) -> (value: Float, gradient: Q.TangentVector) {
    precondition(!leaveOneOut || samples >= 2, "scoreFunctionGradient: leave-one-out needs at least 2 samples")
    let z = q.sample(key, sampleShape: [samples])
    let fz = f(z)
    let signal =
        leaveOneOut ? (fz - fz.mean(alongAxes: [0], keepDims: true)) * (Float(samples) / Float(samples - 1)) : fz
    let gradient = _Differentiation.gradient(at: q) { q in (q.logProb(z) * signal).sum().sumToFloat() / Float(samples) }
    return (fz.sum().scalarValue / Float(samples), gradient)
}

/// A value that equals `objective` but whose gradient adds the score-function term
/// (f − b)·∇ log q: objective + (log q − sg log q)·sg(objective − baseline). Lets a
/// score-function estimator sit inside any differentiable loss (the "magic box" construction).
@differentiable(reverse,wrt: (objective, logProbability))
public func scoreFunctionSurrogate(objective: Tensor, logProbability: Tensor, baseline: Tensor) -> Tensor {
    objective + (logProbability - withoutDerivative(at: logProbability)) * withoutDerivative(at: objective - baseline)
}

/// Gradient estimators for the importance-weighted bound log (1/K) Σₖ p(x, zₖ)/q(zₖ).
public enum ImportanceWeightedGradient: String, CaseIterable, Codable, Sendable {
    /// The total derivative of the bound (Burda et al.).
    case standard
    /// Sticking the landing (Roeder et al. 2017): drops the score term ∂ log q/∂φ at fixed z.
    /// Unbiased for K = 1; biased for K > 1 (Tucker et al. 2019).
    case stickingTheLanding = "stl"
    /// Doubly reparameterized (Tucker et al. 2019): q's parameters get Σₖ w̃ₖ²·∂log wₖ/∂zₖ·∂zₖ/∂φ,
    /// the model's get the standard Σₖ w̃ₖ ∇ log p. Unbiased, and its SNR does not decay with K.
    case doublyReparameterized = "dreg"
}

/// The importance-weighted bound log (1/K) Σₖ exp(log p(x, zₖ) − log q(zₖ)), zₖ = q.rsample, one
/// value per batch element; its value is the bound for every `gradient` choice, its gradient
/// with respect to (q, model) the chosen estimator. K = 1 is the ELBO.
@differentiable(reverse,wrt: (q, model))
public func importanceWeightedBound<Q: Reparameterizable, Model: Differentiable>(
    q: Q, model: Model, logJoint: @differentiable(reverse) (Model, Tensor) -> Tensor,
    key: RandomKey, samples k: Int, gradient: ImportanceWeightedGradient
) -> Tensor {
    let z = q.rsample(key, sampleShape: [k])
    let logK = withoutDerivative(at: Float(k)).logarithm
    switch gradient {
    case .standard:
        return (logJoint(model, z) - q.logProb(z)).logSumExp(alongAxes: [0]) - logK
    case .stickingTheLanding:
        return (logJoint(model, z) - withoutDerivative(at: q).logProb(z)).logSumExp(alongAxes: [0]) - logK
    case .doublyReparameterized:
        return doublyReparameterizedBound(q: q, model: model, logJoint: logJoint, z: z, logK: logK)
    }
}

/// Σₖ w̃ₖ²·log wₖ(zₖ) with q's parameters frozen gives q the DReG gradient through z alone; the
/// model would get Σ w̃ₖ²∇log p from it, so Σ (w̃ₖ − w̃ₖ²)·log p(x, sg zₖ) tops that up to the
/// standard Σ w̃ₖ∇log p. Value: the bound.
@differentiable(reverse,wrt: (q, model, z))
func doublyReparameterizedBound<Q: Reparameterizable, Model: Differentiable>(
    q: Q, model: Model, logJoint: @differentiable(reverse) (Model, Tensor) -> Tensor, z: Tensor, logK: Float
) -> Tensor {
    let logWeights = logJoint(model, z) - withoutDerivative(at: q).logProb(z)
    let normalized = withoutDerivative(at: softmax(logWeights, axis: 0))
    let squared = normalized * normalized
    let surrogate =
        (squared * logWeights).sum(alongAxes: [0])
        + ((normalized - squared) * logJoint(model, withoutDerivative(at: z))).sum(alongAxes: [0])
    let bound = withoutDerivative(at: logWeights.logSumExp(alongAxes: [0]) - logK)
    return surrogate - withoutDerivative(at: surrogate) + bound
}

extension Float {
    fileprivate var logarithm: Float { Float(Foundation.log(Double(self))) }
}
