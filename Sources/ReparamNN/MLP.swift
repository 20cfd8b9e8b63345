import _Differentiation
import ReparamRandom
import ReparamTensor

/// A stack of `Dense` layers: `hidden` activation between them, `output` after the last.
public struct MLP: Differentiable {
    public var layers: [Dense]

    public init(layers: [Dense]) {
        precondition(!layers.isEmpty, "MLP: needs at least one layer")
        for (i, pair) in zip(layers, layers.dropFirst()).enumerated() where pair.0.weight.shape[1] != pair.1.weight.shape[0] {
            preconditionFailure("MLP: layer \(i) outputs \(pair.0.weight.shape[1]) but layer \(i + 1) takes \(pair.1.weight.shape[0])")
        }
        self.layers = layers
    }

    /// sizes = [inputs, hidden…, outputs].
    public init(sizes: [Int], hidden: Activation = .relu, output: Activation = .identity,
                initializer: Initializer = .pytorchDefault, key: RandomKey) {
        precondition(sizes.count >= 2, "MLP: sizes \(sizes) need an input and an output size")
        let keys = key.split(sizes.count - 1)
        self.init(layers: (0..<(sizes.count - 1)).map { i in
            Dense(inputSize: sizes[i], outputSize: sizes[i + 1],
                  activation: i == sizes.count - 2 ? output : hidden, initializer: initializer, key: keys[i])
        })
    }

    @differentiable(reverse)
    @differentiable(reverse, wrt: self)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.differentiableReduce(x) { h, layer in layer(h) }
    }
}
