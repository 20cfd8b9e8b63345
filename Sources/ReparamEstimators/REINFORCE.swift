import ReparamRandom
import ReparamTensor
import _Differentiation

/// A baseline b subtracted from f in the score-function estimator (f(b) − b)·∇θ log q(b).
/// Any b that does not depend on the current draw leaves the estimator unbiased.
public enum ScoreBaseline: Equatable, Sendable, CustomStringConvertible {
    /// b = 0: plain REINFORCE.
    case none
    /// b = exponential moving average of f over earlier calls, per batch row.
    case movingAverage(decay: Float)
    /// Per coordinate j, b_j = E[f·s_j²] / E[s_j²], the constant that minimizes each coordinate's
    /// variance, estimated by moving averages of both moments over earlier calls.
    case optimalConstant(decay: Float)

    public var description: String {
        switch self {
        case .none: return "none"
        case .movingAverage(let decay): return "moving-average(\(decay))"
        case .optimalConstant(let decay): return "optimal-constant(\(decay))"
        }
    }
}

/// REINFORCE: g = (f(b) − baseline)·∇θ log q(b), one sample per draw.
public struct REINFORCE: DiscreteGradientEstimator {
    public var baseline: ScoreBaseline
    /// Moving averages: f per batch row, or (E[f s²], E[s²]) per coordinate.
    var average: Tensor?
    var weightedSquares: Tensor?
    var squares: Tensor?

    public init(baseline: ScoreBaseline = .none) { self.baseline = baseline }

    public var kind: EstimatorKind { .reinforce }
    public var settings: [(name: String, value: String)] { baseline == .none ? [] : [("baseline", "\(baseline)")] }

    public mutating func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let b = latent.sample(logits: logits, draws: draws, key: key)
        let f = objective.evaluate(b)
        let s = latent.score(b, logits: logits)
        let fs = weighted(s, by: f)
        let estimates: Tensor
        switch baseline {
        case .none:
            estimates = fs
        case .movingAverage(let decay):
            estimates = weighted(s, by: f - (average ?? Tensor.zeros(Array(f.shape.dropFirst()))))
            average = movingAverage(average, f.mean(alongAxes: [0]), decay)
        case .optimalConstant(let decay):
            let constant = weightedSquares.map { $0 / (squares! + 1e-30) } ?? Tensor.zeros(logits.shape)
            estimates = fs - s * constant
            weightedSquares = movingAverage(weightedSquares, (fs * s).mean(alongAxes: [0]), decay)
            squares = movingAverage(squares, (s * s).mean(alongAxes: [0]), decay)
        }
        return DiscreteGradientEstimate(objective: f, perDraw: estimates, evaluationsPerDraw: 1, points: b)
    }
}

/// decay·old + (1 − decay)·new; the first value starts the average.
func movingAverage(_ old: Tensor?, _ new: Tensor, _ decay: Float) -> Tensor {
    old.map { decay * $0 + (1 - decay) * new } ?? new
}
