import _Differentiation
import ReparamTensor

/// Bijectors of one type applied in order: y = f_K(…f_2(f_1(x))). The log-determinant is the
/// sum of the layers' (they share an event rank), and the inverse runs the layers backwards.
///
/// The derivative chains each layer's pullback by hand: `differentiableReduce` cannot run an
/// array backwards, and indexing an array inside differentiable code costs a zero tangent
/// array per access.
public struct Chain<Layer: Bijector>: Bijector {
    public var layers: [Layer]

    public init(_ layers: [Layer]) {
        precondition(!layers.isEmpty, "Chain: needs at least one bijector")
        precondition(Set(layers.map(\.eventRank)).count == 1, "Chain: layers have different event ranks")
        self.layers = layers
    }

    public var eventRank: Int { layers[0].eventRank }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { forwardWithLogDet(x).value }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { inverseWithLogDet(y).value }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { forwardWithLogDet(x).logDet }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { inverseWithLogDet(y).logDet }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet { chained(x, inverse: false) }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet { chained(y, inverse: true) }

    @differentiable(reverse)
    func chained(_ input: Tensor, inverse: Bool) -> ValueAndLogDet {
        run(input, inverse: inverse).value
    }

    /// The layers applied in order (or their inverses, last first), with each one's pullback.
    func run(_ input: Tensor, inverse: Bool)
        -> (value: ValueAndLogDet, pullbacks: [(index: Int, pullback: (ValueAndLogDet.TangentVector) -> (Layer.TangentVector, Tensor))]) {
        let order = inverse ? Array(layers.indices.reversed()) : Array(layers.indices)
        var h = input
        var total = Tensor.zero
        var pullbacks: [(index: Int, pullback: (ValueAndLogDet.TangentVector) -> (Layer.TangentVector, Tensor))] = []
        pullbacks.reserveCapacity(order.count)
        for i in order {
            let (out, pullback) = valueWithPullback(at: layers[i], h) { layer, h in
                inverse ? layer.inverseWithLogDet(h) : layer.forwardWithLogDet(h)
            }
            pullbacks.append((i, pullback))
            h = out.value
            total = total + out.logDet
        }
        return (ValueAndLogDet(value: h, logDet: total), pullbacks)
    }

    @derivative(of: chained)
    func vjpChained(_ input: Tensor, inverse: Bool)
        -> (value: ValueAndLogDet, pullback: (ValueAndLogDet.TangentVector) -> (TangentVector, Tensor)) {
        let (value, pullbacks) = run(input, inverse: inverse)
        let count = layers.count
        return (value, { v in
            var gradients = [Layer.TangentVector](repeating: .zero, count: count)
            var cotangent = v.value
            for step in pullbacks.reversed() {
                let (g, gInput) = step.pullback(ValueAndLogDet.TangentVector(value: cotangent, logDet: v.logDet))
                gradients[step.index] = g
                cotangent = gInput
            }
            return (TangentVector(layers: Array<Layer>.TangentVector(gradients)), cotangent)
        })
    }
}
