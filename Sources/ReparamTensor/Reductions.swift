import CReparamKernels
import _Differentiation

extension Tensor {
    /// Σ over `axes` (all axes when empty); negative axes count from the end.
    @differentiable(reverse)
    public func sum(alongAxes axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        reduced(RP_REDUCE_SUM, axes: axesOrAll(axes, op: "sum"), keepDims: keepDims)
    }

    /// Mean over `axes` (all axes when empty).
    @differentiable(reverse)
    public func mean(alongAxes axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        sum(alongAxes: axes, keepDims: keepDims) / withoutDerivative(at: Float(reducedCount(axes)))
    }

    /// Maximum over `axes` (all axes when empty). Ties share the gradient equally.
    @differentiable(reverse)
    public func max(alongAxes axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        reduced(RP_REDUCE_MAX, axes: axesOrAll(axes, op: "max"), keepDims: keepDims)
    }

    /// log Σ exp over `axes`, shifted by the maximum so it neither overflows nor underflows.
    @differentiable(reverse)
    public func logSumExp(alongAxes axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        logSumExpForward(axesOrAll(axes, op: "logSumExp"), keepDims: keepDims)
    }

    func axesOrAll(_ axes: [Int], op: String) -> [Int] {
        axes.isEmpty ? Array(0..<rank) : normalizedAxes(axes, op: op)
    }

    func reducedCount(_ axes: [Int]) -> Int {
        axesOrAll(axes, op: "mean").reduce(1) { $0 * shape[$1] }
    }

    /// The shape with `axes` set to 1: how a reduced result broadcasts back.
    func keptShape(_ axes: [Int]) -> [Int] {
        var kept = shape
        for axis in axes { kept[axis] = 1 }
        return kept
    }

    /// (x − m, log Σ exp(x − m)) over `axes` with m the (finite) maximum, kept dims.
    func shiftedLogSumExp(_ axes: [Int]) -> (peak: Tensor, shifted: Tensor, logTotal: Tensor) {
        let peak = reduced(RP_REDUCE_MAX, axes: axes, keepDims: true).map { $0.isFinite ? $0 : 0 }
        let shifted = self - peak
        return (peak, shifted, log(exp(shifted).reduced(RP_REDUCE_SUM, axes: axes, keepDims: true)))
    }

    func logSumExpForward(_ axes: [Int], keepDims: Bool) -> Tensor {
        let (peak, _, logTotal) = shiftedLogSumExp(axes)
        let result = logTotal + peak
        return keepDims
            ? result : result.reshaped(to: shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }

    @derivative(of: sum)
    @usableFromInline func vjpSum(alongAxes axes: [Int], keepDims: Bool) -> (
        value: Tensor, pullback: (Tensor) -> Tensor
    ) {
        let normalized = axesOrAll(axes, op: "sum")
        let kept = keptShape(normalized), full = shape
        return (
            sum(alongAxes: axes, keepDims: keepDims),
            { v in
                if v.isShapelessZero { return .zero }
                return v.reshaped(to: kept).broadcasted(to: full)
            }
        )
    }

    @derivative(of: max)
    @usableFromInline func vjpMax(alongAxes axes: [Int], keepDims: Bool) -> (
        value: Tensor, pullback: (Tensor) -> Tensor
    ) {
        let normalized = axesOrAll(axes, op: "max")
        let kept = keptShape(normalized)
        let peak = reduced(RP_REDUCE_MAX, axes: normalized, keepDims: true)
        return (
            keepDims
                ? peak
                : peak.reshaped(to: shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)),
            { v in
                if v.isShapelessZero { return .zero }
                let isPeak = broadcastBinary(RP_BINARY_SUB, self, peak, name: "max′").map { $0 == 0 ? 1 : 0 }
                let ties = isPeak.reduced(RP_REDUCE_SUM, axes: normalized, keepDims: true)
                return isPeak * (v.reshaped(to: kept) / ties)
            }
        )
    }

    @derivative(of: logSumExp)
    @usableFromInline func vjpLogSumExp(alongAxes axes: [Int], keepDims: Bool) -> (
        value: Tensor, pullback: (Tensor) -> Tensor
    ) {
        let normalized = axesOrAll(axes, op: "logSumExp")
        let kept = keptShape(normalized)
        let y = logSumExpForward(normalized, keepDims: keepDims)
        return (
            y,
            { v in
                if v.isShapelessZero { return .zero }
                return v.reshaped(to: kept) * exp(self - y.reshaped(to: kept))
            }
        )
    }
}

/// Softmax along `axis`: exp(x − logΣexp x).
@differentiable(reverse,wrt: x)
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    exp(logSoftmaxForward(x, axis: axis))
}

/// Log-softmax along `axis`: x − logΣexp x, stable for any logits.
@differentiable(reverse,wrt: x)
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    logSoftmaxForward(x, axis: axis)
}

/// (x − m) − log Σ exp(x − m): the shift is exact, so large logits keep their precision.
func logSoftmaxForward(_ x: Tensor, axis: Int) -> Tensor {
    let (_, shifted, logTotal) = x.shiftedLogSumExp(x.normalizedAxes([axis], op: "logSoftmax"))
    return shifted - logTotal
}

@derivative(of: softmax, wrt: x)
@usableFromInline func vjpSoftmax(_ x: Tensor, axis: Int) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let axes = x.normalizedAxes([axis], op: "softmax")
    let y = softmax(x, axis: axis)
    return (
        y,
        { v in
            if v.isShapelessZero { return .zero }
            let weighted = (v * y).reduced(RP_REDUCE_SUM, axes: axes, keepDims: true)
            return y * (v - weighted)
        }
    )
}

@derivative(of: logSoftmax, wrt: x)
@usableFromInline func vjpLogSoftmax(_ x: Tensor, axis: Int) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let axes = x.normalizedAxes([axis], op: "logSoftmax")
    let y = logSoftmaxForward(x, axis: axis)
    return (
        y,
        { v in
            if v.isShapelessZero { return .zero }
            let total = v.expanded(to: x.shape).reduced(RP_REDUCE_SUM, axes: axes, keepDims: true)
            return v - exp(y) * total
        }
    )
}
