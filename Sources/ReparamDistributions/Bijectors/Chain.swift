import ReparamTensor
import _Differentiation

/// Bijectors of one type applied in order: y = f_K(…f_2(f_1(x))). The log-determinant is the
/// sum of the layers' (they share an event rank), and the inverse runs the layers backwards.
///
/// The derivative chains each layer's pullback by hand: `differentiableReduce` cannot run an
/// array backwards, and indexing an array inside differentiable code costs a zero tangent
/// array per access.
public struct Chain<Layer: Bijector>: FusedBijector {
    public var layers: [Layer]
    @noDerivative public let eventRank: Int

    public init(_ layers: [Layer]) {
        precondition(!layers.isEmpty, "Chain: needs at least one bijector (or init(_:eventRank:) for none)")
        self.init(layers, eventRank: layers[0].eventRank)
    }

    /// A chain that may be empty (the identity, log-determinant 0) on events of `eventRank`.
    public init(_ layers: [Layer], eventRank: Int) {
        precondition(
            layers.allSatisfy { $0.eventRank == eventRank }, "Chain: layers have event ranks other than \(eventRank)")
        self.layers = layers
        self.eventRank = eventRank
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet { chained(x, inverse: false) }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet { chained(y, inverse: true) }

    @differentiable(reverse)
    func chained(_ input: Tensor, inverse: Bool) -> ValueAndLogDet {
        run(input, context: .zero, inverse: inverse) { layer, h, _ in
            inverse ? layer.inverseWithLogDet(h) : layer.forwardWithLogDet(h)
        }.value
    }

    @derivative(of: chained)
    func vjpChained(
        _ input: Tensor, inverse: Bool
    )
        -> (value: ValueAndLogDet, pullback: (ValueAndLogDet.TangentVector) -> (TangentVector, Tensor))
    {
        let (value, pullback) = run(input, context: .zero, inverse: inverse) { layer, h, _ in
            inverse ? layer.inverseWithLogDet(h) : layer.forwardWithLogDet(h)
        }
        return (
            value,
            { v in
                let (layers, input, _) = pullback(v)
                return (layers, input)
            }
        )
    }

    /// The layers applied in order (or backwards for the inverse), each through `apply`, and the
    /// pullback that chains theirs: it returns the layers' gradient, the input's, and the
    /// context's (summed over the layers that read it).
    func run(
        _ input: Tensor, context: Tensor, inverse: Bool,
        _ apply: @escaping @differentiable(reverse) (Layer, Tensor, Tensor) -> ValueAndLogDet
    )
        -> (value: ValueAndLogDet, pullback: (ValueAndLogDet.TangentVector) -> (TangentVector, Tensor, Tensor))
    {
        typealias Pullback = (ValueAndLogDet.TangentVector) -> (Layer.TangentVector, Tensor, Tensor)
        let order = inverse ? Array(layers.indices.reversed()) : Array(layers.indices)
        var h = input
        // The empty chain's log-determinant is zeros of the event-summed shape.
        var total = layers.isEmpty ? Tensor.zeros(Array(input.shape.dropLast(eventRank))) : Tensor.zero
        var pullbacks: [(index: Int, pullback: Pullback)] = []
        pullbacks.reserveCapacity(order.count)
        for i in order {
            let (out, pullback) = valueWithPullback(at: layers[i], h, context, of: apply)
            pullbacks.append((i, pullback))
            h = out.value
            total = total + out.logDet
        }
        let count = layers.count
        return (
            ValueAndLogDet(value: h, logDet: total),
            { v in
                var gradients = [Layer.TangentVector](repeating: .zero, count: count)
                var cotangent = v.value
                var contextGradient = Tensor.zero
                for step in pullbacks.reversed() {
                    let (g, gInput, gContext) = step.pullback(
                        ValueAndLogDet.TangentVector(value: cotangent, logDet: v.logDet))
                    gradients[step.index] = g
                    cotangent = gInput
                    contextGradient = contextGradient + gContext
                }
                return (TangentVector(layers: Array<Layer>.TangentVector(gradients)), cotangent, contextGradient)
            }
        )
    }
}

/// A bijector whose map also depends on a context vector per row (for amortized posteriors:
/// the encoder's features of the observation). The context-free methods of `Bijector` use an
/// empty context.
public protocol ConditionalBijector: Bijector {
    /// Context features per row (0: the layer ignores its context).
    var contextSize: Int { get }
    @differentiable(reverse)
    func forwardWithLogDet(_ x: Tensor, context: Tensor) -> ValueAndLogDet
    @differentiable(reverse)
    func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet
}

extension Chain: ConditionalBijector where Layer: ConditionalBijector {
    public var contextSize: Int { layers.first?.contextSize ?? 0 }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor, context: Tensor) -> ValueAndLogDet {
        chained(x, context: context, inverse: false)
    }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet {
        chained(y, context: context, inverse: true)
    }

    @differentiable(reverse)
    func chained(_ input: Tensor, context: Tensor, inverse: Bool) -> ValueAndLogDet {
        run(input, context: context, inverse: inverse) { layer, h, c in
            inverse ? layer.inverseWithLogDet(h, context: c) : layer.forwardWithLogDet(h, context: c)
        }.value
    }

    @derivative(of: chained)
    func vjpChained(
        _ input: Tensor, context: Tensor, inverse: Bool
    )
        -> (value: ValueAndLogDet, pullback: (ValueAndLogDet.TangentVector) -> (TangentVector, Tensor, Tensor))
    {
        run(input, context: context, inverse: inverse) { layer, h, c in
            inverse ? layer.inverseWithLogDet(h, context: c) : layer.forwardWithLogDet(h, context: c)
        }
    }
}

extension Inverse: ConditionalBijector where Base: ConditionalBijector {
    public var contextSize: Int { base.contextSize }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor, context: Tensor) -> ValueAndLogDet {
        base.inverseWithLogDet(x, context: context)
    }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet {
        base.forwardWithLogDet(y, context: context)
    }
}
