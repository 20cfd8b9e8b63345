import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Radial flow (Rezende & Mohamed 2015): f(z) = z + β·h(r)·(z − z₀), r = ‖z − z₀‖,
/// h = 1/(α + r), with α = softplus(α̃) > 0 and β = −α + softplus(β̃) ≥ −α so f is invertible.
/// log|det ∂f/∂z| = (d − 1)·log(1 + βh) + log(1 + βh − βr/(α + r)²).
///
/// The inverse is closed-form: ‖y − z₀‖ = r(1 + β/(α + r)) is a quadratic in r, and then
/// z = z₀ + (y − z₀)/(1 + β/(α + r)). Conditional form: z₀, α̃ and β̃ get a linear function of
/// the context added.
public struct Radial: FlowLayer {
    public var center: Tensor
    public var alpha: Tensor
    public var beta: Tensor
    /// [context, d + 2]: rows of context features to (Δz₀, Δα̃, Δβ̃).
    public var contextWeight: Tensor
    @noDerivative public let contextSize: Int

    /// z₀ ~ N(0, I) and α̃, β̃ ~ U(±1/d), so the layer starts near β = 0, the identity; the
    /// context map starts at zero. (normflows takes α = |α̃|; softplus keeps α > 0 smoothly.)
    public init(dimension d: Int, contextSize: Int = 0, key: RandomKey) {
        let keys = key.split(3)
        let bound = 1 / Float(d)
        center = keys[0].normal([d])
        alpha = keys[1].uniform([1], low: -bound, high: bound)
        beta = keys[2].uniform([1], low: -bound, high: bound)
        contextWeight = Tensor.zeros([contextSize, d + 2])
        self.contextSize = contextSize
    }

    /// (z₀, α, β) per row or shared, with α and β constrained.
    @differentiable(reverse)
    func parameters(_ context: Tensor) -> (center: Tensor, alpha: Tensor, beta: Tensor) {
        let d = withoutDerivative(at: center.shape[0])
        var (z0, a, b) = (center, alpha, beta)
        if withoutDerivative(at: contextSize) > 0 {
            let delta = matmul(context, contextWeight)
            (z0, a, b) = (
                z0 + columns(delta, 0..<d), a + columns(delta, d..<(d + 1)), b + columns(delta, (d + 1)..<(d + 2))
            )
        }
        let positiveAlpha = softplus(a)
        return (z0, positiveAlpha, softplus(b) - positiveAlpha)
    }

    @differentiable(reverse)
    public func forwardWithLogDet(_ z: Tensor, context: Tensor) -> ValueAndLogDet {
        let p = parameters(context)
        let offset = z - p.center
        let r = sqrt(dot(offset, offset))
        let h = 1 / (p.alpha + r)
        let betaH = p.beta * h
        let d = Float(withoutDerivative(at: z.shape[1]))
        let logDet = (d - 1) * log1p(betaH) + log1p(betaH - p.beta * r * square(h))
        return ValueAndLogDet(value: z + betaH * offset, logDet: logDet.reshaped(to: [-1]))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor, context: Tensor) -> ValueAndLogDet {
        let p = parameters(context)
        let offset = y - p.center
        let ry = sqrt(dot(offset, offset))
        // r² + (α + β − r_y)·r − r_y·α = 0, the positive root.
        let c = p.alpha + p.beta - ry
        let r = 0.5 * (sqrt(square(c) + 4 * ry * p.alpha) - c)
        let z = p.center + offset / (1 + p.beta / (p.alpha + r))
        return ValueAndLogDet(value: z, logDet: -forwardWithLogDet(z, context: context).logDet)
    }
}

extension Radial: ParameterListing {
    public var parameterPaths: [ParameterPath<Radial>] {
        [
            ParameterPath(name: "center", value: \.center, gradient: \.center),
            ParameterPath(name: "alpha", value: \.alpha, gradient: \.alpha),
            ParameterPath(name: "beta", value: \.beta, gradient: \.beta),
        ]
            + (contextSize > 0
                ? [ParameterPath(name: "context_weight", value: \.contextWeight, gradient: \.contextWeight)] : [])
    }
}
