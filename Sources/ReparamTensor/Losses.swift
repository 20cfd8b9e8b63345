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
