import ReparamTensor
import _Differentiation

/// y = x + shift (elementwise, broadcasting); log|det J| = 0.
public struct Shift: Bijector {
    public var shift: Tensor

    @differentiable(reverse)
    public init(_ shift: Tensor) { self.shift = shift }

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { x + shift }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { y - shift }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        withoutDerivative(at: Tensor.zeros(Tensor.broadcastShape(x.shape, shift.shape) ?? x.shape))
    }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { forwardLogDetJacobian(y) }
}
