import _Differentiation
import ReparamRandom
import ReparamTensor

/// N(loc, scale²). Pathwise: z = loc + scale·ε, ε ~ N(0, 1).
public struct Normal: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    /// Checked construction: loc finite, scale > 0, shapes that broadcast.
    public static func validated(loc: Tensor, scale: Tensor) throws -> Normal {
        let d = Normal(loc: loc, scale: scale)
        try d.validate()
        return d
    }

    public func validate() throws {
        _ = try checkShapes([("loc", loc.shape), ("scale", scale.shape)], of: "Normal")
        try check(loc, "loc", of: "Normal", .finite)
        try check(scale, "scale", of: "Normal", .positive)
    }

    /// Values must be finite.
    public func validate(value: Tensor) throws { try check(value, "value", of: "Normal", .finite) }

    public var batchShape: [Int] { joinedShape(loc.shape, scale.shape, of: "Normal") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse, wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        loc + scale * key.normal(sampleShape + withoutDerivative(at: self).batchShape)
    }

    /// −½((x−μ)/σ)² − log σ − ½ log 2π
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        -0.5 * square((value - loc) / scale) - log(scale) - halfLogTwoPi
    }

    /// ½ erfc(−(x−μ)/(σ√2))
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { 0.5 * erfc((loc - value) / (scale * 1.41421356237)) }

    /// μ + σ√2 · erf⁻¹(2p − 1)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { loc + scale * 1.41421356237 * erfinv(2 * probability - 1) }

    /// ½ + ½ log 2π + log σ
    @differentiable(reverse)
    public func entropy() -> Tensor { expand(log(scale) + (0.5 + halfLogTwoPi), to: withoutDerivative(at: self).batchShape) }

    public var mean: Tensor { expand(loc, to: withoutDerivative(at: self).batchShape) }
    public var variance: Tensor { expand(square(scale), to: withoutDerivative(at: self).batchShape) }
}
