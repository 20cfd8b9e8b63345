import ReparamTensor
import _Differentiation

/// y = shift + scale · x (elementwise, broadcasting; scale ≠ 0): the location-scale map.
/// log|det J| = log|scale| per element.
public struct Affine: Bijector {
    public var shift: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(shift: Tensor, scale: Tensor) {
        self.shift = shift
        self.scale = scale
    }

    public var eventRank: Int { 0 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { shift + scale * x }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { (y - shift) / scale }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        let shape = withoutDerivative(
            at: [x.shape, shift.shape, scale.shape].reduce([]) { Tensor.broadcastShape($0, $1) ?? $0 })
        return expand(log(abs(scale)), to: shape)
    }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -forwardLogDetJacobian(y) }
}
