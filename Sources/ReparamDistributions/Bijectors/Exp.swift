import ReparamTensor
import _Differentiation

/// y = exp(x); log|det J| = x, and −log y for the inverse.
public struct Exp: Bijector {
    public init() {}

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { exp(x) }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { log(y) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { x }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -log(y) }
}
