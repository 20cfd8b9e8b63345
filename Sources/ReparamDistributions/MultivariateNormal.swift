import ReparamRandom
import ReparamTensor
import _Differentiation

/// N(loc, L·Lᵀ) over vectors (eventShape [D]) with a lower-triangular Cholesky factor
/// `scaleTril` [D, D] (positive diagonal). Pathwise: z = loc + L·ε.
public struct MultivariateNormal: ExplicitlyReparameterizable, HasEntropy {
    public var loc: Tensor
    public var scaleTril: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scaleTril: Tensor) {
        self.loc = loc
        self.scaleTril = scaleTril
    }

    /// A diagonal covariance: L = diag(scale) (differentiable in `scale`).
    @differentiable(reverse)
    public static func diagonal(loc: Tensor, scale: Tensor) -> MultivariateNormal {
        let d = withoutDerivative(at: scale.shape.last!)
        let identity = withoutDerivative(at: Tensor.oneHot(Array(0..<d), depth: d))
        return MultivariateNormal(loc: loc, scaleTril: identity * scale)
    }

    /// From a covariance matrix Σ [D, D] (symmetric positive definite): L = cholesky(Σ),
    /// differentiable in Σ.
    @differentiable(reverse)
    public static func covariance(loc: Tensor, _ covariance: Tensor) -> MultivariateNormal {
        MultivariateNormal(loc: loc, scaleTril: cholesky(covariance))
    }

    /// Σ = W·Wᵀ + diag(d) for a factor W [D, r] and d [D] > 0 (a low-rank-plus-diagonal
    /// covariance), through its Cholesky factor: O(D³) once per construction.
    @differentiable(reverse)
    public static func lowRankPlusDiagonal(loc: Tensor, factor: Tensor, diagonal: Tensor) -> MultivariateNormal {
        let d = withoutDerivative(at: diagonal.shape.last!)
        let identity = withoutDerivative(at: Tensor.oneHot(Array(0..<d), depth: d))
        return covariance(loc: loc, matmul(factor, factor, transposeB: true) + identity * diagonal)
    }

    /// Checked construction from a covariance: square [D, D] matching loc, finite, symmetric
    /// (to 1e-5 relative) and positive definite (the failing pivot is named).
    public static func validated(loc: Tensor, covariance: Tensor) throws -> MultivariateNormal {
        let d = loc.shape.last ?? 0
        guard covariance.shape == [d, d], d > 0 else {
            throw DistributionError(
                distribution: "MultivariateNormal", parameter: "covariance", index: 0, value: .nan,
                requirement: "shape \(covariance.shape) must be [\(d), \(d)] for loc \(loc.shape)")
        }
        try check(loc, "loc", of: "MultivariateNormal", .finite)
        try check(covariance, "covariance", of: "MultivariateNormal", .finite)
        for i in 0..<d {
            for j in 0..<i {
                let (upper, lower) = (covariance.scalars[j * d + i], covariance.scalars[i * d + j])
                if Swift.abs(upper - lower) > 1e-5 * Swift.max(1, Swift.abs(lower)) {
                    throw DistributionError(
                        distribution: "MultivariateNormal", parameter: "covariance", index: j * d + i, value: upper,
                        requirement: "must be symmetric: element [\(j)][\(i)] differs from [\(i)][\(j)] = \(lower)")
                }
            }
        }
        if case .failure(let failure) = choleskyFactor(covariance) {
            throw DistributionError(
                distribution: "MultivariateNormal", parameter: "covariance (Cholesky pivot)", index: failure.pivot,
                value: Float(failure.value), requirement: "must be positive definite")
        }
        return MultivariateNormal.covariance(loc: loc, covariance)
    }

    public static func validated(loc: Tensor, scaleTril: Tensor) throws -> MultivariateNormal {
        let d = loc.shape.last ?? 0
        guard scaleTril.shape == [d, d], d > 0 else {
            throw DistributionError(
                distribution: "MultivariateNormal", parameter: "scaleTril", index: 0, value: .nan,
                requirement: "shape \(scaleTril.shape) must be [\(d), \(d)] for loc \(loc.shape)")
        }
        try check(loc, "loc", of: "MultivariateNormal", .finite)
        try check(scaleTril, "scaleTril", of: "MultivariateNormal", .finite)
        for i in 0..<d where !(scaleTril.scalars[i * d + i] > 0) {
            throw DistributionError(
                distribution: "MultivariateNormal", parameter: "scaleTril diagonal", index: i,
                value: scaleTril.scalars[i * d + i], requirement: "must be positive")
        }
        return MultivariateNormal(loc: loc, scaleTril: scaleTril)
    }

    public var dimension: Int { scaleTril.shape[0] }
    public var batchShape: [Int] { Array(loc.shape.dropLast()) }
    public var eventShape: [Int] { [dimension] }

    /// The lower triangle of `scaleTril` (entries above the diagonal do not count).
    @differentiable(reverse)
    var lower: Tensor {
        let d = withoutDerivative(at: scaleTril.shape[0])
        let mask = withoutDerivative(
            at: Tensor(shape: [d, d], scalars: (0..<(d * d)).map { $0 % d <= $0 / d ? 1 : 0 }))
        return scaleTril * mask
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let d = withoutDerivative(at: dimension)
        let shape = withoutDerivative(at: sampleShape + loc.shape)
        let epsilon = key.normal([shape.reduce(1, *) / d, d])
        return loc + matmul(epsilon, lower, transposeB: true).reshaped(to: shape)
    }

    /// −½‖L⁻¹(x − μ)‖² − Σ log Lᵢᵢ − (D/2) log 2π
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let d = withoutDerivative(at: dimension)
        let difference = value - loc
        let outer = withoutDerivative(at: Array(difference.shape.dropLast()))
        let columns = difference.reshaped(to: [-1, d]).transposed()
        let whitened = solveLowerTriangular(lower, columns)
        let mahalanobis = square(whitened).sum(alongAxes: [0]).reshaped(to: outer)
        return -0.5 * mahalanobis - halfLogDeterminant - withoutDerivative(at: Float(d) * halfLogTwoPi)
    }

    /// Σ log Lᵢᵢ = ½ log det(L·Lᵀ)
    @differentiable(reverse)
    var halfLogDeterminant: Tensor {
        let d = withoutDerivative(at: dimension)
        let identity = withoutDerivative(at: Tensor.oneHot(Array(0..<d), depth: d))
        return log((scaleTril * identity).sum(alongAxes: [1])).sum()
    }

    /// (D/2)(1 + log 2π) + Σ log Lᵢᵢ
    @differentiable(reverse)
    public func entropy() -> Tensor {
        expand(
            halfLogDeterminant + withoutDerivative(at: Float(dimension) * (0.5 + halfLogTwoPi)),
            to: withoutDerivative(at: self).batchShape)
    }

    public var mean: Tensor { loc }
    /// diag(L·Lᵀ), broadcast over the batch.
    public var variance: Tensor { (square(lower).sum(alongAxes: [1]) + Tensor.zeros(loc.shape)) }
}

/// ½[‖Lq⁻¹Lp‖²_F + ‖Lq⁻¹(μq − μp)‖² − D] + Σ log(Lq)ᵢᵢ − Σ log(Lp)ᵢᵢ
@differentiable(reverse)
public func klDivergence(_ p: MultivariateNormal, _ q: MultivariateNormal) -> Tensor {
    let d = withoutDerivative(at: p.dimension)
    let trace = square(solveLowerTriangular(q.lower, p.lower)).sum()
    let difference = (q.loc - p.loc).reshaped(to: [-1, d]).transposed()
    let outer = withoutDerivative(
        at: Array(expand(q.loc - p.loc, to: withoutDerivative(at: (q.loc - p.loc).shape)).shape.dropLast()))
    let mahalanobis = square(solveLowerTriangular(q.lower, difference)).sum(alongAxes: [0]).reshaped(to: outer)
    return 0.5 * (trace + mahalanobis - withoutDerivative(at: Float(d))) + q.halfLogDeterminant - p.halfLogDeterminant
}
