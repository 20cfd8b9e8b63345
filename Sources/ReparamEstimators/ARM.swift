import ReparamRandom
import ReparamTensor
import _Differentiation

/// ARM, augment-REINFORCE-merge (Yin & Zhou 2019), for Bernoulli latents: one uniform vector u
/// gives two antithetic samples, and g = (f(1[u > σ(−θ)]) − f(1[u < σ(θ)]))·(u − ½). Unbiased.
public struct ARM: DiscreteGradientEstimator {
    public init() {}

    public var kind: EstimatorKind { .arm }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        precondition(latent == .bernoulli, "ARM needs a Bernoulli latent")
        let u = key.openUniform([draws] + logits.shape)
        let p = perDraw(sigmoid(logits), draws)
        let first = u .> (1 - p), second = u .< p
        let (f1, f2) = (objective.evaluate(first), objective.evaluate(second))
        // Each of the pair is a draw from q, so f's own parameters get half of each.
        return DiscreteGradientEstimate(
            objective: 0.5 * (f1 + f2), perDraw: weighted(u - 0.5, by: f1 - f2),
            evaluationsPerDraw: 2, points: concat([first, second], axis: 0))
    }
}

// The 0/1 masks of an antithetic pair, shared with DisARM.
infix operator .< : ComparisonPrecedence
infix operator .> : ComparisonPrecedence

/// Elementwise comparisons as 0/1 masks.
func .< (a: Tensor, b: Tensor) -> Tensor { elementwise(a, b) { $0 < $1 } }
func .> (a: Tensor, b: Tensor) -> Tensor { elementwise(a, b) { $0 > $1 } }

private func elementwise(_ a: Tensor, _ b: Tensor, _ compare: (Float, Float) -> Bool) -> Tensor {
    let shape = Tensor.broadcastShape(a.shape, b.shape)!
    let (x, y) = (a.broadcasted(to: shape).scalars, b.broadcasted(to: shape).scalars)
    return Tensor(shape: shape, scalars: zip(x, y).map { compare($0, $1) ? 1 : 0 })
}
