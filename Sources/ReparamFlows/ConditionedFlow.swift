import ReparamDistributions
import ReparamTensor
import _Differentiation

/// A chain of conditional layers with its context bound: a plain bijector on points with any
/// leading sample dimensions, [s…, n, d], whose row i (in every sample) is transformed given
/// context row i, [n, c]. It is what an amortized flow posterior q(z|x) pushes its base
/// samples through, the context being the encoder's features of x.
public struct ConditionedFlow<Layer: FlowLayer>: FusedBijector {
    public var chain: Chain<Layer>
    public var context: Tensor

    @differentiable(reverse)
    public init(_ chain: Chain<Layer>, context: Tensor) {
        self.chain = chain
        self.context = context
    }

    public var eventRank: Int { 1 }

    /// Points [s…, n, d] as rows [s·n, d], and the context repeated for each sample.
    @differentiable(reverse)
    func rows(_ x: Tensor) -> (points: Tensor, context: Tensor) {
        let shape = withoutDerivative(at: x.shape)
        let (n, c) = withoutDerivative(at: (context.shape[0], context.shape[1]))
        let samples = shape.dropLast(2).reduce(1, *)
        let points = x.reshaped(to: [samples * n, shape.last!])
        if samples == 1 { return (points, context) }
        let repeated = context.reshaped(to: [1, n, c]) + withoutDerivative(at: Tensor.zeros([samples, n, c]))
        return (points, repeated.reshaped(to: [samples * n, c]))
    }

    @differentiable(reverse)
    func transform(_ x: Tensor, inverse: Bool) -> ValueAndLogDet {
        let shape = withoutDerivative(at: x.shape)
        let r = rows(x)
        let out =
            inverse
            ? chain.inverseWithLogDet(r.points, context: r.context)
            : chain.forwardWithLogDet(r.points, context: r.context)
        return ValueAndLogDet(
            value: out.value.reshaped(to: shape), logDet: out.logDet.reshaped(to: Array(shape.dropLast())))
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet { transform(x, inverse: false) }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet { transform(y, inverse: true) }
}
