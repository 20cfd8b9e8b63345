import ReparamTensor
import _Differentiation

/// Reorders the last axis: y[…, j] = x[…, permutation[j]]; log|det J| = 0. Between coupling
/// or autoregressive layers it lets every coordinate be transformed in turn.
public struct Permutation: Bijector {
    @noDerivative public let permutation: [Int]
    /// P with x·P = x[…, permutation] (one 1 per column): a product, so the gradient is xᵀ·v.
    @noDerivative let matrix: Tensor

    public init(_ permutation: [Int]) {
        precondition(
            Set(permutation) == Set(permutation.indices),
            "Permutation: \(permutation) is not a permutation of 0..<\(permutation.count)")
        self.permutation = permutation
        let d = permutation.count
        var m = [Float](repeating: 0, count: d * d)
        for (j, source) in permutation.enumerated() { m[source * d + j] = 1 }
        matrix = Tensor(shape: [d, d], scalars: m)
    }

    /// The last axis reversed.
    public static func reverse(count: Int) -> Permutation { Permutation(Array((0..<count).reversed())) }

    public var eventRank: Int { 1 }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { onLastAxis(x, matrix, transposed: false) }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { onLastAxis(y, matrix, transposed: true) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        withoutDerivative(at: Tensor.zeros(Array(x.shape.dropLast())))
    }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { forwardLogDetJacobian(y) }
}

/// x·M (or x·Mᵀ) over the last axis of a tensor of any rank ≥ 1.
@differentiable(reverse)
func onLastAxis(_ x: Tensor, _ m: Tensor, transposed: Bool) -> Tensor {
    let shape = withoutDerivative(at: x.shape)
    precondition(shape.last == m.shape[0], "bijector: last dimension of \(shape) does not match \(m.shape)")
    let rows = matmul(x.reshaped(to: [-1, shape.last!]), m, transposeB: transposed)
    return rows.reshaped(to: Array(shape.dropLast()) + [withoutDerivative(at: m.shape[transposed ? 0 : 1])])
}
