import CReparamKernels
import _Differentiation

extension Tensor {
    /// y = op(x) elementwise through the vectorized kernels.
    func applying(_ op: rp_unary_op) -> Tensor {
        precondition(!isShapelessZero, "elementwise op on the shapeless zero tangent: call expanded(to:) on it first")
        return Tensor.filled(shape) { out, n in
            scalars.withUnsafeBufferPointer { rp_unary(Int32(op.rawValue), $0.baseAddress, out, n) }
        }
    }

    /// v · op'(x) given y = op(x).
    static func unaryBackward(_ op: rp_unary_op, x: Tensor, y: Tensor, cotangent v: Tensor) -> Tensor {
        let g = v.expanded(to: x.shape)
        return Tensor.filled(x.shape) { out, n in
            x.scalars.withUnsafeBufferPointer { px in
                y.scalars.withUnsafeBufferPointer { py in
                    g.scalars.withUnsafeBufferPointer { pg in
                        rp_unary_backward(Int32(op.rawValue), px.baseAddress, py.baseAddress, pg.baseAddress, out, n)
                    }
                }
            }
        }
    }

    static func unaryVJP(_ op: rp_unary_op, _ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let y = x.applying(op)
        return (y, { v in v.isShapelessZero ? .zero : unaryBackward(op, x: x, y: y, cotangent: v) })
    }
}

/// eˣ
@differentiable(reverse) public func exp(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_EXP) }
/// ln x
@differentiable(reverse) public func log(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_LOG) }
/// ln(1 + x), accurate near 0.
@differentiable(reverse) public func log1p(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_LOG1P) }
/// eˣ − 1, accurate near 0.
@differentiable(reverse) public func expm1(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_EXPM1) }
/// tanh x
@differentiable(reverse) public func tanh(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_TANH) }
/// σ(x) = 1 / (1 + e⁻ˣ)
@differentiable(reverse) public func sigmoid(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_SIGMOID) }
/// softplus(x) = ln(1 + eˣ), computed without overflow.
@differentiable(reverse) public func softplus(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_SOFTPLUS) }
/// ln σ(x) = −softplus(−x), computed without overflow.
@differentiable(reverse) public func logSigmoid(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_LOG_SIGMOID) }
/// max(x, 0); its derivative at 0 is taken as 0.
@differentiable(reverse) public func relu(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_RELU) }
/// x²
@differentiable(reverse) public func square(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_SQUARE) }
/// √x
@differentiable(reverse) public func sqrt(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_SQRT) }
/// |x|; its derivative at 0 is taken as 0.
@differentiable(reverse) public func abs(_ x: Tensor) -> Tensor { x.applying(RP_UNARY_ABS) }

@derivative(of: exp) @usableFromInline func vjpExp(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_EXP, x)
}
@derivative(of: log) @usableFromInline func vjpLog(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_LOG, x)
}
@derivative(of: log1p) @usableFromInline func vjpLog1p(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_LOG1P, x)
}
@derivative(of: expm1) @usableFromInline func vjpExpm1(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_EXPM1, x)
}
@derivative(of: tanh) @usableFromInline func vjpTanh(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_TANH, x)
}
@derivative(of: sigmoid) @usableFromInline func vjpSigmoid(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor)
{ Tensor.unaryVJP(RP_UNARY_SIGMOID, x) }
@derivative(of: softplus) @usableFromInline func vjpSoftplus(_ x: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> Tensor
) { Tensor.unaryVJP(RP_UNARY_SOFTPLUS, x) }
@derivative(of: logSigmoid) @usableFromInline func vjpLogSigmoid(_ x: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> Tensor
) { Tensor.unaryVJP(RP_UNARY_LOG_SIGMOID, x) }
@derivative(of: relu) @usableFromInline func vjpRelu(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_RELU, x)
}
@derivative(of: square) @usableFromInline func vjpSquare(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_SQUARE, x)
}
@derivative(of: sqrt) @usableFromInline func vjpSqrt(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_SQRT, x)
}
@derivative(of: abs) @usableFromInline func vjpAbs(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    Tensor.unaryVJP(RP_UNARY_ABS, x)
}

/// xᵖ for a constant exponent.
@differentiable(reverse,wrt: x)
public func pow(_ x: Tensor, _ p: Float) -> Tensor {
    Tensor.filled(x.shape) { out, n in x.scalars.withUnsafeBufferPointer { rp_pow_scalar($0.baseAddress, p, out, n) } }
}

@derivative(of: pow, wrt: x)
@usableFromInline func vjpPowScalar(_ x: Tensor, _ p: Float) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (pow(x, p), { v in v.isShapelessZero ? .zero : v * p * pow(x, p - 1) })
}

/// xʸ elementwise with broadcasting. ∂/∂y = xʸ·ln x, taken as 0 where x = 0.
@differentiable(reverse)
public func pow(_ x: Tensor, _ y: Tensor) -> Tensor {
    broadcastBinary(RP_BINARY_POW, x, y, name: "pow")
}

@derivative(of: pow)
@usableFromInline func vjpPow(_ x: Tensor, _ y: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    let z = pow(x, y)
    return (
        z,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            let gx = v * y * pow(x, y - 1)
            let logX = Tensor.filled(x.shape) { out, n in
                x.withUnsafeScalars { rp_log_or_zero($0.baseAddress, out, n) }
            }
            return (gx.unbroadcast(to: x.shape), (v * z * logX).unbroadcast(to: y.shape))
        }
    )
}

/// min(max(x, lower), upper); the gradient passes only where lower ≤ x ≤ upper.
@differentiable(reverse,wrt: x)
public func clamp(_ x: Tensor, min lower: Float, max upper: Float) -> Tensor {
    precondition(lower <= upper, "clamp: lower bound \(lower) exceeds upper bound \(upper)")
    return Tensor.filled(x.shape) { out, n in
        x.scalars.withUnsafeBufferPointer { rp_clamp($0.baseAddress, lower, upper, out, n) }
    }
}

@derivative(of: clamp, wrt: x)
@usableFromInline func vjpClamp(_ x: Tensor, min lower: Float, max upper: Float)
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    (
        clamp(x, min: lower, max: upper),
        { v in
            if v.isShapelessZero { return .zero }
            let g = v.expanded(to: x.shape)
            return Tensor.filled(x.shape) { out, n in
                x.scalars.withUnsafeBufferPointer { px in
                    g.scalars.withUnsafeBufferPointer {
                        rp_clamp_backward(px.baseAddress, lower, upper, $0.baseAddress, out, n)
                    }
                }
            }
        }
    )
}

extension Tensor {
    /// Applies `f` to every element (no gradient); for cold paths and tests.
    public func map(_ f: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, scalars: scalars.map(f))
    }
}
