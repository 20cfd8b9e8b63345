import ReparamRandom
import ReparamTensor
import _Differentiation

/// InverseGamma(concentration α, scale β): β/G for G ~ Gamma(α, 1), density
/// β^α x^{−α−1} e^{−β/x}/Γ(α). Implicitly reparameterized through G.
public struct InverseGamma: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var concentration: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(concentration: Tensor, scale: Tensor) {
        self.concentration = concentration
        self.scale = scale
    }

    public static func validated(concentration: Tensor, scale: Tensor) throws -> InverseGamma {
        let d = InverseGamma(concentration: concentration, scale: scale)
        _ = try checkShapes([("concentration", concentration.shape), ("scale", scale.shape)], of: "InverseGamma")
        try check(concentration, "concentration", of: "InverseGamma", .positive)
        try check(scale, "scale", of: "InverseGamma", .positive)
        return d
    }

    public var batchShape: [Int] { joinedShape(concentration.shape, scale.shape, of: "InverseGamma") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let alpha = expand(concentration, to: withoutDerivative(at: self).batchShape)
        return scale / standardGammaSample(alpha, key: key, sampleShape: sampleShape)
    }

    /// α log β − lnΓ(α) − (α + 1) log x − β/x on x > 0
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let formula =
            concentration * log(scale) - lgamma(concentration) - (concentration + 1) * log(value) - scale / value
        return restricted(formula, to: withoutDerivative(at: value)) { $0 > 0 }
    }

    /// Q(α, β/x) = 1 − P(α, β/x)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let positive: (Float) -> Bool = { $0 > 0 }  // below 0, β/x < 0 made the bare formula read 1
        let formula = regularizedGammaQ(concentration, scale / movedInside(value, to: 1, positive))
        return zeroOutside(formula, to: withoutDerivative(at: value), positive)
    }

    /// P(α, β/x), 1 at and below 0: the upper tail of x is the lower tail of β/x
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor {
        let positive: (Float) -> Bool = { $0 > 0 }
        let inside = regularizedGammaP(concentration, scale / movedInside(value, to: 1, positive))
        let mask = withoutDerivative(at: value.map { positive($0) ? 1 : 0 }.broadcasted(to: inside.shape))
        return select(mask, inside, withoutDerivative(at: Tensor(repeating: 1, shape: inside.shape)))
    }

    /// β / Q⁻¹(α, p), the upper-tail Gamma quantile (1 − p formed in Double)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { scale / gammaUpperQuantile(concentration, probability) }

    /// α + log β + lnΓ(α) − (1 + α)ψ(α)
    @differentiable(reverse)
    public func entropy() -> Tensor {
        concentration + log(scale) + lgamma(concentration) - (1 + concentration) * digamma(concentration)
    }

    /// β/(α − 1) for α > 1, else ∞.
    public var mean: Tensor {
        let m = scale / (concentration - 1)
        return select(
            concentration.map { $0 > 1 ? 1 : 0 }.broadcasted(to: m.shape), m,
            Tensor(repeating: .infinity, shape: m.shape))
    }

    /// β²/((α − 1)²(α − 2)) for α > 2, else ∞.
    public var variance: Tensor {
        let v = square(scale) / (square(concentration - 1) * (concentration - 2))
        return select(
            concentration.map { $0 > 2 ? 1 : 0 }.broadcasted(to: v.shape), v,
            Tensor(repeating: .infinity, shape: v.shape))
    }
}
