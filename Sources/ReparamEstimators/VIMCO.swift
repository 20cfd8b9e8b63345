import Foundation
import ReparamRandom
import ReparamTensor
import _Differentiation

/// VIMCO (Mnih & Rezende 2016) for the K-sample bound L = log (1/K) Σₖ exp f(bₖ), f a log
/// weight. Each sample's learning signal is L minus the bound with f(bₖ) replaced by the
/// geometric mean of the others: g = Σₖ (L − L₋ₖ)·∇θ log q(bₖ). Unbiased for ∇θ E[L] when f
/// itself does not depend on θ (a model's log q term adds its own pathwise part).
public struct VIMCO: DiscreteGradientEstimator {
    public var samples: Int

    public init(samples: Int) {
        precondition(samples >= 2, "VIMCO: needs at least 2 samples, got \(samples)")
        self.samples = samples
    }

    public var kind: EstimatorKind { .vimco }
    public var settings: [(name: String, value: String)] { [("k", "\(samples)")] }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let k = samples, batch = logits.shape[0]
        let b = latent.sample(logits: logits, draws: draws * k, key: key)
        let f = objective.evaluate(b).scalars.map(Double.init)
        var bound = [Float](repeating: 0, count: draws * batch)
        var signals = [Float](repeating: 0, count: draws * k * batch), weights = signals
        for draw in 0..<draws {
            for row in 0..<batch {
                let values = (0..<k).map { f[(draw * k + $0) * batch + row] }
                let total = logMeanExp(values)
                bound[draw * batch + row] = Float(total)
                let sum = values.reduce(0, +)
                // f's own parameters get Σₖ w̃ₖ ∇f(bₖ), w̃ the normalized importance weights.
                for i in 0..<k {
                    weights[(draw * k + i) * batch + row] = Float(Foundation.exp(values[i] - total) / Double(k * draws))
                }
                for i in 0..<k {
                    var others = values
                    others[i] = (sum - values[i]) / Double(k - 1)
                    signals[(draw * k + i) * batch + row] = Float(total - logMeanExp(others))
                }
            }
        }
        let terms = weighted(latent.score(b, logits: logits), by: Tensor(shape: [draws * k, batch], scalars: signals))
        return DiscreteGradientEstimate(
            objective: Tensor(shape: [draws, batch], scalars: bound),
            perDraw: terms.reshaped(to: [draws, k] + logits.shape).sum(alongAxes: [1]),
            evaluationsPerDraw: k, points: b, pointWeights: Tensor(shape: [draws * k, batch], scalars: weights))
    }
}

/// log (1/n) Σ exp xᵢ, shifted by the maximum.
func logMeanExp(_ x: [Double]) -> Double {
    let top = x.max()!
    guard top.isFinite else { return top }
    return top + Foundation.log(x.reduce(0) { $0 + Foundation.exp($1 - top) } / Double(x.count))
}
