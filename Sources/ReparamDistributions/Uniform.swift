import ReparamRandom
import ReparamTensor
import _Differentiation

/// Uniform(low, high). Pathwise: z = low + (high − low)·u, u ~ U[0, 1).
public struct Uniform: ExplicitlyReparameterizable, HasEntropy, HasCDF {
    public var low: Tensor
    public var high: Tensor

    @differentiable(reverse)
    public init(low: Tensor, high: Tensor) {
        self.low = low
        self.high = high
    }

    public static func validated(low: Tensor, high: Tensor) throws -> Uniform {
        let d = Uniform(low: low, high: high)
        try d.validate()
        return d
    }

    public func validate() throws {
        let shape = try checkShapes([("low", low.shape), ("high", high.shape)], of: "Uniform")
        try check(low, "low", of: "Uniform", .finite)
        try check(high, "high", of: "Uniform", .finite)
        try check((high.broadcasted(to: shape) - low.broadcasted(to: shape)), "high − low", of: "Uniform", .positive)
    }

    public func validate(value: Tensor) throws {
        let shape = batchShape
        guard let joined = Tensor.broadcastShape(value.shape, shape) else {
            throw DistributionError(
                distribution: "Uniform", parameter: "value", index: 0, value: .nan,
                requirement: "shape \(value.shape) does not broadcast with \(shape)")
        }
        let v = value.broadcasted(to: joined)
        let lo = low.broadcasted(to: joined), hi = high.broadcasted(to: joined)
        try check(
            Tensor(shape: joined, scalars: (0..<v.count).map { v.scalars[$0] - lo.scalars[$0] }), "value − low",
            of: "Uniform", .nonNegative)
        try check(
            Tensor(shape: joined, scalars: (0..<v.count).map { hi.scalars[$0] - v.scalars[$0] }), "high − value",
            of: "Uniform", .positive)
    }

    public var batchShape: [Int] { joinedShape(low.shape, high.shape, of: "Uniform") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        low + (high - low) * key.uniform(sampleShape + withoutDerivative(at: self).batchShape)
    }

    /// −log(high − low) on [low, high), −∞ elsewhere.
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let inside = withoutDerivative(at: insideMask(value))
        let density = expand(-log(high - low), to: withoutDerivative(at: inside.shape))
        return select(inside, density, withoutDerivative(at: Tensor(repeating: -.infinity, shape: inside.shape)))
    }

    func insideMask(_ value: Tensor) -> Tensor {
        let shape = joinedShape(value.shape, batchShape, of: "Uniform")
        let v = value.broadcasted(to: shape), lo = low.broadcasted(to: shape), hi = high.broadcasted(to: shape)
        return Tensor(
            shape: shape,
            scalars: (0..<v.count).map { v.scalars[$0] >= lo.scalars[$0] && v.scalars[$0] < hi.scalars[$0] ? 1 : 0 })
    }

    /// clamp((x − low)/(high − low), 0, 1)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { clamp((value - low) / (high - low), min: 0, max: 1) }

    /// (high − x)/(high − low), clamped to [0, 1]
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { clamp((high - value) / (high - low), min: 0, max: 1) }

    /// low + p·(high − low)
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor { low + probability * (high - low) }

    /// log(high − low)
    @differentiable(reverse)
    public func entropy() -> Tensor { log(high - low) }

    public var mean: Tensor { (low + high) / 2 }
    public var variance: Tensor { square(high - low) / 12 }
}
