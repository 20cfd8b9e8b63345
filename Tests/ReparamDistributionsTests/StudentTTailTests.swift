import ReparamDistributions
import ReparamTensor
import Testing
import _Differentiation

/// Student's t CDF and quantile are Double primitives with hand-written partials (x = ν/(ν + z²)
/// leaves Float's range for small ν); every partial against central differences, from ν = 0.1 to
/// 30 and from the center to p = 10⁻³.
@Suite struct StudentTTailTests {
    static let settings: [(nu: Float, loc: Float, scale: Float, p: Float)] = [
        (3.5, -1, 0.5, 0.3), (30, 2, 3, 0.999), (0.7, 0, 2, 0.01), (0.1, 0, 1, 0.2), (1, 0, 1, 0.001),
        (0.1, 0, 1, 0.001),
    ]

    @Test(arguments: 0..<settings.count)
    func partialsMatchCentralDifferences(_ index: Int) {
        let parameters: [(String, WritableKeyPath<StudentT, Tensor>, KeyPath<StudentT.TangentVector, Tensor>)] = [
            ("ν", \.degreesOfFreedom, \.degreesOfFreedom), ("loc", \.loc, \.loc), ("scale", \.scale, \.scale),
        ]
        let s = Self.settings[index]
        let d = StudentT(degreesOfFreedom: Tensor(s.nu), loc: Tensor(s.loc), scale: Tensor(s.scale))
        let x = d.icdf(Tensor(s.p)).scalarValue
        // Steps relative to each input (powers of two keep them exact): ν spans 0.1 to 30 and the
        // quantile 10⁻¹ to 10¹⁰.
        func step(_ v: Float) -> Float {
            Float(sign: .plus, exponent: Swift.max(-20, (v == 0 ? 1 : Swift.abs(v)).exponent - 12), significand: 1)
        }
        // A difference of two Float values: each rounded by up to half an ulp.
        func noise(_ value: Float, _ h: Float) -> Double { Double(value.ulp) / Double(2 * h) }
        let functions: [(String, @differentiable(reverse) (StudentT) -> Tensor)] = [
            ("cdf", { $0.cdf(Tensor(x)) }), ("icdf", { $0.icdf(Tensor(s.p)) }), ("logProb", { $0.logProb(Tensor(x)) }),
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
                    "\(name) ∂\(parameter) at ν \(s.nu), p \(s.p): \(got) vs \(numeric)")
            }
        }
        let arguments: [(String, Float, @differentiable(reverse) (Tensor) -> Tensor)] = [
            ("cdf ∂x", x, { d.cdf($0) }), ("icdf ∂p", s.p, { d.icdf($0) }),
        ]
        for (name, at, f) in arguments {
            let h = step(at)
            let got = Double(gradient(at: Tensor(at)) { f($0).sum().item }.scalarValue)
            let numeric =
                (Double(f(Tensor(at + h)).scalarValue) - Double(f(Tensor(at - h)).scalarValue)) / Double(2 * h)
            #expect(
                Swift.abs(got - numeric) <= 5e-3 * Swift.abs(numeric) + 2 * noise(f(Tensor(at)).scalarValue, h),
                "\(name) at ν \(s.nu), p \(s.p): \(got) vs \(numeric)")
        }
    }
}
