import CReparamKernels
import ReparamTensor
import _Differentiation

/// A fixed 0/1 mask on a dense layer's weight [inputs, outputs], with the extents the masked
/// products use to skip its zeros: for each output column the run of input rows it may connect
/// to, and for each input row the run of output columns (the hulls of the mask's ones). When
/// every column's and every row's ones are one contiguous run (MADE's masks once hidden units
/// are sorted by degree), the runs are the mask itself: the products read the weight only inside
/// them, so its entries off the mask never matter, and no separate masking pass is needed.
public struct WeightMask: Sendable {
    /// The mask, [inputs, outputs].
    public let mask: Tensor
    let rowBegin: [Int32], rowEnd: [Int32]  // per output column j: rows [begin, end) may be nonzero
    let columnBegin: [Int32], columnEnd: [Int32]  // per input row i: columns [begin, end)
    /// True when every column's ones, and every row's, form one contiguous run.
    public let isRuns: Bool

    public init(_ mask: Tensor) {
        precondition(mask.rank == 2, "WeightMask: the mask must be [inputs, outputs], got \(mask.shape)")
        let (rows, columns) = (mask.shape[0], mask.shape[1])
        var rowBegin = [Int32](repeating: Int32(rows), count: columns), rowEnd = [Int32](repeating: 0, count: columns)
        var columnBegin = [Int32](repeating: Int32(columns), count: rows)
        var columnEnd = [Int32](repeating: 0, count: rows)
        var (columnOnes, rowOnes) = ([Int](repeating: 0, count: columns), [Int](repeating: 0, count: rows))
        mask.withUnsafeScalars { m in
            for i in 0..<rows {
                for j in 0..<columns where m[i * columns + j] != 0 {
                    precondition(m[i * columns + j] == 1, "WeightMask: entries must be 0 or 1")
                    (rowBegin[j], rowEnd[j]) = (Swift.min(rowBegin[j], Int32(i)), Int32(i + 1))
                    (columnBegin[i], columnEnd[i]) = (Swift.min(columnBegin[i], Int32(j)), Int32(j + 1))
                    columnOnes[j] += 1
                    rowOnes[i] += 1
                }
            }
        }
        self.mask = mask
        (self.rowBegin, self.rowEnd, self.columnBegin, self.columnEnd) = (rowBegin, rowEnd, columnBegin, columnEnd)
        isRuns =
            (0..<columns).allSatisfy { columnOnes[$0] == Swift.max(0, Int(rowEnd[$0] - rowBegin[$0])) }
            && (0..<rows).allSatisfy { rowOnes[$0] == Swift.max(0, Int(columnEnd[$0] - columnBegin[$0])) }
    }

    /// The fraction of the dense layer's multiply-adds that the mask's extents keep.
    public var keptFraction: Double {
        let kept = zip(rowBegin, rowEnd).reduce(0) { $0 + Swift.max(0, Int($1.1 - $1.0)) }
        return mask.count == 0 ? 1 : Double(kept) / Double(mask.count)
    }
}

/// act(x·(W ⊙ M) + b) for a fixed mask M (a MADE layer), with products that skip the mask's
/// zeros. The weight gradient is masked too (zero off the mask).
@differentiable(reverse,wrt: (x, weight, bias))
public func maskedDense(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, activation: Activation, mask: WeightMask)
    -> Tensor
{
    maskedDenseForward(x, weight, bias, activation, mask)
}

func maskedDenseForward(
    _ x: Tensor, _ weight: Tensor, _ bias: Tensor, _ activation: Activation,
    _ mask: WeightMask
) -> Tensor {
    precondition(
        x.rank == 2 && x.shape[1] == weight.shape[0] && weight.shape == mask.mask.shape,
        "maskedDense: input \(x.shape), weight \(weight.shape) and mask \(mask.mask.shape) do not fit")
    let (m, k, n) = (x.shape[0], x.shape[1], weight.shape[1])
    precondition(bias.shape == [n], "maskedDense: bias \(bias.shape) does not fit weight \(weight.shape)")
    let weight = mask.isRuns ? weight : weight * mask.mask  // else zeros inside the runs remain
    return Tensor.filled([m, n]) { out, _ in
        x.withUnsafeScalars { px in
            weight.withUnsafeScalars { pw in
                bias.withUnsafeScalars { pb in
                    rp_sgemm_extents(
                        0, 0, Int32(m), Int32(n), Int32(k), 1, px.baseAddress, Int32(k), pw.baseAddress,
                        Int32(n), 0, out, Int32(n), pb.baseAddress, activation.kernelCode,
                        mask.rowBegin, mask.rowEnd, nil, nil)
                }
            }
        }
    }
}

@derivative(of: maskedDense, wrt: (x, weight, bias))
@usableFromInline func vjpMaskedDense(
    _ x: Tensor, _ weight: Tensor, _ bias: Tensor, activation: Activation,
    mask: WeightMask
)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    let y = maskedDenseForward(x, weight, bias, activation, mask)
    return (
        y,
        { v in
            if v.isShapelessZero { return (.zero, .zero, .zero) }
            // ∂x = g·W'ᵀ: input i meets only its row's run of columns. ∂W = xᵀ·g on the mask's rows per
            // column. Equal work, shared as in `dense`.
            return layerBackward(v, y, x, weight, activation, mask: mask)
        }
    )
}
