import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import _Differentiation

/// What `checkDistributionLaws` needs to know about one family instance beyond its type.
public struct DistributionLawOptions {
    public var key = RandomKey(seed: 2024)
    public var samples = 200_000
    /// A 1-D continuous family: the interval holding all but a negligible tail of the mass, over
    /// which the density is integrated (normalization) and differentiated (the gradient law).
    public var integrationRange: ClosedRange<Double>?
    public var integrationPoints = 20_001
    /// A lattice family without `enumerateSupport`: the integers its mass is summed over.
    public var latticeRange: ClosedRange<Int>?
    /// Allowed |∫q − 1|: quadrature error plus the tail outside the range.
    public var normalizationTolerance = 1e-3
    /// `mean` and `variance` are circular (von Mises): the mean direction and 1 − |E e^{ix}|.
    public var circularMoments = false
    /// Why the gradient law does not apply, e.g. the support moves with a parameter (the
    /// derivative of the integral then has boundary terms the quadrature does not see).
    public var gradientLawSkipped: String?

    public init() {}
}

/// The outcome: which laws ran and what broke.
public struct DistributionLawReport: CustomStringConvertible {
    public var checked: [String] = []
    public var failures: [String] = []
    public var description: String {
        "checked " + checked.joined(separator: ", ")
            + (failures.isEmpty ? "" : "; FAILED: " + failures.joined(separator: "; "))
    }
}

/// The laws every family must pass, with tolerances from the standard errors of the draws:
/// - samples lie in the support (finite log-density at every draw);
/// - sample mean and variance match `mean` and `variance` within 5 standard errors (where finite);
/// - a 1-D density integrates to 1 over `integrationRange`; a lattice mass sums to 1.
public func checkSamplingLaws<D: Distribution>(_ d: D, _ options: DistributionLawOptions) -> DistributionLawReport {
    var report = DistributionLawReport()
    let n = options.samples
    let draws = d.sample(options.key, sampleShape: [n])
    let logDensity = d.logProb(draws).scalars
    report.checked.append("support")
    if let bad = logDensity.firstIndex(where: { !$0.isFinite }) {
        report.failures.append("a draw has log-density \(logDensity[bad])")
    }
    checkMoments(d, draws.scalars.map(Double.init), options, &report)
    if let support = d as? any DiscreteDistribution {
        checkMass(d, support, options, &report)
    } else if let range = options.integrationRange {
        report.checked.append("normalization")
        let (grid, weights) = quadrature(range, options.integrationPoints, shape: d.batchShape + d.eventShape)
        let total = zip(d.logProb(grid).scalars, weights).reduce(0.0) { $0 + Foundation.exp(Double($1.0)) * $1.1 }
        if !(abs(total - 1) <= options.normalizationTolerance) {
            report.failures.append("the density integrates to \(total) over \(range)")
        }
    }
    return report
}

/// The sampling laws, and for a reparameterizable 1-D family the pathwise gradient law: the
/// mean of ∇θ mean(f(rsample)) over 10 batches of draws equals ∇θ ∫ f(x) q_θ(x) dx by
/// quadrature, within 5 standard errors of the batch means (plus 10⁻³ relative). f is tanh, or
/// sin for a circular family: f must be continuous on the support, or the pathwise estimate
/// misses the jump (tanh jumps where the circle wraps from π to −π).
public func checkDistributionLaws<D: Reparameterizable>(_ d: D, _ options: DistributionLawOptions)
    -> DistributionLawReport
{
    var report = checkSamplingLaws(d, options)
    guard options.gradientLawSkipped == nil, let range = options.integrationRange, d.eventShape.isEmpty else {
        return report
    }
    report.checked.append("pathwise gradient")
    let (grid, weights) = quadrature(range, options.integrationPoints, shape: d.batchShape)
    // ∇θ ∫ f q_θ = ∫ f q_θ ∇θ log q_θ: the gradient of Σᵢ cᵢ log q_θ(xᵢ) with cᵢ = f(xᵢ) q_θ(xᵢ) wᵢ held fixed.
    let density = d.logProb(grid).scalars
    let constants = (0..<grid.count).map { i in
        let x = Double(grid.scalars[i])
        return Float(
            (options.circularMoments ? Foundation.sin(x) : Foundation.tanh(x)) * Foundation.exp(Double(density[i]))
                * weights[i])
    }
    let c = Tensor(shape: grid.shape, scalars: constants.map { $0.isFinite ? $0 : 0 })
    let exact = flattened(gradient(at: d) { weightedLogDensity($0, grid, c) })
    let batches = 10, perBatch = max(options.samples / batches, 1000)
    let estimates = (0..<batches).map { b in
        flattened(
            gradient(at: d) {
                meanF($0, options.key.fold(in: UInt64(b + 1)), perBatch, circular: options.circularMoments)
            })
    }
    for (name, expected) in exact {
        let rows: [[Float]] = estimates.map { batch in batch.first { $0.name == name }?.values ?? [] }
        for (j, value) in expected.enumerated() {
            // A parameter the draws never reached comes back as a shapeless zero.
            let column: [Double] = rows.map { row in
                if row.count == expected.count { return Double(row[j]) }
                return row.allSatisfy { $0 == 0 } ? 0 : .nan
            }
            let mean: Double = column.reduce(0, +) / Double(batches)
            let squares: Double = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let spread = (squares / Double(batches - 1)).squareRoot()
            let tolerance = 5 * spread / Double(batches).squareRoot() + 1e-3 * (abs(Double(value)) + 1e-3)
            if !(abs(mean - Double(value)) <= tolerance) {
                report.failures.append(
                    "∂/∂\(name)[\(j)]: pathwise \(mean) ± \(spread / Double(batches).squareRoot()), "
                        + "quadrature \(value)")
            }
        }
    }
    return report
}

// The differentiated functions are top-level rather than closures: a generic closure's
// derivative crashed at -Onone (its captured tensors were released too early).
@differentiable(reverse,wrt: d)
private func weightedLogDensity<D: Distribution>(_ d: D, _ grid: Tensor, _ c: Tensor) -> Float {
    (d.logProb(grid) * c).sum().sumToFloat()
}

@differentiable(reverse,wrt: d)
private func meanF<D: Reparameterizable>(_ d: D, _ key: RandomKey, _ count: Int, circular: Bool) -> Float {
    let z = d.rsample(key, sampleShape: [count])
    return (circular ? sin(z) : tanh(z)).mean().sumToFloat()
}

private func checkMoments<D: Distribution>(
    _ d: D, _ x: [Double], _ options: DistributionLawOptions,
    _ report: inout DistributionLawReport
) {
    let means = d.mean.scalars.map(Double.init), variances = d.variance.scalars.map(Double.init)
    guard !means.isEmpty, means.allSatisfy(\.isFinite), variances.allSatisfy(\.isFinite) else { return }
    report.checked.append(options.circularMoments ? "circular moments" : "moments")
    let components = means.count, n = x.count / components
    for c in 0..<components {
        let values = (0..<n).map { x[$0 * components + c] }
        if options.circularMoments {
            // E sin(x − μ) = 0 and 1 − E cos(x − μ) = the circular variance.
            let s = values.map { Foundation.sin($0 - means[c]) }, k = values.map { 1 - Foundation.cos($0 - means[c]) }
            compare(s, 0, "E sin(x − mean)", c, &report)
            compare(k, variances[c], "circular variance", c, &report)
        } else {
            compare(values, means[c], "mean", c, &report)
            let sampleMean = values.reduce(0, +) / Double(n)
            compare(values.map { ($0 - sampleMean) * ($0 - sampleMean) }, variances[c], "variance", c, &report)
        }
    }
}

/// The mean of `values` against `expected`, within 5 standard errors of that mean.
private func compare(
    _ values: [Double], _ expected: Double, _ what: String, _ component: Int,
    _ report: inout DistributionLawReport
) {
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let standardError = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) / n).squareRoot()
    if !(abs(mean - expected) <= 5 * standardError + 1e-6 * abs(expected)) {
        report.failures.append("\(what)[\(component)]: sample \(mean) ± \(standardError), family says \(expected)")
    }
}

private func checkMass<D: Distribution>(
    _ d: D, _ family: any DiscreteDistribution, _ options: DistributionLawOptions,
    _ report: inout DistributionLawReport
) {
    let values: Tensor
    if let support = family.enumerateSupport() {
        values = support
    } else if let range = options.latticeRange {
        let shape = d.batchShape + d.eventShape, count = shape.reduce(1, *)
        values = Tensor(
            shape: [range.count] + shape, scalars: range.flatMap { Array(repeating: Float($0), count: count) })
    } else {
        return
    }
    report.checked.append("normalization")
    let mass = d.logProb(values)
    let perBatch = mass.count / values.shape[0]
    for b in 0..<perBatch {
        let total = (0..<values.shape[0]).reduce(0.0) { $0 + Foundation.exp(Double(mass.scalars[$1 * perBatch + b])) }
        if !(abs(total - 1) <= options.normalizationTolerance) {
            report.failures.append("the mass of batch element \(b) sums to \(total)")
        }
    }
}

/// Trapezoid nodes over `range`, shaped [points] + shape (each node repeated over the batch), and
/// their weights (per scalar of the grid).
private func quadrature(_ range: ClosedRange<Double>, _ points: Int, shape: [Int]) -> (Tensor, [Double]) {
    let count = shape.reduce(1, *), step = (range.upperBound - range.lowerBound) / Double(points - 1)
    var nodes: [Float] = [], weights: [Double] = []
    nodes.reserveCapacity(points * count)
    for i in 0..<points {
        // The end nodes one float inside: an open support has no density at its boundary.
        let x =
            i == 0
            ? Float(range.lowerBound).nextUp
            : i == points - 1 ? Float(range.upperBound).nextDown : Float(range.lowerBound + step * Double(i))
        let w = (i == 0 || i == points - 1) ? step / 2 : step
        for _ in 0..<count {
            nodes.append(x)
            weights.append(w)
        }
    }
    return (Tensor(shape: [points] + shape, scalars: nodes), weights)
}

/// Every tensor inside a tangent vector, by its property path.
private func flattened(_ value: Any, path: String = "") -> [(name: String, values: [Float])] {
    if let tensor = value as? Tensor { return [(path.isEmpty ? "self" : path, tensor.scalars)] }
    return Mirror(reflecting: value).children.flatMap { child in
        flattened(child.value, path: path.isEmpty ? child.label ?? "?" : path + "." + (child.label ?? "?"))
    }
}
