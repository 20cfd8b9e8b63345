import CReparamKernels

/// NumPy broadcasting: shapes align on the right; a dimension of 1 (or a missing one) repeats.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    guard let shape = Tensor.broadcastShape(a, b) else {
        preconditionFailure("\(op): shapes \(a) and \(b) do not broadcast")
    }
    return shape
}

/// Element strides of `shape` seen inside `target` (0 along repeated dimensions).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int64] {
    var strides = [Int64](repeating: 0, count: target.count)
    var step: Int64 = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let j = i + target.count - shape.count
        strides[j] = shape[i] == 1 ? 0 : step
        step *= Int64(shape[i])
    }
    return strides
}

extension Tensor {
    /// Sums a broadcast result back to `shape`: the adjoint of broadcasting.
    public func unbroadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        var result = self
        let extra = shape.count - target.count
        // Reduce the leading axes that `target` lacks, then axes where target has 1.
        var axes = Array(0..<extra)
        for (i, d) in target.enumerated() where d == 1 && shape[i + extra] != 1 { axes.append(i + extra) }
        result = result.reduced(RP_REDUCE_SUM, axes: axes, keepDims: true)
        return result.reshaped(to: target)
    }

    /// Non-differentiable reduction over `axes` (any order, no duplicates).
    func reduced(_ op: rp_reduce_op, axes: [Int], keepDims: Bool) -> Tensor {
        var result = self
        for axis in axes.sorted(by: >) {
            let outer = result.shape[..<axis].reduce(1, *)
            let length = result.shape[axis]
            let inner = result.shape[(axis + 1)...].reduce(1, *)
            var newShape = result.shape
            newShape[axis] = 1
            let source = result
            result = Tensor.filled(newShape) { out, _ in
                source.scalars.withUnsafeBufferPointer {
                    rp_reduce(Int32(op.rawValue), $0.baseAddress, Int64(outer), Int64(length), Int64(inner), out)
                }
            }
        }
        if !keepDims {
            let dropped = Set(axes)
            result.shape = result.shape.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        }
        return result
    }

    /// Checks and normalizes axes (negative counts from the end) for `op`.
    func normalizedAxes(_ axes: [Int], op: String) -> [Int] {
        let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }
        for (given, axis) in zip(axes, normalized) where axis < 0 || axis >= rank {
            preconditionFailure("\(op): axis \(given) is out of range for shape \(shape)")
        }
        precondition(Set(normalized).count == normalized.count, "\(op): repeated axis in \(axes)")
        return normalized
    }
}

extension Tensor {
    /// This tensor repeated along broadcast dimensions to `target` (no gradient).
    public func broadcasted(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(
            Tensor.broadcastShape(shape, target) == target, "broadcast: shape \(shape) cannot broadcast to \(target)")
        let dims = target.map(Int64.init)
        let strides = broadcastStrides(shape, to: target), none = [Int64](repeating: 0, count: target.count)
        let negativeZero: [Float] = [-0.0]  // −0 + x is exactly x
        return Tensor.filled(target) { out, _ in
            scalars.withUnsafeBufferPointer { pa in
                negativeZero.withUnsafeBufferPointer { pz in
                    rp_binary(
                        Int32(RP_BINARY_ADD.rawValue), Int32(target.count), dims, pa.baseAddress, strides,
                        pz.baseAddress, none, out)
                }
            }
        }
    }
}

extension Tensor {
    /// The broadcast of two shapes, or nil if they do not broadcast.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else { return nil }
            result[i] = da == 1 ? db : da
        }
        return result
    }
}
