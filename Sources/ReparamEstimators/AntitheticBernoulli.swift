import _Differentiation
import ReparamRandom
import ReparamTensor

/// ARM, augment-REINFORCE-merge (Yin & Zhou 2019), for Bernoulli latents: one uniform vector u
/// gives two antithetic samples, and g = (f(1[u > σ(−θ)]) − f(1[u < σ(θ)]))·(u − ½). Unbiased.
public struct AugmentReinforceMerge: DiscreteGradientEstimator {
    public init() {}

    public var name: String { "arm" }
    public var isUnbiased: Bool { true }
    public func supports(_ latent: DiscreteLatent) -> Bool { latent == .bernoulli }

    public func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                         key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        precondition(latent == .bernoulli, "ARM needs a Bernoulli latent")
        let u = openUniform(key, [draws] + logits.shape)
        let p = perDraw(sigmoid(logits), draws)
        let first = u .> (1 - p), second = u .< p
        let (f1, f2) = (objective.evaluate(first), objective.evaluate(second))
        // Each of the pair is a draw from q, so f's own parameters get half of each.
        return DiscreteGradientEstimate(objective: 0.5 * (f1 + f2), perDraw: weighted(u - 0.5, by: f1 - f2),
                                        evaluationsPerDraw: 2, points: concat([first, second], axis: 0))
    }
}

/// DisARM (Dong, Mnih & Tucker 2020): ARM with the antithetic pair b = 1[u < σ(θ)],
/// b̃ = 1[1 − u < σ(θ)] and u integrated out analytically per unit:
/// gᵢ = ½(f(b) − f(b̃))·(−1)^b̃ᵢ·1[bᵢ ≠ b̃ᵢ]·σ(|θᵢ|). Unbiased, never worse than ARM.
public struct DisARM: DiscreteGradientEstimator {
    public init() {}

    public var name: String { "disarm" }
    public var isUnbiased: Bool { true }
    public func supports(_ latent: DiscreteLatent) -> Bool { latent == .bernoulli }

    public func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                         key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        precondition(latent == .bernoulli, "DisARM needs a Bernoulli latent")
        let u = openUniform(key, [draws] + logits.shape)
        let p = perDraw(sigmoid(logits), draws)
        let b = u .< p, antithetic = (1 - u) .< p
        let (f, fAntithetic) = (objective.evaluate(b), objective.evaluate(antithetic))
        let sign = (1 - 2 * antithetic) * abs(b - antithetic) * perDraw(sigmoid(abs(logits)), draws)
        return DiscreteGradientEstimate(objective: 0.5 * (f + fAntithetic), perDraw: weighted(sign, by: 0.5 * (f - fAntithetic)),
                                        evaluationsPerDraw: 2, points: concat([b, antithetic], axis: 0))
    }
}

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
