import Foundation
import ReparamDistributions
import ReparamTensor
import Testing
import _Differentiation

/// Distributions at the edges of their support.
///
/// One law every continuous family with a bounded support must obey, checked generically: below
/// the support the CDF is exactly 0 and above it exactly 1 (never NaN), and strictly outside it
/// the gradient with respect to the value is exactly 0 (never NaN). At an edge itself only the
/// value is checked: the one-sided derivative there is the density's limit from inside.
@Suite struct SupportEdgeTests {
    // Takes the CDF as a closure of the concrete family: differentiating `family.cdf` inside a
    // function generic over the family made the compiler emit a shared pullback thunk whose
    // mangled name collided with another test target's (a crash in an unrelated suite).
    func check(
        _ name: String, _ cdf: @escaping @differentiable(reverse) (Tensor) -> Tensor, below: [Float],
        lowerEdge: Float? = nil, above: [Float] = [], upperEdge: Float? = nil
    ) {
        for (points, edge, expected) in [(below, lowerEdge, Float(0)), (above, upperEdge, Float(1))] {
            let all = points + (edge.map { [$0] } ?? [])
            guard !all.isEmpty else { continue }
            let (value, pullback) = valueWithPullback(at: Tensor(all), of: cdf)
            #expect(
                value.scalars == [Float](repeating: expected, count: all.count),
                "\(name).cdf(\(all)) = \(value.scalars), not \(expected)")
            let gradient = pullback(Tensor(repeating: 1, shape: value.shape)).scalars.prefix(points.count)
            #expect(
                Array(gradient) == [Float](repeating: 0, count: points.count),
                "\(name): ∂cdf/∂x at \(points) = \(Array(gradient)), not 0")
        }
    }

    @Test func lowerBoundedFamilies() {
        let below: [Float] = [-3, -1e-30, -0.0]
        check("LogNormal", { LogNormal(loc: Tensor(0.3), scale: Tensor(1.2)).cdf($0) }, below: below, lowerEdge: 0)
        check(
            "InverseGamma", { InverseGamma(concentration: Tensor(2), scale: Tensor(1.5)).cdf($0) }, below: below,
            lowerEdge: 0)
        check("Gamma", { Gamma(concentration: Tensor(2.5), rate: Tensor(1.5)).cdf($0) }, below: below, lowerEdge: 0)
        check("Exponential", { Exponential(rate: Tensor(0.7)).cdf($0) }, below: below, lowerEdge: 0)
        check("Chi2", { Chi2(degreesOfFreedom: Tensor(3)).cdf($0) }, below: below, lowerEdge: 0)
        check("HalfNormal", { HalfNormal(scale: Tensor(2)).cdf($0) }, below: below, lowerEdge: 0)
        check("HalfCauchy", { HalfCauchy(scale: Tensor(2)).cdf($0) }, below: below, lowerEdge: 0)
        check("Weibull", { Weibull(scale: Tensor(1.5), concentration: Tensor(2)).cdf($0) }, below: below, lowerEdge: 0)
        check("Pareto", { Pareto(scale: Tensor(2), alpha: Tensor(3)).cdf($0) }, below: [-1, 0, 1, 1.999], lowerEdge: 2)
    }

    @Test func intervalFamilies() {
        check(
            "Beta", { Beta(alpha: Tensor(2), beta: Tensor(3)).cdf($0) }, below: [-1, -0.0], lowerEdge: 0,
            above: [1.5, 40], upperEdge: 1)
        check(
            "Uniform", { Uniform(low: Tensor(-1), high: Tensor(2)).cdf($0) }, below: [-5, -1.5], lowerEdge: -1,
            above: [2.5, 7], upperEdge: 2)
    }

    /// At x = 0 a Gamma density is its limit from inside, as scipy's: β for α = 1 (log β; the
    /// formula reads 0·log 0 there), +∞ for α < 1, 0 for α > 1; Chi2(2) is Gamma(1, ½).
    @Test func gammaDensityAtZeroIsItsLimitFromInside() {
        let zero = Tensor([0, 0, 0])
        let gamma = Gamma(concentration: Tensor([1, 0.5, 2]), rate: Tensor([2.5, 2.5, 2.5]))
        #expect(gamma.logProb(zero).scalars == [Float(Foundation.log(2.5)), .infinity, -.infinity])
        #expect(Chi2(degreesOfFreedom: Tensor(2)).logProb(Tensor(0)).scalars == [Float(Foundation.log(0.5))])
        // ∂/∂x at 0 for α = 1 is the limit of (α − 1)/x − β: −β.
        let exponential = Gamma(concentration: Tensor(1), rate: Tensor(2.5))
        let (_, pullback) = valueWithPullback(at: Tensor(0)) { exponential.logProb($0) }
        #expect(pullback(Tensor(1)).scalars == [-2.5])
        #expect(gamma.logProb(Tensor([-1, -1, -1])).scalars == [-.infinity, -.infinity, -.infinity])
    }

    /// The same convention for Weibull, whose Float formula read 0·(−∞) = NaN at x = 0 for k = 1:
    /// 1/λ for k = 1, +∞ for k < 1, 0 for k > 1; ∂/∂x at 0 for k = 1 is the limit −1/λ.
    @Test func weibullDensityAtZeroIsItsLimitFromInside() {
        let weibull = Weibull(scale: Tensor([2, 2, 2]), concentration: Tensor([1, 0.5, 2]))
        #expect(weibull.logProb(Tensor([0, 0, 0])).scalars == [Float(-Foundation.log(2.0)), .infinity, -.infinity])
        let exponential = Weibull(scale: Tensor(2), concentration: Tensor(1))
        let (_, pullback) = valueWithPullback(at: Tensor(0)) { exponential.logProb($0) }
        #expect(pullback(Tensor(1)).scalars == [-0.5])
        #expect(weibull.logProb(Tensor([-1, -1, -1])).scalars == [-.infinity, -.infinity, -.infinity])
    }

    /// The hand-written partials of the Double Weibull density against central differences (h = 10⁻³;
    /// the density is rounded to Float once, so the difference is good to ~10⁻⁴ of its size).
    @Test func weibullDensityPartialsMatchCentralDifferences() {
        for (k, lambda, x): (Float, Float, Float) in [(0.7, 1.3, 0.4), (1, 2, 3), (2.5, 0.8, 1.1), (5, 1, 0.9)] {
            func logP(_ k: Float, _ lambda: Float, _ x: Float) -> Float {
                Weibull(scale: Tensor(lambda), concentration: Tensor(k)).logProb(Tensor(x)).scalarValue
            }
            let (_, pullback) = valueWithPullback(at: Tensor(k), Tensor(lambda), Tensor(x)) { k, lambda, x in
                Weibull(scale: lambda, concentration: k).logProb(x)
            }
            let (dk, dLambda, dx) = pullback(Tensor(1))
            let h: Float = 1e-3
            let fd = [
                (logP(k + h, lambda, x) - logP(k - h, lambda, x)) / (2 * h),
                (logP(k, lambda + h, x) - logP(k, lambda - h, x)) / (2 * h),
                (logP(k, lambda, x + h) - logP(k, lambda, x - h)) / (2 * h),
            ]
            for (name, got, expected) in zip3(["k", "λ", "x"], [dk, dLambda, dx].map(\.scalarValue), fd) {
                #expect(
                    Swift.abs(got - expected) <= 2e-3 * Swift.max(1, Swift.abs(expected)),
                    "∂/∂\(name) at k=\(k), λ=\(lambda), x=\(x): \(got) vs \(expected)")
            }
        }
    }
}

private func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    zip(a, zip(b, c)).map { ($0, $1.0, $1.1) }
}
