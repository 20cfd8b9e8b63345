import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// RealNVP's affine coupling layer (Dinh et al. 2017): one part of the row passes through and
/// conditions an elementwise affine map of the other,
///
///     y_a = z_a,   y_b = z_b·exp(s(z_a)) + t(z_a),   log|det J| = Σ s(z_a),
///
/// with (t, s) from an MLP whose last layer starts at zero (the identity map). The first ⌊d/2⌋
/// columns are part a, or part b when `swapped`; alternating layers transform every column.
/// Conditional form: the context is appended to the MLP's input.
public struct AffineCoupling: FlowLayer {
    public var conditioner: MLP
    @noDerivative public let dimension: Int
    @noDerivative public let swapped: Bool
    @noDerivative public let contextSize: Int

    public init(
        dimension d: Int, hidden: [Int], activation: Activation = .relu, swapped: Bool, contextSize: Int = 0,
        key: RandomKey
    ) {
        precondition(d >= 2, "AffineCoupling: needs at least 2 dimensions, got \(d)")
        let half = d / 2
        let (conditioning, transformed) = swapped ? (d - half, half) : (half, d - half)
        conditioner = zeroInitializedMLP(
            sizes: [conditioning + contextSize] + hidden + [2 * transformed], activation: activation,
            key: key)
        (dimension, self.swapped, self.contextSize) = (d, swapped, contextSize)
    }

    /// The column ranges of the conditioning part and the transformed part.
    var parts: (conditioning: Range<Int>, transformed: Range<Int>) {
        let half = dimension / 2
        return swapped ? (half..<dimension, 0..<half) : (0..<half, half..<dimension)
    }

    @differentiable(reverse)
    func shiftAndLogScale(_ conditioning: Tensor, _ context: Tensor) -> (shift: Tensor, logScale: Tensor) {
        let out = conditioner(withContext(conditioning, context))
        let width = withoutDerivative(at: out.shape[1]) / 2
        return (columns(out, 0..<width), columns(out, width..<(2 * width)))
    }

    /// The conditioning and transformed parts put back in column order.
    @differentiable(reverse)
    func assembled(_ conditioning: Tensor, _ transformed: Tensor) -> Tensor {
        withoutDerivative(at: swapped)
            ? concat([transformed, conditioning], axis: 1) : concat([conditioning, transformed], axis: 1)
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        let (a, b) = withoutDerivative(at: parts)
        let za = columns(z, a)
        let (t, s) = shiftAndLogScale(za, context)
        return ValueAndLogDet(value: assembled(za, columns(z, b) * exp(s) + t), logDet: rowSums(s))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet {
        let (a, b) = withoutDerivative(at: parts)
        let ya = columns(y, a)
        let (t, s) = shiftAndLogScale(ya, context)
        return ValueAndLogDet(value: assembled(ya, (columns(y, b) - t) * exp(-s)), logDet: -rowSums(s))
    }
}

extension AffineCoupling: ParameterListing {
    public var parameterPaths: [ParameterPath<AffineCoupling>] {
        conditioner.parameterPaths.map {
            $0.nested(
                in: "conditioner", value: \AffineCoupling.conditioner,
                gradient: \AffineCoupling.TangentVector.conditioner)
        }
    }
}
