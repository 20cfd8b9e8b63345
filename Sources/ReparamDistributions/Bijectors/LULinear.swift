import ReparamRandom
import ReparamTensor
import _Differentiation

/// An invertible linear map of the last axis, y = W·x + b with W = P·L·U (Kingma & Dhariwal's
/// invertible 1×1 convolution, Glow): P a fixed permutation, L unit lower-triangular, U upper-
/// triangular with diagonal exp(logDiagonal). log|det J| = Σ logDiagonal, with no determinant
/// computed; the inverse is two triangular solves.
public struct LULinear: Bijector {
    /// Only entries below the diagonal are used.
    public var lower: Tensor
    /// Only entries above the diagonal are used.
    public var upper: Tensor
    public var logDiagonal: Tensor
    public var bias: Tensor
    @noDerivative public let permutation: Permutation
    @noDerivative let strictlyLower: Tensor
    @noDerivative let strictlyUpper: Tensor
    @noDerivative let identity: Tensor
    /// J, the reversal: J·U·J is lower-triangular, which turns the U solve into an L solve.
    @noDerivative let reversal: Tensor

    public init(lower: Tensor, upper: Tensor, logDiagonal: Tensor, bias: Tensor, permutation: [Int]) {
        let d = logDiagonal.count
        precondition(
            lower.shape == [d, d] && upper.shape == [d, d] && logDiagonal.shape == [d] && bias.shape == [d],
            "LULinear: expected lower, upper [\(d), \(d)], logDiagonal and bias [\(d)]")
        self.lower = lower
        self.upper = upper
        self.logDiagonal = logDiagonal
        self.bias = bias
        self.permutation = Permutation(permutation)
        let grid = (0..<(d * d)).map { ($0 / d, $0 % d) }
        strictlyLower = Tensor(shape: [d, d], scalars: grid.map { $0.0 > $0.1 ? 1 : 0 })
        strictlyUpper = Tensor(shape: [d, d], scalars: grid.map { $0.0 < $0.1 ? 1 : 0 })
        identity = Tensor(shape: [d, d], scalars: grid.map { $0.0 == $0.1 ? 1 : 0 })
        reversal = Tensor(shape: [d, d], scalars: grid.map { $0.0 + $0.1 == d - 1 ? 1 : 0 })
    }

    /// Near the identity: small random triangular parts, a random permutation, zero bias.
    public init(size d: Int, key: RandomKey) {
        let keys = key.split(4)
        let order = keys[3].uniform([d]).scalars.enumerated().sorted { $0.element < $1.element }.map(\.offset)
        self.init(
            lower: 0.01 * keys[0].normal([d, d]), upper: 0.01 * keys[1].normal([d, d]),
            logDiagonal: 0.01 * keys[2].normal([d]), bias: Tensor.zeros([d]), permutation: order)
    }

    public var eventRank: Int { 1 }

    @differentiable(reverse)
    var l: Tensor { lower * strictlyLower + identity }
    @differentiable(reverse)
    var u: Tensor { upper * strictlyUpper + identity * exp(logDiagonal) }

    /// W = P·L·U.
    @differentiable(reverse)
    public var weight: Tensor { matmul(permutation.matrix, matmul(l, u)) }

    /// y = x·Wᵀ + b for row vectors x.
    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { onLastAxis(x, weight, transposed: true) + bias }

    /// x = U⁻¹L⁻¹Pᵀ(y − b), by forward substitution with L, then with J·U·J.
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor {
        let shape = withoutDerivative(at: y.shape)
        let c = onLastAxis(y - bias, permutation.matrix, transposed: false).reshaped(to: [-1, shape.last!])
        let v = solveLowerTriangular(l, c.transposed())
        let flippedU = matmul(reversal, matmul(u, reversal))
        let x = matmul(reversal, solveLowerTriangular(flippedU, matmul(reversal, v)))
        return x.transposed().reshaped(to: shape)
    }

    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        expand(logDiagonal.sum(), to: withoutDerivative(at: Array(x.shape.dropLast())))
    }

    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -forwardLogDetJacobian(y) }
}
