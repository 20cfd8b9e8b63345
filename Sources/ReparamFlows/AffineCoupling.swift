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
    @noDerivative public let split: CouplingSplit
    @noDerivative public let contextSize: Int

    public init(
        dimension d: Int, hidden: [Int], activation: Activation = .relu, swapped: Bool, contextSize: Int = 0,
        key: RandomKey
    ) {
        split = CouplingSplit(dimension: d, swapped: swapped)
        conditioner = zeroInitializedMLP(
            sizes: [split.conditioning.count + contextSize] + hidden + [2 * split.transformed.count],
            activation: activation, key: key)
        self.contextSize = contextSize
    }

    @differentiable(reverse)
    func shiftAndLogScale(_ conditioning: Tensor, _ context: Tensor) -> (shift: Tensor, logScale: Tensor) {
        let out = conditioner(withContext(conditioning, context))
        let width = withoutDerivative(at: out.shape[1]) / 2
        return (columns(out, 0..<width), columns(out, width..<(2 * width)))
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        let za = columns(z, split.conditioning)
        let (t, s) = shiftAndLogScale(za, context)
        return ValueAndLogDet(
            value: split.assembled(za, columns(z, split.transformed) * exp(s) + t), logDet: rowSums(s))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet {
        let ya = columns(y, split.conditioning)
        let (t, s) = shiftAndLogScale(ya, context)
        return ValueAndLogDet(
            value: split.assembled(ya, (columns(y, split.transformed) - t) * exp(-s)), logDet: -rowSums(s))
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
