import ReparamTensor
import _Differentiation

/// y = scale · x (elementwise, broadcasting; scale ≠ 0); log|det J| = log|scale| per element.
public struct Scale: Bijector {
    public var scale: Tensor

    @differentiable(reverse)
    public init(_ scale: Tensor) { self.scale = scale }

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { x * scale }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { y / scale }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        expand(log(abs(scale)), to: withoutDerivative(at: Tensor.broadcastShape(x.shape, scale.shape) ?? x.shape))
    }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -forwardLogDetJacobian(y) }
}
