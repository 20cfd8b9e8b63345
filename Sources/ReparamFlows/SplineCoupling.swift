import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Rational-quadratic neural spline coupling (Durkan et al. 2019): as `AffineCoupling`, but
/// the transformed part goes through monotone rational-quadratic splines on [−B, B] with K bins
/// and linear (identity) tails, the spline parameters (3K − 1 per column) from an MLP of the
/// conditioning part. From data to noise the spline is evaluated forwards (the layer's
/// `inverse`); sampling inverts it, in closed form too.
public struct SplineCoupling: FlowLayer {
    public var conditioner: MLP
    @noDerivative public let split: CouplingSplit
    @noDerivative public let bins: Int
    @noDerivative public let bound: Float
    @noDerivative public let contextSize: Int

    public init(
        dimension d: Int, hidden: [Int], activation: Activation = .relu, swapped: Bool, bins: Int = 8, bound: Float = 3,
        contextSize: Int = 0,
        key: RandomKey
    ) {
        precondition(bins >= 2 && bound > 0, "SplineCoupling: needs bins ≥ 2 and bound > 0")
        split = CouplingSplit(dimension: d, swapped: swapped)
        conditioner = zeroInitializedMLP(
            sizes: [split.conditioning.count + contextSize] + hidden + [split.transformed.count * (3 * bins - 1)],
            activation: activation, key: key)
        (self.bins, self.bound, self.contextSize) = (bins, bound, contextSize)
    }

    @differentiable(reverse)
    func transform(_ input: Tensor, context: Tensor, inverse: Bool) -> ValueAndLogDet {
        let conditioning = columns(input, split.conditioning)
        let transformed = columns(input, split.transformed)
        let parameters = conditioner(withContext(conditioning, context))
        let knots = splineKnots(
            parameters, count: withoutDerivative(at: transformed.count), bins: bins, bound: bound, scale: 1)
        let out = rationalQuadraticSpline(transformed.reshaped(to: [-1]), knots, inverse: inverse)
        let shape = withoutDerivative(at: transformed.shape)
        return ValueAndLogDet(
            value: split.assembled(conditioning, out.value.reshaped(to: shape)),
            logDet: rowSums(out.logDet.reshaped(to: shape)))
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        transform(z, context: context, inverse: true)
    }
    @differentiable(reverse)
    public func inverseWithLogDet(_ x: Tensor, context: Tensor) -> ValueAndLogDet {
        transform(x, context: context, inverse: false)
    }
}

/// Knots for `count` splines from parameters holding 3K − 1 values per spline (widths, heights,
/// derivatives), contiguous per spline; widths and heights are divided by `scale` first.
@differentiable(reverse,wrt: parameters)
func splineKnots(_ parameters: Tensor, count: Int, bins: Int, bound: Float, scale: Float) -> SplineKnots {
    let p = parameters.reshaped(to: [count, 3 * bins - 1])
    return SplineKnots(
        widths: p.slice(axis: 1, 0..<bins) / scale, heights: p.slice(axis: 1, bins..<(2 * bins)) / scale,
        derivatives: p.slice(axis: 1, (2 * bins)..<(3 * bins - 1)), bound: bound)
}

extension SplineCoupling: ParameterListing {
    public var parameterPaths: [ParameterPath<SplineCoupling>] {
        conditioner.parameterPaths.map {
            $0.nested(
                in: "conditioner", value: \SplineCoupling.conditioner,
                gradient: \SplineCoupling.TangentVector.conditioner)
        }
    }
}
