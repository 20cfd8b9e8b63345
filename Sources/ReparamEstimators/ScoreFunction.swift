import ReparamRandom
import ReparamTensor
import _Differentiation

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
    precondition(
        s.rank == 2 && f.count == s.shape[0] && f.count >= 2,
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
