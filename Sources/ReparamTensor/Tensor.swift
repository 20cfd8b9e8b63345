import CReparamKernels
import _Differentiation

/// Set once, before the first kernel result is allocated: see rp_configure_allocator.
let allocatorConfigured: Bool = rp_configure_allocator() != 0

/// An n-dimensional array of `Float` with value semantics (copy-on-write through its storage).
///
/// `Tensor` is its own tangent vector. The tangent zero is *shapeless* — automatic
/// differentiation creates zeros without knowing shapes — so `+` treats it as the identity and
/// every pullback expands a shapeless incoming cotangent to the shape it needs.
public struct Tensor: Equatable, CustomStringConvertible, Sendable {
    /// Dimensions, outermost first; `[]` for a scalar.
    @noDerivative public internal(set) var shape: [Int]
    /// Elements in row-major order.
    @noDerivative public internal(set) var scalars: [Float]
    /// True only for the shapeless additive identity `Tensor.zero`.
    @noDerivative public internal(set) var isShapelessZero: Bool

    /// A tensor of the given shape; `scalars.count` must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "Tensor: shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
        self.isShapelessZero = false
    }

    /// A rank-1 tensor.
    public init(_ values: [Float]) { self.init(shape: [values.count], scalars: values) }

    /// A rank-2 tensor from rows of equal length.
    public init(rows: [[Float]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "Tensor(rows:): rows have different lengths")
        self.init(shape: [rows.count, width], scalars: rows.flatMap { $0 })
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    private init(shapelessZero: Void) {
        shape = []
        scalars = []
        isShapelessZero = true
    }

    /// Builds a tensor by letting `fill` write all of its elements (given their address and count),
    /// without zeroing them first: for kernels that write every element of their result.
    public static func filled(_ shape: [Int], _ fill: (UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        _ = allocatorConfigured
        let count = shape.reduce(1, *)
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { fill(buffer.baseAddress!, count) }
            initialized = count
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    public var rank: Int { shape.count }
    public var count: Int { scalars.count }

    /// The single element of a one-element tensor.
    public var scalarValue: Float {
        precondition(scalars.count == 1, "scalarValue: tensor of shape \(shape) has \(scalars.count) elements, not 1")
        return scalars[0]
    }

    /// This tensor, or zeros of `shape` if it is the shapeless zero.
    public func expanded(to shape: [Int]) -> Tensor {
        isShapelessZero ? Tensor.zeros(shape) : self
    }

    public var description: String {
        if isShapelessZero { return "Tensor(zero)" }
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(scalars.count > 8 ? ", …" : "")])"
    }

    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        if lhs.isShapelessZero || rhs.isShapelessZero {
            let other = lhs.isShapelessZero ? rhs : lhs
            return other.isShapelessZero || other.scalars.allSatisfy { $0 == 0 }
        }
        return lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

extension Tensor: AdditiveArithmetic {
    /// The shapeless zero: identity for `+` whatever the other operand's shape.
    public static var zero: Tensor { Tensor(shapelessZero: ()) }
}

extension Tensor: Differentiable {
    public typealias TangentVector = Tensor

    public mutating func move(by offset: Tensor) {
        if offset.isShapelessZero { return }
        self = isShapelessZero ? offset : self + offset
    }
}

extension Tensor {
    /// Mutable access to the elements in place (copying first only if storage is shared).
    public mutating func withUnsafeMutableScalars<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows
        -> R
    {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Read access to the elements.
    public func withUnsafeScalars<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0) }
    }
}

extension Array where Element == Tensor {
    /// Mutable access to the elements of every tensor at once (each copied first only if its
    /// storage is shared), for kernels that take many tensors in one call.
    public mutating func withUnsafeMutableScalarBuffers<R>(_ body: ([UnsafeMutableBufferPointer<Float>]) -> R) -> R {
        var buffers: [UnsafeMutableBufferPointer<Float>] = []
        buffers.reserveCapacity(count)
        func nest(_ tensors: UnsafeMutableBufferPointer<Tensor>, _ i: Int) -> R {
            if i == tensors.count { return body(buffers) }
            return tensors[i].withUnsafeMutableScalars { buffer in
                buffers.append(buffer)
                return nest(tensors, i + 1)
            }
        }
        return withUnsafeMutableBufferPointer { nest($0, 0) }
    }

    /// Read access to the elements of every tensor at once.
    public func withUnsafeScalarBuffers<R>(_ body: ([UnsafeBufferPointer<Float>]) -> R) -> R {
        var buffers: [UnsafeBufferPointer<Float>] = []
        buffers.reserveCapacity(count)
        func nest(_ i: Int) -> R {
            if i == count { return body(buffers) }
            return self[i].withUnsafeScalars { buffer in
                buffers.append(buffer)
                return nest(i + 1)
            }
        }
        return nest(0)
    }
}
