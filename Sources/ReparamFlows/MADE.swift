import ReparamData
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// MADE (Germain et al. 2015): an MLP whose weights are masked so that the outputs for
/// variable i depend only on the variables before i in the order (and on the context, if
/// any). Variables have degrees 1…d (or d…1 when `reversedOrder`), context features degree 0,
/// and each hidden layer the degrees 1…d − 1 in turn, sorted; a connection is kept when the
/// receiving unit's degree is ≥ the sending one's (hidden) or > (outputs).
///
/// The layout makes every mask row and column one contiguous run, which `maskedDense` turns into
/// skipped multiply-adds: hidden units sorted by degree, and the context before the variables in
/// the natural order, after them in the reversed one. Weights off the mask start at zero and get
/// zero gradients; their values are never read.
///
/// Outputs are [n, d·p], variable-major: columns i·p…i·p + p − 1 are variable i's parameters.
public struct MADE: Differentiable {
    public var layers: [Dense]
    @noDerivative public let masks: [WeightMask]
    @noDerivative public let inputSize: Int
    @noDerivative public let contextSize: Int
    @noDerivative public let outputsPerInput: Int
    /// Variables in the order d…1 (the context then follows them instead of preceding them).
    @noDerivative public let reversedOrder: Bool

    /// The layout of degrees and inputs above; checkpoints record it, since weights trained with
    /// another one do not fit.
    public static let layout = "sorted-degrees-context-run"
    /// The checkpoint metadata key that holds `layout`.
    public static let layoutKey = "made_layout"

    /// Refuses a checkpoint whose MADE layers were laid out differently (or before the layout
    /// was recorded): its weights would load with the right shapes and compute a wrong density.
    public static func checkLayout(of metadata: [String: String], file: String) throws {
        guard metadata[layoutKey] != layout else { return }
        throw DataFileError(
            file: file,
            reason: "it was written by an earlier Reparam whose autoregressive (MADE) layers ordered their hidden "
                + "units differently (layout '\(metadata[layoutKey] ?? "unrecorded")', this version reads "
                + "'\(layout)'); train it again")
    }

    public init(
        inputSize d: Int, hidden: [Int], activation: Activation = .relu, outputsPerInput p: Int, contextSize: Int = 0,
        reversedOrder: Bool = false,
        key: RandomKey
    ) {
        precondition(
            d >= 1 && !hidden.isEmpty && hidden.allSatisfy { $0 > 0 } && p > 0,
            "MADE: needs inputs ≥ 1, at least one hidden layer of positive width, and outputs per input ≥ 1")
        let variableDegrees = (0..<d).map { reversedOrder ? d - $0 : $0 + 1 }
        let context = [Int](repeating: 0, count: contextSize)
        let inputDegrees = reversedOrder ? variableDegrees + context : context + variableDegrees
        var degrees = [inputDegrees]
        for width in hidden { degrees.append((0..<width).map { $0 % Swift.max(1, d - 1) + 1 }.sorted()) }
        let outputDegrees = (0..<(d * p)).map { variableDegrees[$0 / p] }
        var masks: [WeightMask] = []
        for (layer, (from, to)) in zip(degrees, degrees.dropFirst().map { $0 } + [outputDegrees]).enumerated() {
            let isOutput = layer == hidden.count
            masks.append(
                WeightMask(
                    Tensor(
                        shape: [from.count, to.count],
                        scalars: from.flatMap { a in
                            to.map { b in (isOutput ? b > a : b >= a) ? 1 : 0 }
                        })))
        }
        let sizes = [d + contextSize] + hidden + [d * p]
        var mlp = MLP(sizes: sizes, hidden: activation, output: .identity, key: key)
        for i in mlp.layers.indices { mlp.layers[i].weight = mlp.layers[i].weight * masks[i].mask }
        // The last layer starts at zero: each autoregressive layer starts at a fixed elementwise map.
        let last = mlp.layers.count - 1
        mlp.layers[last].weight = Tensor.zeros(mlp.layers[last].weight.shape)
        mlp.layers[last].bias = Tensor.zeros(mlp.layers[last].bias.shape)
        layers = mlp.layers
        self.masks = masks
        (inputSize, self.contextSize, outputsPerInput, self.reversedOrder) = (d, contextSize, p, reversedOrder)
    }

    /// [n, d] (and context [n, c]) → [n, d, p].
    @differentiable(reverse)
    public func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        var h =
            withoutDerivative(at: contextSize) == 0
            ? x
            : concat(withoutDerivative(at: reversedOrder) ? [x, context] : [context, x], axis: 1)
        for i in withoutDerivative(at: layers.indices) {
            h = maskedDense(h, layers[i].weight, layers[i].bias, activation: layers[i].activation, mask: masks[i])
        }
        return h.reshaped(to: [withoutDerivative(at: x.shape[0]), inputSize, outputsPerInput])
    }
}

extension MADE: ParameterListing {
    public var parameterPaths: [ParameterPath<MADE>] {
        layers.indices.flatMap { i in
            layers[i].parameterPaths.map {
                $0.nested(in: "layers[\(i)]", element: i, of: \MADE.layers, gradients: \MADE.TangentVector.layers.base)
            }
        }
    }
}
