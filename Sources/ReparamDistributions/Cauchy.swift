import ReparamRandom
import ReparamTensor
import _Differentiation

/// Cauchy(loc μ, scale s), density 1/(πs(1 + z²)). Pathwise by the inverse CDF:
/// z = μ + s·tan(π(u − ½)). Mean and variance do not exist (NaN).
public struct Cauchy: LocationScaleFamily, ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public static let familyName = "Cauchy"
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let u = key.openUniform(sampleShape + withoutDerivative(at: self).batchShape)
        return loc + scale * tan(Float.pi * (u - 0.5))
    }

    /// −log π − log s − log(1 + z²)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        -log1p(square((value - loc) / scale)) - log(scale) - 1.1447298858494002
    }

    /// ½ + atan(z)/π, and atan(−1/z)/π below loc, where the sum would cancel to nothing (at
    /// z = −10⁶ the CDF is 3e-7 and ½ + atan(z)/π kept one digit of it).
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        let below = withoutDerivative(at: z.map { $0 < 0 ? 1 : 0 })
        // Elements above loc read z = −1 in the left-tail form: no division by 0 on either path.
        let left = atan(-1 / select(below, z, withoutDerivative(at: Tensor(repeating: -1, shape: z.shape)))) / Float.pi
        return select(below, left, 0.5 + atan(z) / Float.pi)
    }

    /// F(2μ − x): the lower tail's precise form mirrored
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { cdf(2 * loc - value) }

    /// μ + s·tan(π(p − ½)), computed as ∓1/tan(πq) with q = min(p, 1 − p): p − ½ loses p's digits
    /// near 0 (6% of the quantile at p = 10⁻⁶), 1 − p is exact for p ≥ ½.
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let lower = withoutDerivative(at: lowerHalf(probability))
        let q = smallerTail(probability)
        return loc + scale * withoutDerivative(at: lower.map { $0 == 1 ? -1 : 1 }) / tan(Float.pi * q)
    }

    /// log 4πs
    @differentiable(reverse)
    public func entropy() -> Tensor {
        expand(log(scale) + 2.5310242469692907, to: withoutDerivative(at: self).batchShape)
    }

    public var mean: Tensor { Tensor(repeating: .nan, shape: batchShape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: batchShape) }
}
