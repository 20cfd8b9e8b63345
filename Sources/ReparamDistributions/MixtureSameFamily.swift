import ReparamRandom
import ReparamTensor
import _Differentiation

/// A mixture of K 1-D components of one family: weights softmax(mixtureLogits) [batch…, K],
/// components with batchShape [batch…, K]. Reparameterized implicitly through the mixture
/// CDF, so the gradient reaches the mixture logits as well as the component parameters.
public struct MixtureSameFamily<Component: HasCDF>: ImplicitlyReparameterizable {
    public var mixtureLogits: Tensor
    public var components: Component

    @differentiable(reverse)
    public init(mixtureLogits: Tensor, components: Component) {
        self.mixtureLogits = mixtureLogits
        self.components = components
    }

    public static func validated(mixtureLogits: Tensor, components: Component) throws -> MixtureSameFamily {
        guard components.eventShape.isEmpty, components.batchShape.last == mixtureLogits.shape.last else {
            throw DistributionError(
                distribution: "MixtureSameFamily", parameter: "components", index: 0, value: .nan,
                requirement:
                    "1-D components with batch \(components.batchShape) must end in the \(mixtureLogits.shape.last ?? 0) mixture weights"
            )
        }
        _ = try Categorical.validated(logits: mixtureLogits)
        return MixtureSameFamily(mixtureLogits: mixtureLogits, components: components)
    }

    public var batchShape: [Int] {
        joinedShape(
            Array(mixtureLogits.shape.dropLast()), Array(components.batchShape.dropLast()), of: "MixtureSameFamily")
    }
    public var eventShape: [Int] { [] }

    /// A component index from the mixture weights, then that component's draw.
    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let keys = key.split(2)
        let batch = batchShape, componentBatch = Array(components.batchShape.dropLast())
        let chosen = Categorical(logits: mixtureLogits).sample(keys[0], sampleShape: sampleShape).broadcasted(
            to: sampleShape + batch)
        // Components shared across leading batch dimensions draw once per batch element, never
        // one draw broadcast (which would correlate the elements).
        precondition(
            batch.suffix(componentBatch.count).elementsEqual(componentBatch),
            "MixtureSameFamily: component batch \(componentBatch) must be a suffix of the batch \(batch)")
        let extra = Array(batch.prefix(batch.count - componentBatch.count))
        let all = components.sample(keys[1], sampleShape: sampleShape + extra)
        return all.gather(lastAxisIndices: chosen.scalars.map { Int($0) })
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let z = withoutDerivative(at: sample(key, sampleShape: sampleShape))
        let density = withoutDerivative(at: exp(logProb(z)))
        return implicitlyReparameterized(z, cdfAtSample: cdf(z), density: density)
    }

    /// logΣₖ exp(log wₖ + log pₖ(x))
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let perComponent = components.logProb(value.reshaped(to: withoutDerivative(at: value.shape) + [1]))
        return (logSoftmax(mixtureLogits) + perComponent).logSumExp(alongAxes: [-1])
    }

    /// Σₖ wₖ Fₖ(x)
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        (softmax(mixtureLogits) * components.cdf(value.reshaped(to: withoutDerivative(at: value.shape) + [1]))).sum(
            alongAxes: [-1])
    }

    public var mean: Tensor { (softmax(mixtureLogits) * components.mean).sum(alongAxes: [-1]) }
    /// Law of total variance: Σ w(σₖ² + μₖ²) − (Σ w μₖ)².
    public var variance: Tensor {
        let w = softmax(mixtureLogits), m = components.mean
        return (w * (components.variance + square(m))).sum(alongAxes: [-1]) - square((w * m).sum(alongAxes: [-1]))
    }
}
