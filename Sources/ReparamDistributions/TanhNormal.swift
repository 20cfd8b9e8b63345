import ReparamRandom
import ReparamTensor
import _Differentiation

/// y = tanh(x), x ~ N(loc, scale²): the squashed Gaussian of bounded-action policies (SAC),
/// `TransformedDistribution(Normal, Tanh)`.
///
/// log p(y) = log N(x) − log(1 − tanh² x), with the log-Jacobian from `Tanh`, which stays
/// finite where tanh x rounds to ±1. Use
/// `rsampleWithLogProb`, which keeps x, rather than `logProb(y)`, which must recover x = atanh y.
public struct TanhNormal: ExplicitlyReparameterizable {
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor) {
        self.loc = loc
        self.scale = scale
    }

    public static func validated(loc: Tensor, scale: Tensor) throws -> TanhNormal {
        try Normal.validated(loc: loc, scale: scale).validate()
        return TanhNormal(loc: loc, scale: scale)
    }

    public func validate(value: Tensor) throws {
        try check(value.map { Swift.abs($0) }, "|value|", of: "TanhNormal", .above(-1))
        if let index = value.scalars.firstIndex(where: { !($0 > -1 && $0 < 1) }) {
            throw DistributionError(
                distribution: "TanhNormal", parameter: "value", index: index, value: value.scalars[index],
                requirement: "must lie in (−1, 1)")
        }
    }

    @differentiable(reverse)
    var base: Normal { Normal(loc: loc, scale: scale) }

    public var batchShape: [Int] { base.batchShape }
    public var eventShape: [Int] { [] }

    @differentiable(reverse)
    public var transformed: TransformedDistribution<Normal, Tanh> {
        TransformedDistribution(base: base, bijector: Tanh())
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        transformed.rsample(key, sampleShape: sampleShape)
    }

    /// (y, log p(y)) from one pre-squash draw x, without inverting tanh.
    @differentiable(reverse,wrt: self)
    public func rsampleWithLogProb(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let draw = transformed.rsampleWithLogProb(key, sampleShape: sampleShape)
        let shape = [1] + withoutDerivative(at: draw.value.shape)
        return concat([draw.value.reshaped(to: shape), draw.logProb.reshaped(to: shape)], axis: 0)
    }

    /// log p(tanh x) given the pre-squash value x.
    @differentiable(reverse)
    public func logProb(preSquash x: Tensor) -> Tensor {
        transformed.logProb(preimage: x, forwardLogDet: Tanh().forwardLogDetJacobian(x))
    }

    /// log p(y) with x = atanh(y) = ½ log((1 + y)/(1 − y)).
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { transformed.logProb(value) }

    /// No closed form: NaN.
    public var mean: Tensor { Tensor(repeating: .nan, shape: batchShape) }
    public var variance: Tensor { Tensor(repeating: .nan, shape: batchShape) }
}
