import ReparamRandom
import ReparamTensor
import _Differentiation

/// Laplace(loc, scale), density e^{−|x−μ|/b}/(2b). Pathwise by the inverse CDF:
/// z = μ − b·sign(u)·log(1 − 2|u|), u uniform on (−½, ½).
public struct Laplace: LocationScaleFamily, ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public static let familyName = "Laplace"
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let noise = key.openUniform(sampleShape + withoutDerivative(at: self).batchShape).map { u -> Float in
            let centered = u - 0.5
            return centered < 0 ? log1pf(2 * centered) : -log1pf(-2 * centered)
        }
        return loc + scale * noise
    }

    /// −log 2b − |x − μ|/b
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { -log(2 * scale) - abs(value - loc) / scale }

    /// ½ + ½·sign(x−μ)·(1 − e^{−|x−μ|/b})
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        let below = 0.5 * exp(z), above = 1 - 0.5 * exp(-z)
        return select(withoutDerivative(at: z.map { $0 < 0 ? 1 : 0 }), below, above)
    }

    /// F(2μ − x), the lower tail's form mirrored
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { cdf(2 * loc - value) }

    /// log ½ + z below loc, log(1 − ½e^{−z}) above
    @differentiable(reverse)
    public func logCDF(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        let below = withoutDerivative(at: z.map { $0 < 0 ? 1 : 0 })
        // Each path reads 0 where the other is taken, so neither exponential overflows.
        let zBelow = select(below, z, withoutDerivative(at: Tensor.zeros(z.shape)))
        let zAbove = select(below, withoutDerivative(at: Tensor.zeros(z.shape)), z)
        return select(below, zBelow - 0.6931471805599453, log1p(-0.5 * exp(-zAbove)))
    }

    /// log F(2μ − x)
    @differentiable(reverse)
    public func logSurvival(_ value: Tensor) -> Tensor { logCDF(2 * loc - value) }

    /// μ − b·sign(p−½)·log(1 − 2|p−½|): μ + b·log 2p below ½ and μ − b·log 2(1 − p) above, so
    /// that p's own digits (not those of p − ½) reach the logarithm in both tails.
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let lower = withoutDerivative(at: lowerHalf(probability))
        let tail = log(2 * smallerTail(probability))
        let below = loc + scale * tail, above = loc - scale * tail
        let shape = withoutDerivative(at: below.shape)
        return select(withoutDerivative(at: lower.broadcasted(to: shape)), below, above)
    }

    /// 1 + log 2b
    @differentiable(reverse)
    public func entropy() -> Tensor { expand(1 + log(2 * scale), to: withoutDerivative(at: self).batchShape) }

    public var mean: Tensor { expand(loc, to: withoutDerivative(at: self).batchShape) }
    public var variance: Tensor { expand(2 * square(scale), to: withoutDerivative(at: self).batchShape) }
}

#if canImport(Glibc)
    import Glibc
#endif
