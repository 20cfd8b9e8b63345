import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Rational-quadratic neural spline autoregressive layer (RQ-NSF (AR), Durkan et al. 2019):
/// variable i goes through a monotone rational-quadratic spline whose 3K − 1 parameters MADE
/// computes from the variables before it (widths and heights divided by √(hidden width), as in
/// nflows). Data to noise is one MADE pass (the layer's `inverse`); sampling takes d passes.
public struct SplineAutoregressive: FlowLayer {
    public var made: MADE
    @noDerivative public let bins: Int
    @noDerivative public let bound: Float
    @noDerivative let parameterScale: Float

    public init(
        dimension d: Int, hidden: [Int], activation: Activation = .relu, bins: Int = 8, bound: Float = 3,
        contextSize: Int = 0, reversedOrder: Bool = false,
        key: RandomKey
    ) {
        precondition(bins >= 2 && bound > 0, "SplineAutoregressive: needs bins ≥ 2 and bound > 0")
        made = MADE(
            inputSize: d, hidden: hidden, activation: activation, outputsPerInput: 3 * bins - 1,
            contextSize: contextSize,
            reversedOrder: reversedOrder, key: key)
        (self.bins, self.bound, parameterScale) = (bins, bound, Float(hidden[0]).squareRoot())
    }

    public var contextSize: Int { made.contextSize }

    /// The splines of every variable given x (only x_<i reaches variable i's), applied to `input`.
    @differentiable(reverse)
    func spline(_ input: Tensor, given x: Tensor, context: Tensor, inverse: Bool) -> ValueAndLogDet {
        let knots = splineKnots(
            made(x, context: context), count: withoutDerivative(at: x.count), bins: bins, bound: bound,
            scale: parameterScale)
        let out = rationalQuadraticSpline(input.reshaped(to: [-1]), knots, inverse: inverse)
        let shape = withoutDerivative(at: input.shape)
        return ValueAndLogDet(value: out.value.reshaped(to: shape), logDet: rowSums(out.logDet.reshaped(to: shape)))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ x: Tensor, context: Tensor) -> ValueAndLogDet {
        spline(x, given: x, context: context, inverse: false)
    }

    /// x_i = s_i⁻¹(z_i; x_<i), d passes from x = 0 (exact after the last, as for MAF).
    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        var x = z * 0
        for _ in 0..<(withoutDerivative(at: made.inputSize) - 1) {
            x = spline(z, given: x, context: context, inverse: true).value
        }
        return spline(z, given: x, context: context, inverse: true)
    }
}

extension SplineAutoregressive: ParameterListing {
    public var parameterPaths: [ParameterPath<SplineAutoregressive>] {
        made.parameterPaths.map {
            $0.nested(in: "made", value: \SplineAutoregressive.made, gradient: \SplineAutoregressive.TangentVector.made)
        }
    }
}
