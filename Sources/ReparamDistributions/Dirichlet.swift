import ReparamRandom
import ReparamTensor
import _Differentiation

/// Dirichlet(α) on the simplex (eventShape [K]): y = G/ΣG for Gₖ ~ Gamma(αₖ, 1), formed in log
/// space, log y = log G − logΣexp(log G), so α ≪ 1 does not collapse to a corner or to 1/K.
/// Implicitly reparameterized through the Gammas.
public struct Dirichlet: ImplicitlyReparameterizable, HasEntropy {
    public var concentration: Tensor

    @differentiable(reverse)
    public init(concentration: Tensor) { self.concentration = concentration }

    public static func validated(concentration: Tensor) throws -> Dirichlet {
        guard concentration.rank >= 1, concentration.shape.last! >= 2 else {
            throw DistributionError(
                distribution: "Dirichlet", parameter: "concentration", index: 0, value: .nan,
                requirement: "shape \(concentration.shape) needs a last axis of at least 2 categories")
        }
        try check(concentration, "concentration", of: "Dirichlet", .positive)
        return Dirichlet(concentration: concentration)
    }

    public func validate(value: Tensor) throws { try checkSimplex(value, of: "Dirichlet") }

    public var batchShape: [Int] { Array(concentration.shape.dropLast()) }
    public var eventShape: [Int] { [concentration.shape.last!] }

    /// log y, finite even where yₖ underflows.
    @differentiable(reverse,wrt: self)
    public func rsampleLog(_ key: RandomKey, sampleShape: [Int] = []) -> Tensor {
        let logG = standardGammaLogSample(concentration, key: key, sampleShape: sampleShape)
        return logG - logG.logSumExp(alongAxes: [-1], keepDims: true)
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        exp(rsampleLog(key, sampleShape: sampleShape))
    }

    /// Σ(αₖ − 1) log yₖ + lnΓ(Σα) − Σ lnΓ(αₖ)
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor { logProb(logSample: log(value)) }

    /// The density at y = exp(logSample), from log y directly.
    @differentiable(reverse)
    public func logProb(logSample: Tensor) -> Tensor {
        ((concentration - 1) * logSample).sum(alongAxes: [-1]) + lgamma(concentration.sum(alongAxes: [-1]))
            - lgamma(concentration).sum(alongAxes: [-1])
    }

    /// log B(α) + (α₀ − K)ψ(α₀) − Σ(αₖ − 1)ψ(αₖ)
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let total = concentration.sum(alongAxes: [-1])
        let k = withoutDerivative(at: Float(concentration.shape.last!))
        return lgamma(concentration).sum(alongAxes: [-1]) - lgamma(total) + (total - k) * digamma(total)
            - ((concentration - 1) * digamma(concentration)).sum(alongAxes: [-1])
    }

    public var mean: Tensor { concentration / concentration.sum(alongAxes: [-1], keepDims: true) }
    public var variance: Tensor {
        let total = concentration.sum(alongAxes: [-1], keepDims: true)
        return concentration * (total - concentration) / (square(total) * (total + 1))
    }
}
