import CReparamKernels
import _Differentiation

/// Elementwise `a op b` with broadcasting (no gradients; the differentiable operators wrap it).
func broadcastBinary(_ op: rp_binary_op, _ a: Tensor, _ b: Tensor, name: String) -> Tensor {
    precondition(
        !a.isShapelessZero && !b.isShapelessZero,
        "\(name): an operand is the shapeless zero tangent; call expanded(to:) on it first")
    let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape, op: name)
    precondition(shape.count <= 8, "\(name): rank \(shape.count) exceeds the supported 8")
    let dims = shape.map(Int64.init)
    let aStrides = broadcastStrides(a.shape, to: shape), bStrides = broadcastStrides(b.shape, to: shape)
    return Tensor.filled(shape) { out, _ in
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                rp_binary(
                    Int32(op.rawValue), Int32(shape.count), dims, pa.baseAddress, aStrides,
                    pb.baseAddress, bStrides, out)
            }
        }
    }
}

extension Tensor {
    /// a + b, broadcasting; the shapeless zero is the identity.
    @differentiable(reverse)
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        if lhs.isShapelessZero { return rhs }
        if rhs.isShapelessZero { return lhs }
        return broadcastBinary(RP_BINARY_ADD, lhs, rhs, name: "+")
    }

    /// a − b, broadcasting.
    @differentiable(reverse)
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        if rhs.isShapelessZero { return lhs }
        if lhs.isShapelessZero { return -rhs }
        return broadcastBinary(RP_BINARY_SUB, lhs, rhs, name: "-")
    }

    /// a · b elementwise, broadcasting.
    @differentiable(reverse)
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        if lhs.isShapelessZero || rhs.isShapelessZero { return .zero }
        return broadcastBinary(RP_BINARY_MUL, lhs, rhs, name: "*")
    }

    /// a / b elementwise, broadcasting.
    @differentiable(reverse)
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        if lhs.isShapelessZero && !rhs.isShapelessZero { return .zero }
        return broadcastBinary(RP_BINARY_DIV, lhs, rhs, name: "/")
    }

    @differentiable(reverse)
    public static prefix func - (x: Tensor) -> Tensor {
        x.isShapelessZero ? x : x.applying(RP_UNARY_NEG)
    }

    @derivative(of: +)
    @usableFromInline static func vjpAdd(_ a: Tensor, _ b: Tensor)
        -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
    {
        let y = a + b
        let (sa, sb, sy) = (a.shape, b.shape, y.shape)
        return (
            y,
            { v in
                if v.isShapelessZero { return (.zero, .zero) }
                let g = v.expanded(to: sy)
                return (g.unbroadcast(to: sa), g.unbroadcast(to: sb))
            }
        )
    }

    @derivative(of: -)
    @usableFromInline static func vjpSubtract(_ a: Tensor, _ b: Tensor)
        -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
    {
        let y = a - b
        let (sa, sb, sy) = (a.shape, b.shape, y.shape)
        return (
            y,
            { v in
                if v.isShapelessZero { return (.zero, .zero) }
                let g = v.expanded(to: sy)
                return (g.unbroadcast(to: sa), (-g).unbroadcast(to: sb))
            }
        )
    }

    @derivative(of: *)
    @usableFromInline static func vjpMultiply(_ a: Tensor, _ b: Tensor)
        -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
    {
        (
            a * b,
            { v in
                if v.isShapelessZero { return (.zero, .zero) }
                return ((v * b).unbroadcast(to: a.shape), (v * a).unbroadcast(to: b.shape))
            }
        )
    }

    @derivative(of: /)
    @usableFromInline static func vjpDivide(_ a: Tensor, _ b: Tensor)
        -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
    {
        let y = a / b
        return (
            y,
            { v in
                if v.isShapelessZero { return (.zero, .zero) }
                let ga = v / b
                return (ga.unbroadcast(to: a.shape), (-ga * y).unbroadcast(to: b.shape))
            }
        )
    }

    @derivative(of: -)
    @usableFromInline static func vjpNegate(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        (-x, { v in -v })
    }
}

// MARK: Scalar forms

extension Tensor {
    @differentiable(reverse)
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs + Tensor(rhs) }
    @differentiable(reverse)
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) + rhs }
    @differentiable(reverse)
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs - Tensor(rhs) }
    @differentiable(reverse)
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) - rhs }
    @differentiable(reverse)
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs * Tensor(rhs) }
    @differentiable(reverse)
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) * rhs }
    @differentiable(reverse)
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs / Tensor(rhs) }
    @differentiable(reverse)
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) / rhs }
}

extension Tensor {
    /// Rank-0 tensor from a differentiable `Float`; its gradient flows back to the Float.
    @differentiable(reverse)
    public init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    @derivative(of: init(_:))
    @usableFromInline static func vjpInitScalar(_ value: Float) -> (value: Tensor, pullback: (Tensor) -> Float) {
        (Tensor(shape: [], scalars: [value]), { v in v.isShapelessZero ? 0 : Float(v.scalars.reduce(0, +)) })
    }
}
