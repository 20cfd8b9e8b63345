import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// One trainable layer of a normalizing flow on rows of a matrix [n, d]: a conditional
/// bijector (context [n, c], or [n, 0] when there is none) that lists its parameters for the
/// optimizers. The context-free `Bijector` methods pass an empty context.
public protocol FlowLayer: ConditionalBijector, FusedBijector, ParameterListing {}

extension FlowLayer {
    public var eventRank: Int { 1 }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet { forwardWithLogDet(x, context: noContext(x)) }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet { inverseWithLogDet(y, context: noContext(y)) }
}

/// The empty context [n, 0] for rows x [n, d].
func noContext(_ x: Tensor) -> Tensor { Tensor.zeros([x.shape[0], 0]) }

@derivative(of: noContext)
func vjpNoContext(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) { (noContext(x), { _ in .zero }) }

/// Columns `range` of a matrix [n, d].
@differentiable(reverse)
func columns(_ x: Tensor, _ range: Range<Int>) -> Tensor { x.slice(axis: 1, range) }

/// The conditioner's input: the conditioning features, then the context when there is one.
@differentiable(reverse)
func withContext(_ features: Tensor, _ context: Tensor) -> Tensor {
    withoutDerivative(at: context.shape[1]) == 0 ? features : concat([features, context], axis: 1)
}

/// Row sums of a matrix [n, d]: the per-row log-determinant of an elementwise map.
@differentiable(reverse)
func rowSums(_ x: Tensor) -> Tensor { x.sum(alongAxes: [1]) }

/// The MLP with its last layer zeroed, so a new layer starts at (or near) the identity map.
func zeroInitializedMLP(sizes: [Int], activation: Activation, key: RandomKey) -> MLP {
    var mlp = MLP(sizes: sizes, hidden: activation, output: .identity, key: key)
    let last = mlp.layers.count - 1
    mlp.layers[last].weight = Tensor.zeros(mlp.layers[last].weight.shape)
    mlp.layers[last].bias = Tensor.zeros(mlp.layers[last].bias.shape)
    return mlp
}

extension Inverse: FlowLayer where Base: FlowLayer {}

extension Inverse: ParameterListing where Base: ParameterListing {
    public var parameterPaths: [ParameterPath<Inverse>] {
        base.parameterPaths.map {
            $0.nested(in: "inverse", value: \Inverse.base, gradient: \Inverse.TangentVector.base)
        }
    }
}

extension Chain: ParameterListing where Layer: ParameterListing {
    public var parameterPaths: [ParameterPath<Chain>] {
        layers.indices.flatMap { i in
            layers[i].parameterPaths.map {
                $0.nested(
                    in: "layers[\(i)]", element: i, of: \Chain.layers, gradients: \Chain.TangentVector.layers.base)
            }
        }
    }
}

/// How a coupling layer splits a row of d columns: the first ⌊d/2⌋ condition the map of the
/// others, or the other way round when `swapped` (alternating layers transform every column).
public struct CouplingSplit: Sendable, Equatable {
    public let dimension: Int
    public let swapped: Bool

    public init(dimension: Int, swapped: Bool) {
        precondition(dimension >= 2, "coupling layer: needs at least 2 dimensions, got \(dimension)")
        (self.dimension, self.swapped) = (dimension, swapped)
    }

    public var conditioning: Range<Int> { swapped ? (dimension / 2)..<dimension : 0..<(dimension / 2) }
    public var transformed: Range<Int> { swapped ? 0..<(dimension / 2) : (dimension / 2)..<dimension }

    /// The two parts put back in column order.
    @differentiable(reverse,wrt: (conditioning, transformed))
    func assembled(_ conditioning: Tensor, _ transformed: Tensor) -> Tensor {
        swapped ? concat([transformed, conditioning], axis: 1) : concat([conditioning, transformed], axis: 1)
    }
}
