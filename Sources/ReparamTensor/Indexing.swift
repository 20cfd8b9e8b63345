import CReparamKernels
import _Differentiation

extension Tensor {
    /// result[i…] = self[i…, indices[i…]]: picks one element along the last axis per position,
    /// e.g. the log-probability of each observed class from a [batch, classes] tensor.
    @differentiable(reverse)
    public func gather(lastAxisIndices indices: [Int]) -> Tensor {
        gatherForward(indices)
    }

    func gatherForward(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gather: needs rank ≥ 1, shape is \(shape)")
        let width = shape[rank - 1], rows = count / Swift.max(width, 1)
        precondition(indices.count == rows, "gather: \(indices.count) indices for \(rows) rows of shape \(shape)")
        var bad: Int64 = -1
        let result = Tensor.filled(Array(shape.dropLast())) { out, _ in
            withUnsafeScalars { src in
                indices.withInt64Pointer { bad = rp_gather_last(src.baseAddress, $0, rows, Int64(width), out) }
            }
        }
        if bad >= 0 {
            preconditionFailure("gather: index \(indices[Int(bad)]) at position \(bad) is outside 0..<\(width)")
        }
        return result
    }

    @derivative(of: gather)
    @usableFromInline func vjpGather(lastAxisIndices indices: [Int]) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let full = shape, width = shape[rank - 1]
        return (
            gatherForward(indices),
            { v in
                if v.isShapelessZero { return .zero }
                return Tensor.filled(full) { out, _ in
                    v.withUnsafeScalars { pv in
                        indices.withInt64Pointer {
                            rp_scatter_last(pv.baseAddress, $0, indices.count, Int64(width), out)
                        }
                    }
                }
            }
        )
    }

    /// Rows `indices` of the first axis (e.g. a minibatch); repeated rows accumulate gradient.
    @differentiable(reverse)
    public func rows(_ indices: [Int]) -> Tensor {
        rowsForward(indices)
    }

    func rowsForward(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "rows: needs rank ≥ 1, shape is \(shape)")
        let width = count / Swift.max(shape[0], 1)
        var newShape = shape
        newShape[0] = indices.count
        for (i, row) in indices.enumerated() {
            precondition(row >= 0 && row < shape[0], "rows: index \(row) at position \(i) is outside 0..<\(shape[0])")
        }
        return Tensor.filled(newShape) { out, _ in
            guard width > 0 else { return }
            scalars.withUnsafeBufferPointer { src in
                indices.withInt64Pointer { rp_gather_rows(src.baseAddress, $0, indices.count, Int64(width), out) }
            }
        }
    }

    @derivative(of: rows)
    @usableFromInline func vjpRows(_ indices: [Int]) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let full = shape, width = count / Swift.max(shape[0], 1)
        return (
            rowsForward(indices),
            { v in
                if v.isShapelessZero { return .zero }
                var grad = [Float](repeating: 0, count: full.reduce(1, *))
                for (i, row) in indices.enumerated() {
                    for j in 0..<width { grad[row * width + j] += v.scalars[i * width + j] }
                }
                return Tensor(shape: full, scalars: grad)
            }
        )
    }

    /// One-hot rows: shape [indices.count, depth] with a 1 at each index.
    public static func oneHot(_ indices: [Int], depth: Int) -> Tensor {
        var scalars = [Float](repeating: 0, count: indices.count * depth)
        for (row, index) in indices.enumerated() {
            precondition(
                index >= 0 && index < depth, "oneHot: index \(index) at position \(row) is outside 0..<\(depth)")
            scalars[row * depth + index] = 1
        }
        return Tensor(shape: [indices.count, depth], scalars: scalars)
    }
}

/// Elementwise choice: `a` where `condition` is non-zero, else `b`; all three the same shape.
/// Unlike c·a + (1−c)·b, an infinite or NaN value in the branch not taken does not leak.
@differentiable(reverse,wrt: (a, b))
public func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    selectForward(condition, a, b)
}

func selectForward(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(
        condition.shape == a.shape && a.shape == b.shape,
        "select: condition \(condition.shape), a \(a.shape) and b \(b.shape) must have one shape")
    return Tensor(
        shape: a.shape, scalars: (0..<a.count).map { condition.scalars[$0] != 0 ? a.scalars[$0] : b.scalars[$0] })
}

@derivative(of: select, wrt: (a, b))
@usableFromInline func vjpSelect(_ condition: Tensor, _ a: Tensor, _ b: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    (
        selectForward(condition, a, b),
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            let zeros = Tensor.zeros(a.shape)
            return (selectForward(condition, v, zeros), selectForward(condition, zeros, v))
        }
    )
}

extension Array where Element == Int {
    /// The indices as the kernels' int64_t, without a copy where Int is 64 bits wide.
    func withInt64Pointer<R>(_ body: (UnsafePointer<Int64>?) -> R) -> R {
        guard MemoryLayout<Int>.size == MemoryLayout<Int64>.size else {
            return map(Int64.init).withUnsafeBufferPointer { body($0.baseAddress) }
        }
        return withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return body(nil) }
            return base.withMemoryRebound(to: Int64.self, capacity: buffer.count) { body($0) }
        }
    }
}
