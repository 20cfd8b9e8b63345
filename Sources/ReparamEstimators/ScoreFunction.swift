import _Differentiation
import ReparamRandom
import ReparamTensor

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
public struct Reinforce: DiscreteGradientEstimator {
    public var baseline: ScoreBaseline
    /// Moving averages: f per batch row, or (E[f s²], E[s²]) per coordinate.
    var average: Tensor?
    var weightedSquares: Tensor?
    var squares: Tensor?

    public init(baseline: ScoreBaseline = .none) { self.baseline = baseline }

    public var name: String { baseline == .none ? "reinforce" : "reinforce+\(baseline)" }
    public var isUnbiased: Bool { true }

    public mutating func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                                  key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        let b = latent.hardSample(perturbed: perDraw(logits, draws) + latent.noise(key, shape: [draws] + logits.shape))
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

/// REINFORCE leave-one-out (Kool et al. 2019): K samples per draw, each baselined by the mean
/// of the other K − 1: g = 1/(K−1) Σₖ (fₖ − f̄)·∇θ log q(bₖ). Unbiased; no state.
public struct LeaveOneOut: DiscreteGradientEstimator {
    public var samples: Int

    public init(samples: Int) {
        precondition(samples >= 2, "LeaveOneOut: needs at least 2 samples, got \(samples)")
        self.samples = samples
    }

    public var name: String { "rloo(k=\(samples))" }
    public var isUnbiased: Bool { true }

    public func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                         key: RandomKey, draws: Int) -> DiscreteGradientEstimate {
        let k = samples
        let b = latent.hardSample(perturbed: perDraw(logits, draws * k) + latent.noise(key, shape: [draws * k] + logits.shape))
        let f = objective.evaluate(b)
        let grouped = f.reshaped(to: [draws, k] + Array(f.shape.dropFirst()))
        let centered = (grouped - grouped.mean(alongAxes: [1], keepDims: true)).reshaped(to: f.shape)
        let terms = weighted(latent.score(b, logits: logits), by: centered)
        let perDraw = terms.reshaped(to: [draws, k] + logits.shape).sum(alongAxes: [1]) / Float(k - 1)
        return DiscreteGradientEstimate(objective: grouped.mean(alongAxes: [1]), perDraw: perDraw, evaluationsPerDraw: k, points: b)
    }
}

/// decay·old + (1 − decay)·new; the first value starts the average.
func movingAverage(_ old: Tensor?, _ new: Tensor, _ decay: Float) -> Tensor {
    old.map { decay * $0 + (1 - decay) * new } ?? new
}

/// A baseline for per-draw score-function rows, computed for each draw from the other n − 1
/// draws so it never depends on the draw it corrects (which keeps every row unbiased).
public enum HeldOutBaseline: String, CaseIterable, Sendable {
    case none
    /// bᵢ = mean of f over the other draws.
    case mean
    /// bᵢⱼ = Σ_{k≠i} f s_kj² / Σ_{k≠i} s_kj², per parameter j: the variance-optimal constant.
    case optimalConstant = "optimal"
}

/// Per-draw score-function estimates (fᵢ − bᵢ)·sᵢ from values f [n] and score rows s [n, P]
/// (sᵢ = ∇ log q(zᵢ)), the baseline held out as `HeldOutBaseline` describes. Sums in Double.
public func scoreFunctionRows(values f: Tensor, scores s: Tensor, baseline: HeldOutBaseline) -> Tensor {
    precondition(s.rank == 2 && f.count == s.shape[0] && f.count >= 2,
                 "scoreFunctionRows: values \(f.shape) and scores \(s.shape) must be [n ≥ 2] and [n, P]")
    let (n, p) = (s.shape[0], s.shape[1])
    let values = f.scalars.map(Double.init), scores = s.scalars.map(Double.init)
    var out = [Float](repeating: 0, count: n * p)
    let total = values.reduce(0, +)
    var weighted = [Double](repeating: 0, count: p), squares = [Double](repeating: 0, count: p)
    for i in 0..<n {
        for j in 0..<p {
            let square = scores[i * p + j] * scores[i * p + j]
            weighted[j] += values[i] * square
            squares[j] += square
        }
    }
    for i in 0..<n {
        for j in 0..<p {
            let score = scores[i * p + j], square = score * score
            let b: Double
            switch baseline {
            case .none: b = 0
            case .mean: b = (total - values[i]) / Double(n - 1)
            case .optimalConstant:
                let denominator = squares[j] - square
                b = denominator > 0 ? (weighted[j] - values[i] * square) / denominator : 0
            }
            out[i * p + j] = Float((values[i] - b) * score)
        }
    }
    return Tensor(shape: [n, p], scalars: out)
}
