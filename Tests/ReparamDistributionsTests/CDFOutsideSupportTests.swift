import _Differentiation
import ReparamDistributions
import ReparamTensor
import Testing

/// One law every continuous family with a bounded support must obey, checked generically: below
/// the support the CDF is exactly 0 and above it exactly 1 (never NaN), and strictly outside it
/// the gradient with respect to the value is exactly 0 (never NaN). At an edge itself only the
/// value is checked: the one-sided derivative there is the density's limit from inside.
@Suite struct CDFOutsideSupportTests {
    func check<D: HasCDF>(_ name: String, _ family: D, below: [Float], lowerEdge: Float? = nil, above: [Float] = [],
                          upperEdge: Float? = nil) {
        for (points, edge, expected) in [(below, lowerEdge, Float(0)), (above, upperEdge, Float(1))] {
            let all = points + (edge.map { [$0] } ?? [])
            guard !all.isEmpty else { continue }
            let (value, pullback) = valueWithPullback(at: Tensor(all)) { family.cdf($0) }
            #expect(value.scalars == [Float](repeating: expected, count: all.count),
                    "\(name).cdf(\(all)) = \(value.scalars), not \(expected)")
            let gradient = pullback(Tensor(repeating: 1, shape: value.shape)).scalars.prefix(points.count)
            #expect(Array(gradient) == [Float](repeating: 0, count: points.count),
                    "\(name): ∂cdf/∂x at \(points) = \(Array(gradient)), not 0")
        }
    }

    @Test func lowerBoundedFamilies() {
        let below: [Float] = [-3, -1e-30, -0.0]
        check("LogNormal", LogNormal(loc: Tensor(0.3), scale: Tensor(1.2)), below: below, lowerEdge: 0)
        check("InverseGamma", InverseGamma(concentration: Tensor(2), scale: Tensor(1.5)), below: below, lowerEdge: 0)
        check("Gamma", Gamma(concentration: Tensor(2.5), rate: Tensor(1.5)), below: below, lowerEdge: 0)
        check("Exponential", Exponential(rate: Tensor(0.7)), below: below, lowerEdge: 0)
        check("Chi2", Chi2(degreesOfFreedom: Tensor(3)), below: below, lowerEdge: 0)
        check("HalfNormal", HalfNormal(scale: Tensor(2)), below: below, lowerEdge: 0)
        check("HalfCauchy", HalfCauchy(scale: Tensor(2)), below: below, lowerEdge: 0)
        check("Weibull", Weibull(scale: Tensor(1.5), concentration: Tensor(2)), below: below, lowerEdge: 0)
        check("Pareto", Pareto(scale: Tensor(2), alpha: Tensor(3)), below: [-1, 0, 1, 1.999], lowerEdge: 2)
    }

    @Test func intervalFamilies() {
        check("Beta", Beta(alpha: Tensor(2), beta: Tensor(3)), below: [-1, -0.0], lowerEdge: 0, above: [1.5, 40],
              upperEdge: 1)
        check("Uniform", Uniform(low: Tensor(-1), high: Tensor(2)), below: [-5, -1.5], lowerEdge: -1, above: [2.5, 7],
              upperEdge: 2)
    }
}
