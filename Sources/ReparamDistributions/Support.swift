import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

let halfLogTwoPi: Float = 0.918938533204672741780
let eulerGamma: Float = 0.577215664901532860607

/// The broadcast of parameter shapes; parameters that do not broadcast are a programming
/// error here (`validate()` reports them as a `DistributionError`).
func joinedShape(_ shapes: [Int]..., of distribution: String) -> [Int] {
    var shape: [Int] = []
    for s in shapes {
        guard let joined = Tensor.broadcastShape(shape, s) else {
            preconditionFailure("\(distribution): parameter shapes \(shapes) do not broadcast")
        }
        shape = joined
    }
    return shape
}

/// `formula` where `inSupport(value)` holds, −∞ elsewhere (the log density outside the support).
@differentiable(reverse,wrt: formula)
func restricted(_ formula: Tensor, to value: Tensor, _ inSupport: @escaping (Float) -> Bool) -> Tensor {
    let mask = withoutDerivative(at: value.map { inSupport($0) ? 1 : 0 }.broadcasted(to: formula.shape))
    let outside = withoutDerivative(at: Tensor(repeating: -.infinity, shape: formula.shape))
    return select(mask, formula, outside)
}

/// `cdf` where `inSupport(value)` holds, 0 elsewhere (a CDF below its support).
@differentiable(reverse,wrt: cdf)
func zeroOutside(_ cdf: Tensor, to value: Tensor, _ inSupport: @escaping (Float) -> Bool) -> Tensor {
    let mask = withoutDerivative(at: value.map { inSupport($0) ? 1 : 0 }.broadcasted(to: cdf.shape))
    return select(mask, cdf, withoutDerivative(at: Tensor.zeros(cdf.shape)))
}

/// `value` where `inSupport(value)` holds, `point` (inside the support) elsewhere. A formula fed
/// this instead of `value` sees no point where it is undefined, so the branch that `zeroOutside`
/// then drops holds no NaN that its gradient could carry (0 · NaN is NaN).
@differentiable(reverse,wrt: value)
func movedInside(_ value: Tensor, to point: Float, _ inSupport: @escaping (Float) -> Bool) -> Tensor {
    let mask = withoutDerivative(at: value.map { inSupport($0) ? 1 : 0 })
    return select(mask, value, withoutDerivative(at: Tensor(repeating: point, shape: value.shape)))
}

/// `x` repeated to `shape` (differentiable: the gradient sums back).
@differentiable(reverse,wrt: x)
func expand(_ x: Tensor, to shape: [Int]) -> Tensor {
    if x.shape == shape { return x }
    return x + withoutDerivative(at: Tensor.zeros(shape))
}

extension RandomKey {
    /// Standard exponential: e^{−G} for G standard Gumbel keeps 32-bit resolution in both tails.
    func exponential(_ shape: [Int]) -> Tensor { gumbel(shape).map { expf(-$0) } }
}

/// 1 where p < ½, 0 elsewhere: which tail of a quantile function p lies in.
func lowerHalf(_ p: Tensor) -> Tensor { p.map { $0 < 0.5 ? 1 : 0 } }

/// q = min(p, 1 − p), the probability of p's own tail: exact in Float (1 − p is exact for p ≥ ½),
/// where p − ½ or 2p − 1 would lose the digits of a p near 0 or 1.
@differentiable(reverse)
func smallerTail(_ p: Tensor) -> Tensor { select(withoutDerivative(at: lowerHalf(p)), p, 1 - p) }
