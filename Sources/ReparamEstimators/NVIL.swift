import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// NVIL (Mnih & Gregor 2014): REINFORCE with a learned, input-dependent baseline C_ψ(x), a
/// running centering c, and variance normalization:
/// g = (f(b) − c − C_ψ(x)) / max(1, √v) · ∇θ log q(b),
/// where c and v are moving averages of the mean and variance of f − C_ψ(x), and C_ψ is fitted
/// after each call by one Adam step on E[(f − c − C_ψ(x))²].
///
/// The normalization divides the gradient by a positive number known before the draw, so it
/// changes the step size, not the direction; with `normalizesVariance: false` the estimate is
/// an unbiased gradient in the objective's own units (what the lab measures).
public struct NVIL: DiscreteGradientEstimator {
    public var baseline: MLP
    public var normalizesVariance: Bool
    public var decay: Float
    var optimizer: Adam<MLP>
    var centering: Float = 0
    var signalVariance: Float = 1

    /// `contextSize` features of x feed a tanh MLP with one hidden layer of `hidden` units.
    public init(
        contextSize: Int = 1, hidden: Int = 16, learningRate: Float = 1e-2, decay: Float = 0.9,
        normalizesVariance: Bool = true, key: RandomKey
    ) {
        baseline = MLP(sizes: [contextSize, hidden, 1], hidden: .tanh, key: key)
        optimizer = Adam(for: baseline, learningRate: learningRate)
        self.decay = decay
        self.normalizesVariance = normalizesVariance
    }

    public var kind: EstimatorKind { .nvil }
    public var isUnbiased: Bool { !normalizesVariance }

    public mutating func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let b = latent.sample(logits: logits, draws: draws, key: key)
        let f = objective.evaluate(b)
        let signal = centred(f, context: objective.context ?? Tensor.ones([logits.shape[0], 1]))
        return DiscreteGradientEstimate(
            objective: f, perDraw: weighted(latent.score(b, logits: logits), by: signal),
            evaluationsPerDraw: 1, points: b)
    }

    /// (s − c − C_ψ(x)) / max(1, √v) for a learning signal s of shape [draws, batch], before
    /// c, v and C_ψ adapt to this s (so the baseline never sees the draw it is subtracted from).
    mutating func centred(_ s: Tensor, context: Tensor) -> Tensor {
        let learned = baseline(context).reshaped(to: [context.shape[0]])
        let scale = normalizesVariance ? 1 / max(1, signalVariance.squareRoot()) : 1
        let result = (s - centering - learned) * scale
        adapt(signal: s - learned, f: s, context: context)
        return result
    }

    mutating func adapt(signal: Tensor, f: Tensor, context: Tensor) {
        let mean = signal.mean().scalarValue
        let variance = square(signal - mean).mean().scalarValue
        centering = decay * centering + (1 - decay) * mean
        signalVariance = decay * signalVariance + (1 - decay) * variance
        let target = f - centering
        let gradient =
            MLP.TangentVector.zero
            + _Differentiation.gradient(at: baseline) { net in
                square(target - net(context).reshaped(to: [context.shape[0]])).mean().sumToFloat()
            }
        // A non-finite baseline gradient skips this fit; the estimate above is unaffected.
        try? optimizer.update(&baseline, along: gradient)
    }
}
