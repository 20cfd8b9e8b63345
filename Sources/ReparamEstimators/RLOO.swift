import ReparamRandom
import ReparamTensor
import _Differentiation

/// REINFORCE leave-one-out (Kool et al. 2019): K samples per draw, each baselined by the mean
/// of the other K − 1: g = 1/(K−1) Σₖ (fₖ − f̄)·∇θ log q(bₖ). Unbiased; no state.
public struct RLOO: DiscreteGradientEstimator {
    public var samples: Int

    public init(samples: Int) {
        precondition(samples >= 2, "RLOO: needs at least 2 samples, got \(samples)")
        self.samples = samples
    }

    public var kind: EstimatorKind { .rloo }
    public var settings: [(name: String, value: String)] { [("k", "\(samples)")] }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let k = samples
        let b = latent.sample(logits: logits, draws: draws * k, key: key)
        let f = objective.evaluate(b)
        let grouped = f.reshaped(to: [draws, k] + Array(f.shape.dropFirst()))
        let centered = (grouped - grouped.mean(alongAxes: [1], keepDims: true)).reshaped(to: f.shape)
        let terms = weighted(latent.score(b, logits: logits), by: centered)
        let perDraw = terms.reshaped(to: [draws, k] + logits.shape).sum(alongAxes: [1]) / Float(k - 1)
        return DiscreteGradientEstimate(
            objective: grouped.mean(alongAxes: [1]), perDraw: perDraw, evaluationsPerDraw: k, points: b)
    }
}
