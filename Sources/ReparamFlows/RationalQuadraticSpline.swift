import CReparamKernels
import ReparamDistributions
import ReparamTensor
import _Differentiation

/// The knots of monotone rational-quadratic splines on [−B, B] (Durkan et al. 2019), one
/// spline per element, built differentiably from unconstrained network outputs:
///
///     widths  = m_w + (1 − K·m_w)·softmax(θ_w),   x_k = −B + 2B·Σ_{j<k} widths_j
///     heights = m_h + (1 − K·m_h)·softmax(θ_h),   y_k likewise
///     δ_k     = m_δ + softplus(θ_δ) inside, 1 at both ends (linear tails)
///
/// With θ = 0 every bin is 2B/K wide and δ = m_δ + log 2 ≈ 0.69 inside (nflows' convention).
public struct SplineKnots: Differentiable {
    /// [n, K + 1] each.
    public var x: Tensor
    public var y: Tensor
    public var derivatives: Tensor

    public static let minimumBinWidth: Float = 1e-3
    public static let minimumBinHeight: Float = 1e-3
    public static let minimumDerivative: Float = 1e-3

    /// From [n, K] unnormalized widths and heights and [n, K − 1] unnormalized derivatives.
    @differentiable(reverse)
    public init(widths: Tensor, heights: Tensor, derivatives: Tensor, bound: Float) {
        let bins = withoutDerivative(at: widths.shape[1])
        let n = withoutDerivative(at: widths.shape[0])
        let cumulative = withoutDerivative(at: SplineKnots.cumulativeSumMatrix(bins))
        x = SplineKnots.knots(widths, minimum: SplineKnots.minimumBinWidth, cumulative, bound)
        y = SplineKnots.knots(heights, minimum: SplineKnots.minimumBinHeight, cumulative, bound)
        let ones = withoutDerivative(at: Tensor.ones([n, 1]))
        self.derivatives = concat([ones, SplineKnots.minimumDerivative + softplus(derivatives), ones], axis: 1)
    }

    @differentiable(reverse,wrt: unnormalized)
    static func knots(_ unnormalized: Tensor, minimum: Float, _ cumulative: Tensor, _ bound: Float) -> Tensor {
        let bins = Float(withoutDerivative(at: unnormalized.shape[1]))
        let fractions = minimum + (1 - minimum * bins) * softmax(unnormalized, axis: -1)
        return matmul(fractions, cumulative) * (2 * bound) - bound
    }

    /// C[j, k] = 1 for j < k: a row of fractions times C is its running sum, starting at 0.
    static func cumulativeSumMatrix(_ bins: Int) -> Tensor {
        Tensor(
            shape: [bins, bins + 1],
            scalars: (0..<(bins * (bins + 1))).map { $0 / (bins + 1) < $0 % (bins + 1) ? 1 : 0 })
    }
}

/// y = s(x) elementwise for x [n] and one spline per element (identity outside [−B, B]), with
/// log|dy/dx| per element; `inverse` gives x = s⁻¹(y) and log|dx/dy|. Analytic gradients with
/// respect to x and the knots (kernel: rp_rq_spline).
@differentiable(reverse,wrt: (x, knots))
public func rationalQuadraticSpline(_ x: Tensor, _ knots: SplineKnots, inverse: Bool) -> ValueAndLogDet {
    splineForward(x, knots, inverse: inverse)
}

func splineForward(_ x: Tensor, _ knots: SplineKnots, inverse: Bool) -> ValueAndLogDet {
    let n = x.count
    let bins = knots.x.shape[1] - 1
    precondition(
        knots.x.shape == [n, bins + 1] && knots.y.shape == knots.x.shape && knots.derivatives.shape == knots.x.shape,
        "rationalQuadraticSpline: \(n) inputs need knots [\(n), K + 1], got \(knots.x.shape)")
    var out = Tensor.zeros(x.shape)
    var logDet = Tensor.zeros(x.shape)
    out.withUnsafeMutableScalars { po in
        logDet.withUnsafeMutableScalars { pl in
            x.withUnsafeScalars { px in
                knots.x.withUnsafeScalars { kx in
                    knots.y.withUnsafeScalars { ky in
                        knots.derivatives.withUnsafeScalars { kd in
                            rp_rq_spline(
                                Int64(n), Int32(bins), px.baseAddress, kx.baseAddress, ky.baseAddress, kd.baseAddress,
                                inverse ? 1 : 0, po.baseAddress, pl.baseAddress)
                        }
                    }
                }
            }
        }
    }
    return ValueAndLogDet(value: out, logDet: logDet)
}

@derivative(of: rationalQuadraticSpline, wrt: (x, knots))
@usableFromInline func vjpRationalQuadraticSpline(
    _ x: Tensor, _ knots: SplineKnots, inverse: Bool
)
    -> (value: ValueAndLogDet, pullback: (ValueAndLogDet.TangentVector) -> (Tensor, SplineKnots.TangentVector))
{
    let result = splineForward(x, knots, inverse: inverse)
    return (
        result,
        { v in
            let n = x.count
            let bins = knots.x.shape[1] - 1
            var gx = Tensor.zeros(x.shape)
            var gkx = Tensor.zeros(knots.x.shape)
            var gky = gkx
            var gkd = gkx
            let gValue = v.value.isShapelessZero ? nil : v.value.expanded(to: x.shape)
            let gLogDet = v.logDet.isShapelessZero ? nil : v.logDet.expanded(to: x.shape)
            if gValue == nil && gLogDet == nil { return (.zero, .zero) }
            withOptionalScalars(gValue) { pgo in
                withOptionalScalars(gLogDet) { pgl in
                    x.withUnsafeScalars { px in
                        result.value.withUnsafeScalars { pout in
                            knots.x.withUnsafeScalars { kx in
                                knots.y.withUnsafeScalars { ky in
                                    knots.derivatives.withUnsafeScalars { kd in
                                        gx.withUnsafeMutableScalars { pgx in
                                            gkx.withUnsafeMutableScalars { gx1 in
                                                gky.withUnsafeMutableScalars { gy1 in
                                                    gkd.withUnsafeMutableScalars { gd1 in
                                                        rp_rq_spline_backward(
                                                            Int64(n), Int32(bins), px.baseAddress, pout.baseAddress,
                                                            kx.baseAddress, ky.baseAddress, kd.baseAddress,
                                                            inverse ? 1 : 0, pgo, pgl, pgx.baseAddress,
                                                            gx1.baseAddress, gy1.baseAddress, gd1.baseAddress)
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (gx, SplineKnots.TangentVector(x: gkx, y: gky, derivatives: gkd))
        }
    )
}

private func withOptionalScalars<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeScalars { body($0.baseAddress) }
}
