import CReparamKernels
import _Differentiation

extension Tensor {
    /// The single element as a differentiable `Float` — the bridge from a tensor to a loss that
    /// `valueWithGradient` can take. Requires exactly one element.
    @differentiable(reverse)
    public var item: Float { scalarValue }

    @derivative(of: item)
    @usableFromInline func vjpItem() -> (value: Float, pullback: (Float) -> Tensor) {
        let shape = self.shape
        return (scalarValue, { v in Tensor(repeating: v, shape: shape) })
    }

    /// Σ of all elements as a differentiable `Float` (summed in double precision).
    @differentiable(reverse)
    public func sumToFloat() -> Float {
        scalars.withUnsafeBufferPointer { Float(rp_sum($0.baseAddress, $0.count)) }
    }

    @derivative(of: sumToFloat)
    @usableFromInline func vjpSumToFloat() -> (value: Float, pullback: (Float) -> Tensor) {
        let shape = self.shape
        return (sumToFloat(), { v in Tensor(repeating: v, shape: shape) })
    }
}

/// Σ −log p(x | logits) for Bernoulli observations x ∈ [0, 1]: Σ softplus(l) − x·l, in one fused
/// pass that also prepares ∂/∂l = σ(l) − x. Shapes must match.
@differentiable(reverse,wrt: logits)
public func bernoulliLogitsNLL(logits: Tensor, targets: Tensor) -> Float {
    bernoulliLogitsNLLForward(logits, targets, gradient: nil)
}

func bernoulliLogitsNLLForward(_ logits: Tensor, _ targets: Tensor, gradient: UnsafeMutablePointer<Float>?) -> Float {
    precondition(
        logits.shape == targets.shape,
        "bernoulliLogitsNLL: logits \(logits.shape) and targets \(targets.shape) differ in shape")
    return logits.scalars.withUnsafeBufferPointer { pl in
        targets.scalars.withUnsafeBufferPointer { px in
            Float(rp_bernoulli_logits_nll(pl.baseAddress, px.baseAddress, pl.count, gradient, 1))
        }
    }
}

@derivative(of: bernoulliLogitsNLL, wrt: logits)
@usableFromInline func vjpBernoulliLogitsNLL(logits: Tensor, targets: Tensor) -> (
    value: Float, pullback: (Float) -> Tensor
) {
    var value: Float = 0
    let gradient = Tensor.filled(logits.shape) { out, _ in
        value = bernoulliLogitsNLLForward(logits, targets, gradient: out)
    }
    return (value, { v in v == 1 ? gradient : gradient * v })
}

/// −log p(x | logits) per row of matrices [rows, columns]: Σ_j softplus(l) − x·l, fused as in
/// `bernoulliLogitsNLL`, with ∂/∂l = σ(l) − x prepared in the same pass. `targets` may have fewer
/// rows than `logits`, a divisor of them: logits row i is scored against targets row i mod that
/// (K samples per image against the batch, without a K-fold copy of it).
@differentiable(reverse,wrt: logits)
public func bernoulliLogitsNLLRows(logits: Tensor, targets: Tensor) -> Tensor {
    bernoulliLogitsNLLRowsForward(logits, targets, gradient: nil)
}

func bernoulliLogitsNLLRowsForward(
    _ logits: Tensor, _ targets: Tensor,
    gradient: UnsafeMutablePointer<Float>?
) -> Tensor {
    precondition(
        logits.rank == 2 && targets.rank == 2 && logits.shape[1] == targets.shape[1] && targets.shape[0] > 0
            && logits.shape[0] % targets.shape[0] == 0,
        "bernoulliLogitsNLLRows: logits \(logits.shape) and targets \(targets.shape) must be matrices with "
            + "the same columns, and targets' rows must divide logits'")
    let (rows, columns) = (logits.shape[0], logits.shape[1])
    return Tensor.filled([rows]) { out, _ in
        logits.withUnsafeScalars { pl in
            targets.withUnsafeScalars { px in
                rp_bernoulli_logits_nll_rows(
                    pl.baseAddress, px.baseAddress, rows, targets.shape[0], columns, out, gradient)
            }
        }
    }
}

/// `bernoulliLogitsNLLRows` of the logits input·weight + bias (a dense layer with no activation:
/// input [rows, k], weight [k, columns], bias [columns]), bit for bit, without the logits in memory:
/// the product's tiles add their own terms. For evaluation (no derivative); with k > 512 or more than
/// 4096 columns it forms the logits first.
public func bernoulliLogitsNLLRows(input: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> Tensor {
    precondition(
        input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[0] && bias.shape == [weight.shape[1]],
        "bernoulliLogitsNLLRows: input \(input.shape), weight \(weight.shape) and bias \(bias.shape) are not "
            + "[rows, k], [k, columns] and [columns]")
    let (rows, k, columns) = (input.shape[0], input.shape[1], weight.shape[1])
    precondition(
        targets.rank == 2 && targets.shape[1] == columns && targets.shape[0] > 0 && rows % targets.shape[0] == 0,
        "bernoulliLogitsNLLRows: targets \(targets.shape) must have \(columns) columns and a divisor of \(rows) rows")
    var fused: Int32 = 0
    let sums = Tensor.filled([rows]) { out, _ in
        input.withUnsafeScalars { pa in
            weight.withUnsafeScalars { pw in
                bias.withUnsafeScalars { pb in
                    targets.withUnsafeScalars { px in
                        fused = rp_sgemm_bernoulli_nll_rows(
                            Int32(rows), Int32(columns), Int32(k), pa.baseAddress, pw.baseAddress, pb.baseAddress,
                            px.baseAddress, Int32(targets.shape[0]), out)
                    }
                }
            }
        }
    }
    if fused != 0 { return sums }
    let logits = Tensor.filled([rows, columns]) { out, _ in
        input.withUnsafeScalars { pa in
            weight.withUnsafeScalars { pw in
                bias.withUnsafeScalars { pb in
                    rp_sgemm_bias_activation(
                        0, 0, Int32(rows), Int32(columns), Int32(k), pa.baseAddress, Int32(k), pw.baseAddress,
                        Int32(columns), pb.baseAddress, Int32(RP_ACT_IDENTITY.rawValue), out, Int32(columns))
                }
            }
        }
    }
    return bernoulliLogitsNLLRows(logits: logits, targets: targets)
}

@derivative(of: bernoulliLogitsNLLRows, wrt: logits)
@usableFromInline func vjpBernoulliLogitsNLLRows(logits: Tensor, targets: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    var value = Tensor.zero
    let gradient = Tensor.filled(logits.shape) { out, _ in
        value = bernoulliLogitsNLLRowsForward(logits, targets, gradient: out)
    }
    return (value, { v in v.isShapelessZero ? .zero : gradient * v.reshaped(to: [-1, 1]) })
}
