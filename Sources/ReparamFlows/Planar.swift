import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// Planar flow (Rezende & Mohamed 2015): f(z) = z + û·tanh(wᵀz + b), with
/// û = u + (m(wᵀu) − wᵀu)·w/‖w‖² and m(a) = −1 + softplus(a), so that wᵀû ≥ −1 and f is
/// invertible. log|det ∂f/∂z| = log|1 + (1 − tanh²(wᵀz + b))·wᵀû| (matrix determinant lemma).
///
/// The inverse has no closed form: wᵀz solves a monotone scalar equation (bisection and Newton
/// in Double), and one Newton step z = z* + J⁻¹(y − f(z*)) taken differentiably at the solution
/// z* gives the inverse its exact first-order derivatives (J⁻¹ by Sherman–Morrison).
///
/// Conditional form (amortized, for VAE posteriors): u, w and b get a linear function of the
/// context added, so each row has its own layer.
public struct Planar: FlowLayer {
    public var u: Tensor
    public var w: Tensor
    public var b: Tensor
    /// [context, 2d + 1]: rows of context features to (Δu, Δw, Δb).
    public var contextWeight: Tensor
    @noDerivative public let contextSize: Int

    /// u ~ U(±√2), w ~ U(±√(2/d)) and b = 0 (normflows' initialization); the context map starts
    /// at zero.
    public init(dimension d: Int, contextSize: Int = 0, key: RandomKey) {
        let (uBound, wBound) = (Float(2).squareRoot(), (2 / Float(d)).squareRoot())
        let keys = key.split(2)
        u = keys[0].uniform([d], low: -uBound, high: uBound)
        w = keys[1].uniform([d], low: -wBound, high: wBound)
        b = Tensor.zeros([1])
        contextWeight = Tensor.zeros([contextSize, 2 * d + 1])
        self.contextSize = contextSize
    }

    /// (u, w, b) per row ([n, d], [n, d], [n, 1]) or shared ([d], [d], [1]).
    @differentiable(reverse)
    func parameters(_ context: Tensor) -> (u: Tensor, w: Tensor, b: Tensor) {
        let d = withoutDerivative(at: u.shape[0])
        if withoutDerivative(at: contextSize) == 0 { return (u, w, b) }
        let delta = matmul(context, contextWeight)
        return (u + columns(delta, 0..<d), w + columns(delta, d..<(2 * d)), b + columns(delta, (2 * d)..<(2 * d + 1)))
    }

    /// û = u + (m(wᵀu) − wᵀu)·w/‖w‖².
    @differentiable(reverse)
    static func constrained(_ u: Tensor, _ w: Tensor) -> Tensor {
        let wu = dot(w, u)
        return u + (softplus(wu) - 1 - wu) * w / dot(w, w)
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        let p = parameters(context)
        let uHat = Planar.constrained(p.u, p.w)
        let h = tanh(dot(z, p.w) + p.b)
        let y = z + h * uHat
        let logDet = log(abs(1 + (1 - square(h)) * dot(p.w, uHat)))
        return ValueAndLogDet(value: y, logDet: logDet.reshaped(to: [-1]))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet {
        let p = parameters(context)
        let uHat = Planar.constrained(p.u, p.w)
        let solution = withoutDerivative(at: Planar.solve(y, uHat, p.w, p.b))
        // One differentiable Newton step at the solution: its value is the solution, its
        // derivatives the inverse function's.
        let residual = y - forwardWithLogDet(solution, context: context).value
        let psi = (1 - square(tanh(dot(solution, p.w) + p.b))) * p.w
        let z = solution + residual - uHat * dot(psi, residual) / (1 + dot(psi, uHat))
        return ValueAndLogDet(value: z, logDet: -forwardWithLogDet(z, context: context).logDet)
    }

    /// z with f(z) = y: t = wᵀz solves t + c·tanh(t + b) = wᵀy, c = wᵀû ≥ −1 (increasing in t,
    /// within |c| of wᵀy); then z = y − û·tanh(t + b).
    static func solve(_ y: Tensor, _ uHat: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
        let (n, d) = (y.shape[0], y.shape[1])
        let c = dot(w, uHat).broadcasted(to: [n, 1]).scalars
        let target = dot(y, w).scalars
        let shift = b.broadcasted(to: [n, 1]).scalars
        let u = uHat.broadcasted(to: [n, d]).scalars
        var z = y.scalars
        for row in 0..<n {
            let (ci, bi, ti) = (Double(c[row]), Double(shift[row]), Double(target[row]))
            var (lo, hi) = (ti - Swift.abs(ci) - 1e-12, ti + Swift.abs(ci) + 1e-12)
            var t = ti
            for _ in 0..<100 {
                let th = Glibc.tanh(t + bi)
                let g = t + ci * th - ti
                if g > 0 { hi = t } else { lo = t }
                let slope = 1 + ci * (1 - th * th)
                var next = t - g / slope
                if !(next > lo && next < hi) { next = (lo + hi) / 2 }
                if Swift.abs(next - t) <= 1e-15 * Swift.max(1, Swift.abs(t)) {
                    t = next
                    break
                }
                t = next
            }
            let th = Float(Glibc.tanh(t + bi))
            for j in 0..<d { z[row * d + j] -= u[row * d + j] * th }
        }
        return Tensor(shape: y.shape, scalars: z)
    }
}

/// Row-wise inner products: [n, d]·[n, d] or [d] → [n, 1]; [d]·[d] → [1].
@differentiable(reverse)
func dot(_ a: Tensor, _ b: Tensor) -> Tensor {
    if withoutDerivative(at: a.rank) == 1 && withoutDerivative(at: b.rank) == 1 {
        return (a * b).sum().reshaped(to: [1])
    }
    return (a * b).sum(alongAxes: [-1], keepDims: true)
}

extension Planar: ParameterListing {
    public var parameterPaths: [ParameterPath<Planar>] {
        [
            ParameterPath(name: "u", value: \.u, gradient: \.u), ParameterPath(name: "w", value: \.w, gradient: \.w),
            ParameterPath(name: "b", value: \.b, gradient: \.b),
        ]
            + (contextSize > 0
                ? [ParameterPath(name: "context_weight", value: \.contextWeight, gradient: \.contextWeight)] : [])
    }
}
