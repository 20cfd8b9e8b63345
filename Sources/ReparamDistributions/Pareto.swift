import ReparamRandom
import ReparamTensor
import _Differentiation

/// Pareto(scale xₘ, alpha α), density α·xₘ^α / x^{α+1} on x ≥ xₘ. Pathwise: z = xₘ·e^{E/α}.
public struct Pareto: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var scale: Tensor
    public var alpha: Tensor

    @differentiable(reverse)
    public init(scale: Tensor, alpha: Tensor) {
        self.scale = scale
        self.alpha = alpha
    }

    public static func validated(scale: Tensor, alpha: Tensor) throws -> Pareto {
        let d = Pareto(scale: scale, alpha: alpha)
        try d.validate()
        return d
    }

    public func validate() throws {
        _ = try checkShapes([("scale", scale.shape), ("alpha", alpha.shape)], of: "Pareto")
        try check(scale, "scale", of: "Pareto", .positive)
        try check(alpha, "alpha", of: "Pareto", .positive)
    }

    public func validate(value: Tensor) throws { try check(value, "value", of: "Pareto", .positive) }

    public var batchShape: [Int] { joinedShape(scale.shape, alpha.shape, of: "Pareto") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        scale * exp(key.exponential(sampleShape + withoutDerivative(at: self).batchShape) / alpha)
    }

    /// log α + α log xₘ − (α + 1) log x on x ≥ xₘ
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let formula = log(alpha) + alpha * log(scale) - (alpha + 1) * log(value)
        let inside = withoutDerivative(at: insideMask(value, shape: formula.shape))
        return select(inside, formula, withoutDerivative(at: Tensor(repeating: -.infinity, shape: formula.shape)))
    }

    func insideMask(_ value: Tensor, shape: [Int]) -> Tensor {
        let v = value.broadcasted(to: shape), s = scale.broadcasted(to: shape)
        return Tensor(shape: shape, scalars: (0..<v.count).map { v.scalars[$0] >= s.scalars[$0] ? 1 : 0 })
    }

    /// 1 − (xₘ/x)^α above xₘ, with log(xₘ/x) = log1p((xₘ − x)/x): exact near xₘ, where
    /// a large α magnifies every rounding of the ratio.
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        // Below xₘ the value is replaced by xₘ itself, where the formula is exactly 0 with a zero
        // gradient; relu alone left NaN at x ≤ 0 (log1p of less than −1) and in the gradient at 0.
        let inside = withoutDerivative(at: (value - scale).map { $0 >= 0 ? 1 : 0 })
        let x = select(inside, expand(value, to: inside.shape), expand(scale, to: inside.shape))
        return -expm1(alpha * log1p((scale - x) / x))
    }

    /// (xₘ/x)^α, 1 below xₘ: the upper tail that 1 − F rounds to 0 far above the scale
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { exp(logSurvival(value)) }

    /// α(log xₘ − log x), 0 below xₘ
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor {
        let inside = withoutDerivative(at: (value - scale).map { $0 >= 0 ? 1 : 0 })
        let x = select(inside, expand(value, to: inside.shape), expand(scale, to: inside.shape))
        return alpha * (log(scale) - log(x))
    }

    /// xₘ·(1 − p)^{−1/α}
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { scale * exp(-log1p(-probability) / alpha) }

    /// log(xₘ/α) + 1/α + 1
    @differentiable(reverse)
    public func entropy() -> Tensor { log(scale / alpha) + 1 / alpha + 1 }

    /// α·xₘ/(α − 1) for α > 1, else ∞.
    public var mean: Tensor {
        let m = alpha * scale / (alpha - 1)
        return select(
            alpha.map { $0 > 1 ? 1 : 0 }.broadcasted(to: m.shape), m, Tensor(repeating: .infinity, shape: m.shape))
    }

    /// xₘ²·α/((α − 1)²(α − 2)) for α > 2, else ∞.
    public var variance: Tensor {
        let v = square(scale) * alpha / (square(alpha - 1) * (alpha - 2))
        return select(
            alpha.map { $0 > 2 ? 1 : 0 }.broadcasted(to: v.shape), v, Tensor(repeating: .infinity, shape: v.shape))
    }
}
