import ReparamRandom
import ReparamTensor
import _Differentiation

/// χ²(k) = Gamma(k/2, rate ½).
public struct Chi2: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var degreesOfFreedom: Tensor

    @differentiable(reverse)
    public init(degreesOfFreedom: Tensor) { self.degreesOfFreedom = degreesOfFreedom }

    public static func validated(degreesOfFreedom: Tensor) throws -> Chi2 {
        let d = Chi2(degreesOfFreedom: degreesOfFreedom)
        try check(degreesOfFreedom, "degreesOfFreedom", of: "Chi2", .positive)
        return d
    }

    @differentiable(reverse)
    var gamma: Gamma { Gamma(concentration: degreesOfFreedom / 2, rate: withoutDerivative(at: Tensor(0.5))) }

    public var batchShape: [Int] { degreesOfFreedom.shape }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor { gamma.rsample(key, sampleShape: sampleShape) }
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { gamma.logProb(value) }
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { gamma.cdf(value) }
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { gamma.survival(value) }
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { gamma.icdf(probability) }
    @differentiable(reverse)
    public func entropy() -> Tensor { gamma.entropy() }
    public var mean: Tensor { gamma.mean }
    public var variance: Tensor { gamma.variance }
}
