import ReparamTensor
import _Differentiation

/// y = softplus(x) = log(1 + eˣ) onto (0, ∞).
///
/// log|det J| = log σ(x) = −softplus(−x); the inverse is x = log(eʸ − 1) = y + log(−expm1(−y)),
/// which keeps its precision for large y, and its log-determinant is −log(−expm1(−y)).
public struct Softplus: Bijector {
    public init() {}

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { softplus(x) }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { y + log(-expm1(-y)) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { -softplus(-x) }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -log(-expm1(-y)) }
}
