import ReparamDistributions
import ReparamTensor
import Testing
import _Differentiation

/// Beta's log density and entropy are Double primitives with hand-written partials (log B cancels
/// lnΓ terms of thousands at α = β = 1000); each partial against central differences.
@Suite struct BetaPrecisionTests {
    static let settings: [(a: Float, b: Float, x: Float)] = [
        (2, 3, 0.3), (0.5, 0.5, 0.1), (1000, 1000, 0.51), (1e4, 20, 0.998),
    ]

    @Test(arguments: 0..<settings.count)
    func partialsMatchCentralDifferences(_ index: Int) {
        let parameters: [(String, WritableKeyPath<Beta, Tensor>, KeyPath<Beta.TangentVector, Tensor>)] = [
            ("α", \.alpha, \.alpha), ("β", \.beta, \.beta),
        ]
        let s = Self.settings[index]
        let d = Beta(alpha: Tensor(s.a), beta: Tensor(s.b))
        // Steps of 2⁻¹² relative (powers of two, exact in Float) and the rounding of each value.
        func step(_ v: Float) -> Float { Float(sign: .plus, exponent: v.exponent - 12, significand: 1) }
        func noise(_ value: Float, _ h: Float) -> Double { Double(value.ulp) / Double(2 * h) }
        let functions: [(String, @differentiable(reverse) (Beta) -> Tensor)] = [
            ("logProb", { $0.logProb(Tensor(s.x)) }), ("entropy", { $0.entropy() }),
        ]
        for (name, f) in functions {
            let analytic = gradient(at: d) { f($0).sum().item }
            for (parameter, value, tangent) in parameters {
                let h = step(d[keyPath: value].scalarValue)
                var up = d, down = d
                up[keyPath: value] = d[keyPath: value] + h
                down[keyPath: value] = d[keyPath: value] - h
                let numeric = (Double(f(up).scalarValue) - Double(f(down).scalarValue)) / Double(2 * h)
                let got = Double(analytic[keyPath: tangent].scalarValue)
                #expect(
                    Swift.abs(got - numeric) <= 5e-3 * Swift.abs(numeric) + 2 * noise(f(d).scalarValue, h),
                    "\(name) ∂\(parameter) at α \(s.a), β \(s.b): \(got) vs \(numeric)")
            }
        }
        let h = step(Swift.min(s.x, 1 - s.x))
        let got = Double(gradient(at: Tensor(s.x)) { d.logProb($0).sum().item }.scalarValue)
        let numeric =
            (Double(d.logProb(Tensor(s.x + h)).scalarValue) - Double(d.logProb(Tensor(s.x - h)).scalarValue))
            / Double(2 * h)
        #expect(
            Swift.abs(got - numeric) <= 5e-3 * Swift.abs(numeric) + 2 * noise(d.logProb(Tensor(s.x)).scalarValue, h),
            "logProb ∂x at α \(s.a), β \(s.b): \(got) vs \(numeric)")
    }
}
