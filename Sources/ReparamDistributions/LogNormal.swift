import ReparamRandom
import ReparamTensor
import _Differentiation

/// LogNormal(loc μ, scale σ): log z ~ N(μ, σ²). Pathwise: z = exp(μ + σε). Sampling and the
/// density go through `TransformedDistribution(Normal, Exp)`.
public struct LogNormal: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    public static func validated(loc: Tensor, scale: Tensor) throws -> LogNormal {
        let d = LogNormal(loc: loc, scale: scale)
        try d.validate()
        return d
    }

    public func validate() throws { try base.validate() }
    public func validate(value: Tensor) throws { try check(value, "value", of: "LogNormal", .positive) }

    @differentiable(reverse)
    var base: Normal { Normal(loc: loc, scale: scale) }

    public var batchShape: [Int] { base.batchShape }
    public var eventShape: [Int] { [] }

    @differentiable(reverse)
    public var transformed: TransformedDistribution<Normal, Exp> {
        TransformedDistribution(base: base, bijector: Exp())
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        transformed.rsample(key, sampleShape: sampleShape)
    }

    /// log N(log x; μ, σ²) − log x on x > 0
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        restricted(transformed.logProb(value), to: withoutDerivative(at: value)) { $0 > 0 }
    }

    /// Φ((log x − μ)/σ)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let positive: (Float) -> Bool = { $0 > 0 }  // 0 at and below 0, with a zero gradient there
        let inside = movedInside(value, to: 1, positive)
        return zeroOutside(base.cdf(log(inside)), to: withoutDerivative(at: value), positive)
    }

    /// The normal's upper tail at log x; 1 at and below 0.
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { exp(logSurvival(value)) }

    /// log Φ((log x − μ)/σ); −∞ at and below 0.
    @differentiable(reverse)
    public func logCDF(_ value: Tensor) -> Tensor {
        let positive: (Float) -> Bool = { $0 > 0 }
        let mask = withoutDerivative(at: value.map { positive($0) ? 1 : 0 })
        let inside = base.logCDF(log(movedInside(value, to: 1, positive)))
        let minusInfinity = withoutDerivative(at: Tensor(repeating: -.infinity, shape: inside.shape))
        return select(expand(mask, to: inside.shape), inside, minusInfinity)
    }

    /// log Φ(−(log x − μ)/σ); 0 at and below 0.
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor {
        let positive: (Float) -> Bool = { $0 > 0 }
        let mask = withoutDerivative(at: value.map { positive($0) ? 1 : 0 })
        let inside = base.logSurvival(log(movedInside(value, to: 1, positive)))
        return select(expand(mask, to: inside.shape), inside, withoutDerivative(at: Tensor.zeros(inside.shape)))
    }

    /// exp(μ + σ√2·erf⁻¹(2p − 1))
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { exp(base.icdf(probability)) }

    /// μ + ½ + ½ log 2π + log σ
    @differentiable(reverse)
    public func entropy() -> Tensor { base.entropy() + loc }

    public var mean: Tensor { exp(loc + square(scale) / 2) }
    public var variance: Tensor { expm1(square(scale)) * exp(2 * loc + square(scale)) }
}
