import ReparamRandom
import ReparamTensor
import _Differentiation

/// DARN (Gregor et al. 2014; a column of Jang et al. 2017, Table 1): the score-function estimator
/// with each unit's learning signal f(b) − f(b̄) replaced by its first-order Taylor term at the
/// sample, taken around the centre b̄ of the unit's range:
///
///   Bernoulli unit i:      gᵢ = ∂f/∂bᵢ · (bᵢ − ½) · (bᵢ − σ(θᵢ))
///   categorical variable v: g_v = (∂f/∂b_v · (b_v − 1/K)) · (b_v − softmax(θ_v))
///
/// (K = 2 gives the Bernoulli form.) One evaluation of f and its gradient, no baseline to learn.
/// Unbiased when f is linear in b, and for Bernoulli units even when f is quadratic (with
/// bᵢ² = bᵢ the expansion at ½ is exact up to a term of zero mean); biased beyond that, as it
/// drops the higher-order terms of f(b) − f(b̄) and has no correction term like MuProp's.
public struct DARN: DiscreteGradientEstimator {
    public init() {}

    public var kind: EstimatorKind { .darn }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let b = latent.sample(logits: logits, draws: draws, key: key)
        let (f, gradientAtSample) = objective.valueAndGradient(b)
        let centre = latent == .bernoulli ? Float(0.5) : 1 / Float(logits.shape.last!)
        let taylorTerms = gradientAtSample * (b - centre)
        // Bernoulli: each unit has its own signal; categorical: a variable's signal sums its classes.
        let signal = latent == .bernoulli ? taylorTerms : taylorTerms.sum(alongAxes: [-1], keepDims: true)
        return DiscreteGradientEstimate(
            objective: f, perDraw: signal * latent.score(b, logits: logits), evaluationsPerDraw: 1, points: b)
    }
}
