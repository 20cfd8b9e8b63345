import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// MADE (Germain et al. 2015): an MLP whose weights are masked so that the outputs for
/// variable i depend only on the variables before i in the order (and on the context, if
/// any). Variables have degrees 1…d (or d…1 when `reversedOrder`), hidden unit j has degree
/// (j mod (d − 1)) + 1, context features degree 0; a connection is kept when the receiving
/// unit's degree is ≥ the sending one's (hidden) or > (outputs).
///
/// Outputs are [n, d·p], variable-major: columns i·p…i·p + p − 1 are variable i's parameters.
public struct MADE: Differentiable {
    public var layers: [Dense]
    @noDerivative public let masks: [Tensor]
    @noDerivative public let inputSize: Int
    @noDerivative public let contextSize: Int
    @noDerivative public let outputsPerInput: Int

    public init(
        inputSize d: Int, hidden: [Int], activation: Activation = .relu, outputsPerInput p: Int, contextSize: Int = 0,
        reversedOrder: Bool = false,
        key: RandomKey
    ) {
        precondition(
            d >= 1 && !hidden.isEmpty && hidden.allSatisfy { $0 > 0 } && p > 0,
            "MADE: needs inputs ≥ 1, at least one hidden layer of positive width, and outputs per input ≥ 1")
        let inputDegrees = (0..<d).map { reversedOrder ? d - $0 : $0 + 1 } + [Int](repeating: 0, count: contextSize)
        var degrees = [inputDegrees]
        for width in hidden { degrees.append((0..<width).map { $0 % Swift.max(1, d - 1) + 1 }) }
        let outputDegrees = (0..<(d * p)).map { inputDegrees[$0 / p] }
        var masks: [Tensor] = []
        for (from, to) in zip(degrees, degrees.dropFirst().map { $0 } + [outputDegrees]) {
            let isOutput = to.count == outputDegrees.count && masks.count == hidden.count
            masks.append(
                Tensor(
                    shape: [from.count, to.count],
                    scalars: from.flatMap { a in
                        to.map { b in (isOutput ? b > a : b >= a) ? 1 : 0 }
                    }))
        }
        let sizes = [d + contextSize] + hidden + [d * p]
        var mlp = MLP(sizes: sizes, hidden: activation, output: .identity, key: key)
        // The last layer starts at zero: each autoregressive layer starts at a fixed elementwise map.
        let last = mlp.layers.count - 1
        mlp.layers[last].weight = Tensor.zeros(mlp.layers[last].weight.shape)
        mlp.layers[last].bias = Tensor.zeros(mlp.layers[last].bias.shape)
        layers = mlp.layers
        self.masks = masks
        (inputSize, self.contextSize, outputsPerInput) = (d, contextSize, p)
    }

    /// [n, d] (and context [n, c]) → [n, d, p].
    @differentiable(reverse)
    public func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        var h = withContext(x, context)
        for i in withoutDerivative(at: layers.indices) {
            h = dense(h, masked(layers[i].weight, masks[i]), layers[i].bias, activation: layers[i].activation)
        }
        return h.reshaped(to: [withoutDerivative(at: x.shape[0]), inputSize, outputsPerInput])
    }
}

extension MADE: ParameterListing {
    public var parameterPaths: [ParameterPath<MADE>] {
        layers.indices.flatMap { i in
            layers[i].parameterPaths.map {
                $0.nested(in: "layers[\(i)]", value: \MADE.layers[i], gradient: \MADE.TangentVector.layers.base[i])
            }
        }
    }
}

/// W ⊙ M for a constant mask: the pullback is v ⊙ M alone (a plain product would also form the
/// mask's unused gradient v ⊙ W every step).
@differentiable(reverse, wrt: weight)
func masked(_ weight: Tensor, _ mask: Tensor) -> Tensor { weight * mask }

@derivative(of: masked, wrt: weight)
func vjpMasked(_ weight: Tensor, _ mask: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (weight * mask, { v in v.isShapelessZero ? .zero : v * mask })
}
