import ReparamDistributions
import ReparamTensor
import Testing
import _Differentiation

/// The truncated normal's log density, CDF, quantile and entropy are Double primitives with
/// hand-written partials (its mass Z is 1e-89 to 1e-300 at 20-37σ); every partial against central
/// differences, near loc and far in both tails.
@Suite struct TruncatedNormalTailTests {
    static let intervals: [(loc: Float, scale: Float, low: Float, high: Float)] = [
        (0, 1, -1, 2), (1, 0.5, 1.5, 4), (0, 1, 20, 22), (0, 1, -31, -29.5), (2, 0.5, 12, 13), (0, 1, 35, 36),
    ]

    @Test(arguments: 0..<intervals.count)
    func partialsMatchCentralDifferences(_ index: Int) {
        let parameters:
            [(String, WritableKeyPath<TruncatedNormal, Tensor>, KeyPath<TruncatedNormal.TangentVector, Tensor>)] = [
                ("loc", \.loc, \.loc), ("scale", \.scale, \.scale), ("low", \.low, \.low), ("high", \.high, \.high),
            ]
        let i = Self.intervals[index]
        let d = TruncatedNormal(loc: Tensor(i.loc), scale: Tensor(i.scale), low: Tensor(i.low), high: Tensor(i.high))
        // A power-of-two step: bounds ± h stay exact in Float, so the difference quotient sees h.
        let h: Float = 1.0 / 1024
        let x = i.low + (i.high - i.low) * 0.3
        let functions: [(String, @differentiable(reverse) (TruncatedNormal) -> Tensor)] = [
            ("logProb", { $0.logProb(Tensor(x)) }), ("cdf", { $0.cdf(Tensor(x)) }),
            ("icdf", { $0.icdf(Tensor(0.3)) }), ("entropy", { $0.entropy() }),
        ]
        for (name, f) in functions {
            let analytic = gradient(at: d) { f($0).sum().item }
            for (parameter, value, tangent) in parameters {
                var up = d, down = d
                up[keyPath: value] = d[keyPath: value] + h
                down[keyPath: value] = d[keyPath: value] - h
                let numeric = (f(up).scalarValue - f(down).scalarValue) / (2 * h)
                let got = analytic[keyPath: tangent].isShapelessZero ? 0 : analytic[keyPath: tangent].scalarValue
                #expect(
                    Swift.abs(got - numeric) <= 3e-3 * Swift.max(1, Swift.abs(numeric)),
                    "\(name) ∂\(parameter) on [\(i.low), \(i.high)], μ \(i.loc), σ \(i.scale): \(got) vs \(numeric)")
            }
        }
        // The argument's partials: ∂logProb/∂x, ∂cdf/∂x (the density) and ∂icdf/∂p (its inverse).
        let arguments: [(String, Float, @differentiable(reverse) (Tensor) -> Tensor)] = [
            ("logProb ∂x", x, { d.logProb($0) }), ("cdf ∂x", x, { d.cdf($0) }), ("icdf ∂p", 0.3, { d.icdf($0) }),
        ]
        for (name, at, f) in arguments {
            let got = gradient(at: Tensor(at)) { f($0).sum().item }.scalarValue
            let numeric = (f(Tensor(at + h)).scalarValue - f(Tensor(at - h)).scalarValue) / (2 * h)
            #expect(
                Swift.abs(got - numeric) <= 3e-3 * Swift.max(1, Swift.abs(numeric)),
                "\(name) on [\(i.low), \(i.high)]: \(got) vs \(numeric)")
        }
    }

    /// An infinite bound: finite entropy and CDF, and log density, CDF and quantile that agree.
    @Test func oneSidedIntervalsFarOut() {
        for (low, high): (Float, Float) in [(25, .infinity), (-.infinity, -30)] {
            let d = TruncatedNormal(loc: Tensor(0), scale: Tensor(1), low: Tensor(low), high: Tensor(high))
            #expect(d.entropy().scalarValue.isFinite, "entropy on [\(low), \(high)]")
            let p = Tensor([0.01, 0.5, 0.99])
            let x = d.icdf(p)
            #expect(
                x.scalars.allSatisfy { $0.isFinite && $0 >= low && $0 <= high },
                "icdf \(x.scalars) on [\(low), \(high)]")
            let back = d.cdf(x)
            for k in 0..<3 {
                // x lands within half an ulp of the quantile; the CDF moves by density · ulp/2 there.
                let slack = exp(d.logProb(x)).scalars[k] * x.scalars[k].ulp
                #expect(Swift.abs(back.scalars[k] - p.scalars[k]) <= slack + 1e-5, "cdf(icdf(\(p.scalars[k])))")
            }
        }
    }
}
