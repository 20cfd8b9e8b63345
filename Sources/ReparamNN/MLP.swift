import ReparamRandom
import ReparamTensor
import _Differentiation

/// A stack of `Dense` layers: `hidden` activation between them, `output` after the last.
public struct MLP: Differentiable {
    public var layers: [Dense]

    public init(layers: [Dense]) {
        precondition(!layers.isEmpty, "MLP: needs at least one layer")
        for (i, pair) in zip(layers, layers.dropFirst()).enumerated()
        where pair.0.weight.shape[1] != pair.1.weight.shape[0] {
            preconditionFailure(
                "MLP: layer \(i) outputs \(pair.0.weight.shape[1]) but layer \(i + 1) takes \(pair.1.weight.shape[0])")
        }
        self.layers = layers
    }

    /// sizes = [inputs, hidden…, outputs].
    public init(
        sizes: [Int], hidden: Activation = .relu, output: Activation = .identity,
        initializer: Initializer = .pytorchDefault, key: RandomKey
    ) {
        precondition(sizes.count >= 2, "MLP: sizes \(sizes) need an input and an output size")
        let keys = key.split(sizes.count - 1)
        self.init(
            layers: (0..<(sizes.count - 1)).map { i in
                Dense(
                    inputSize: sizes[i], outputSize: sizes[i + 1],
                    activation: i == sizes.count - 2 ? output : hidden, initializer: initializer, key: keys[i])
            })
    }

    @differentiable(reverse)
    @differentiable(reverse,wrt: self)
    @differentiable(reverse,wrt: x)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.differentiableReduce(x) { h, layer in layer(h) }
    }
}

extension MLP {
    /// The parameters-only derivative, chained by hand: `differentiableReduce` would also
    /// differentiate with respect to its initial value — the data batch — and pay one more
    /// GEMM (128·784·400 on the VAE encoder) for a gradient nobody reads.
    @derivative(of: callAsFunction, wrt: self)
    @usableFromInline func vjpApplyToData(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> TangentVector) {
        let (first, firstPullback) = valueWithPullback(at: layers[0]) { layer in layer(x) }
        var h = first
        var pullbacks: [(Tensor) -> (Dense.TangentVector, Tensor)] = []
        pullbacks.reserveCapacity(layers.count - 1)
        for layer in layers.dropFirst() {
            let (next, pullback) = valueWithPullback(at: layer, h) { layer, input in layer(input) }
            pullbacks.append(pullback)
            h = next
        }
        return (
            h,
            { v in
                var gradients = [Dense.TangentVector](repeating: .zero, count: pullbacks.count + 1)
                var cotangent = v
                for i in stride(from: pullbacks.count - 1, through: 0, by: -1) {
                    (gradients[i + 1], cotangent) = pullbacks[i](cotangent)
                }
                gradients[0] = firstPullback(cotangent)
                return TangentVector(layers: Array<Dense>.TangentVector(gradients))
            }
        )
    }
}

extension MLP {
    /// The input-only derivative, for a network held fixed while a gradient flows through it
    /// (a critic under an actor's loss): no weight gradient is formed.
    @derivative(of: callAsFunction, wrt: x)
    @usableFromInline func vjpApplyToInput(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        var h = x
        var pullbacks: [(Tensor) -> Tensor] = []
        pullbacks.reserveCapacity(layers.count)
        for layer in layers {
            let (next, pullback) = valueWithPullback(at: h) { input in layer(input) }
            pullbacks.append(pullback)
            h = next
        }
        return (h, { v in pullbacks.reversed().reduce(v) { cotangent, pullback in pullback(cotangent) } })
    }
}
