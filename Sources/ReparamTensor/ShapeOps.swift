import CReparamKernels
import _Differentiation

extension Tensor {
    /// The same elements under a new shape with as many elements; one dimension may be −1.
    @differentiable(reverse)
    public func reshaped(to newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        precondition(
            resolved.reduce(1, *) == count && resolved.allSatisfy { $0 >= 0 },
            "reshape: shape \(shape) (\(count) elements) cannot become \(newShape)")
        var result = self
        result.shape = resolved
        return result
    }

    @derivative(of: reshaped)
    @usableFromInline func vjpReshaped(to newShape: [Int]) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let original = shape
        return (reshaped(to: newShape), { v in v.isShapelessZero ? .zero : v.reshaped(to: original) })
    }

    /// Dimensions permuted: result dimension i is this tensor's dimension `permutation[i]`.
    /// Without a permutation, the last two dimensions swap.
    @differentiable(reverse)
    public func transposed(_ permutation: [Int]? = nil) -> Tensor {
        permuted(resolvedPermutation(permutation))
    }

    func resolvedPermutation(_ permutation: [Int]?) -> [Int] {
        guard let permutation else {
            precondition(rank >= 2, "transposed: needs rank ≥ 2 without a permutation, shape is \(shape)")
            return Array(0..<(rank - 2)) + [rank - 1, rank - 2]
        }
        precondition(
            permutation.sorted() == Array(0..<rank),
            "transposed: \(permutation) is not a permutation of the \(rank) axes of \(shape)")
        return permutation
    }

    func permuted(_ permutation: [Int]) -> Tensor {
        let newShape = permutation.map { shape[$0] }
        var sourceStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[i] = sourceStrides[i + 1] * shape[i + 1] }
        let outShape = newShape.map(Int64.init), strides = permutation.map { Int64(sourceStrides[$0]) }
        precondition(rank <= 16, "transposed: at most 16 axes, shape is \(shape)")
        return Tensor.filled(newShape) { out, _ in
            withUnsafeScalars { _ = rp_permute($0.baseAddress, out, Int32(rank), outShape, strides) }
        }
    }

    @derivative(of: transposed)
    @usableFromInline func vjpTransposed(_ permutation: [Int]?) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let forward = resolvedPermutation(permutation)
        var inverse = forward
        for (i, p) in forward.enumerated() { inverse[p] = i }
        return (permuted(forward), { v in v.isShapelessZero ? .zero : v.permuted(inverse) })
    }

    /// Elements `range` along `axis`.
    @differentiable(reverse)
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizedAxes([axis], op: "slice")[0]
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[a],
            "slice: range \(range) is outside 0..<\(shape[a]) on axis \(axis) of \(shape)")
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var newShape = shape
        newShape[a] = range.count
        let (stride, run) = (shape[a] * inner, range.count * inner)
        return Tensor.filled(newShape) { out, _ in
            scalars.withUnsafeBufferPointer { src in
                copyRuns(
                    from: src.baseAddress! + range.lowerBound * inner, stride: stride, to: out, stride: run,
                    run: run, count: outer)
            }
        }
    }

    @derivative(of: slice)
    @usableFromInline func vjpSlice(axis: Int, _ range: Range<Int>) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let a = normalizedAxes([axis], op: "slice")[0]
        let full = shape
        return (
            slice(axis: axis, range),
            { v in
                if v.isShapelessZero { return .zero }
                // v written into zeros of the full shape: one buffer, no zero pieces to join.
                let inner = full[(a + 1)...].reduce(1, *), outer = full[..<a].reduce(1, *)
                var gradient = Tensor.zeros(full)
                if range.isEmpty || outer == 0 || inner == 0 { return gradient }
                precondition(
                    v.count == outer * range.count * inner,
                    "slice pullback: cotangent \(v.shape) does not fit \(full)")
                gradient.withUnsafeMutableScalars { out in
                    v.withUnsafeScalars { src in
                        copyRuns(
                            from: src.baseAddress!, stride: range.count * inner,
                            to: out.baseAddress! + range.lowerBound * inner,
                            stride: full[a] * inner, run: range.count * inner, count: outer)
                    }
                }
                return gradient
            }
        )
    }
}

/// Tensors joined along `axis`; all other dimensions must agree.
@differentiable(reverse)
public func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    concatForward(tensors, axis: axis)
}

func concatForward(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat: no tensors given")
    let first = tensors[0]
    let a = first.normalizedAxes([axis], op: "concat")[0]
    for (i, t) in tensors.enumerated() {
        var expected = first.shape, got = t.shape
        guard got.count == expected.count else {
            preconditionFailure("concat: tensor \(i) has shape \(t.shape), tensor 0 has \(first.shape)")
        }
        expected[a] = 0
        got[a] = 0
        precondition(
            expected == got, "concat: tensor \(i) has shape \(t.shape), tensor 0 has \(first.shape) (axis \(axis))")
    }
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    var newShape = first.shape
    newShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let total = newShape[a] * inner
    return Tensor.filled(newShape) { out, _ in
        var offset = 0
        for t in tensors {
            let run = t.shape[a] * inner
            t.scalars.withUnsafeBufferPointer { src in
                copyRuns(from: src.baseAddress!, stride: run, to: out + offset, stride: total, run: run, count: outer)
            }
            offset += run
        }
    }
}

/// `count` runs of `run` floats, each `stride` apart in the source and in the destination. A
/// short run (a column of a narrow matrix) is copied element by element: a memmove call per
/// element cost more than the copy.
@inline(__always)
func copyRuns(
    from source: UnsafePointer<Float>, stride sourceStride: Int, to destination: UnsafeMutablePointer<Float>,
    stride destinationStride: Int, run: Int, count: Int
) {
    if run <= 8 {
        for o in 0..<count {
            for j in 0..<run { destination[o * destinationStride + j] = source[o * sourceStride + j] }
        }
    } else {
        for o in 0..<count { (destination + o * destinationStride).update(from: source + o * sourceStride, count: run) }
    }
}

@derivative(of: concat)
@usableFromInline func vjpConcat(_ tensors: [Tensor], axis: Int)
    -> (value: Tensor, pullback: (Tensor) -> Array<Tensor>.TangentVector)
{
    let a = tensors[0].normalizedAxes([axis], op: "concat")[0]
    let lengths = tensors.map { $0.shape[a] }
    let shapes = tensors.map(\.shape)
    return (
        concatForward(tensors, axis: axis),
        { v in
            var start = 0
            var pieces: [Tensor] = []
            for (length, shape) in zip(lengths, shapes) {
                pieces.append(v.isShapelessZero ? .zeros(shape) : v.slice(axis: a, start..<(start + length)))
                start += length
            }
            return Array<Tensor>.TangentVector(pieces)
        }
    )
}
