import ReparamRandom
import ReparamTensor
import _Differentiation

/// DisARM (Dong, Mnih & Tucker 2020): ARM with the antithetic pair b = 1[u < σ(θ)],
/// b̃ = 1[1 − u < σ(θ)] and u integrated out analytically per unit:
/// gᵢ = ½(f(b) − f(b̃))·(−1)^b̃ᵢ·1[bᵢ ≠ b̃ᵢ]·σ(|θᵢ|). Unbiased, never worse than ARM.
public struct DisARM: DiscreteGradientEstimator {
    public init() {}

    public var kind: EstimatorKind { .disarm }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        precondition(latent == .bernoulli, "DisARM needs a Bernoulli latent")
        let u = key.openUniform([draws] + logits.shape)
        let p = perDraw(sigmoid(logits), draws)
        let b = u .< p, antithetic = (1 - u) .< p
        let (f, fAntithetic) = (objective.evaluate(b), objective.evaluate(antithetic))
        let sign = (1 - 2 * antithetic) * abs(b - antithetic) * perDraw(sigmoid(abs(logits)), draws)
        return DiscreteGradientEstimate(
            objective: 0.5 * (f + fAntithetic), perDraw: weighted(sign, by: 0.5 * (f - fAntithetic)),
            evaluationsPerDraw: 2, points: concat([b, antithetic], axis: 0))
    }
}
