import ReparamTensor
import _Differentiation

/// y = tanh(x) onto (−1, 1).
///
/// log|det J| = log(1 − tanh² x) written as 2(log 2 − x − softplus(−2x)), which stays finite
/// where tanh x rounds to ±1 (the SAC policy's squashing); the inverse is atanh y =
/// ½(log1p(y) − log1p(−y)).
public struct Tanh: Bijector {
    public init() {}

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { tanh(x) }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { 0.5 * (log1p(y) - log1p(-y)) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { 2 * (0.69314718056 - x - softplus(-2 * x)) }
}
