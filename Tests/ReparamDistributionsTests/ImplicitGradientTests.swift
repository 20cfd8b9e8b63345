import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@Suite struct ImplicitGradientTests {
    /// The Double dz/dα against the formula with ∂P/∂α by Double central differences
    /// (h = 1e-6·α): relative error ≤ 1e-6.
    @Test(arguments: [(0.001, 1e-30), (0.001, 0.2), (0.3, 0.01), (1.0, 0.7), (4.5, 2.0), (4.5, 9.0), (1000, 980)])
    func doubleDerivativeMatchesTheCDFFormula(alpha: Double, z: Double) {
        let h = 1e-6 * alpha
        let dPda =
            (Special.regularizedGammaP(alpha + h, z).value - Special.regularizedGammaP(alpha - h, z).value) / (2 * h)
        let formula = -dPda / exp(Special.logGammaDensity(alpha, z))
        let got = Special.gammaSampleDerivative(alpha, z)
        #expect(Swift.abs(got - formula) <= 1e-6 * Swift.abs(formula), "dz/dα(\(alpha), \(z)): \(got) vs \(formula)")
    }

    /// The Float gradient of rsample, element by element, against the same formula: ≤ 1e-4.
    @Test(arguments: [0.3, 1.0, 4.5, 200])
    func rsampleGradientMatchesTheCDFFormula(alpha: Float) {
        let n = 2000
        let key = RandomKey(seed: 41)
        let alphas = Tensor(repeating: alpha, shape: [n])
        let z = Gamma(concentration: alphas, rate: Tensor(1)).rsample(key)
        let g = gradient(at: alphas) { a in Gamma(concentration: a, rate: Tensor(1)).rsample(key).sumToFloat() }
        for i in 0..<n where z.scalars[i] > 0 {
            let a = Double(alpha), zi = Double(z.scalars[i]), h = 1e-6 * a
            let dPda =
                (Special.regularizedGammaP(a + h, zi).value - Special.regularizedGammaP(a - h, zi).value) / (2 * h)
            let formula = -dPda / exp(Special.logGammaDensity(a, zi))
            #expect(
                Swift.abs(Double(g.scalars[i]) - formula) <= 1e-4 * Swift.abs(formula) + 1e-30,
                "element \(i): \(g.scalars[i]) vs \(formula)")
        }
    }

    /// For Gamma(α, 1): E[z] = α and E[z²] = α(α + 1), so E[dz/dα] = 1 and E[2z·dz/dα] = 2α + 1;
    /// each within 5 standard errors of 400 000 per-sample gradients.
    @Test(arguments: [0.05, 0.3, 1.0, 4.5, 50])
    func expectationIdentities(alpha: Float) {
        let n = 400_000
        let alphas = Tensor(repeating: alpha, shape: [n])
        let key = RandomKey(seed: 43)
        for (label, f, exact) in [
            ("z", { (z: Tensor) in z }, 1.0), ("z²", { (z: Tensor) in square(z) }, 2 * Double(alpha) + 1),
        ]
            as [(String, @differentiable(reverse) (Tensor) -> Tensor, Double)]
        {
            let g = gradient(at: alphas) { a in f(Gamma(concentration: a, rate: Tensor(1)).rsample(key)).sumToFloat() }
            let values = g.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(n)
            let se = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
            #expect(
                Swift.abs(mean - exact) <= 5 * se, "E[d\(label)/dα] at α = \(alpha): \(mean) ± \(se), exact \(exact)")
        }
    }

    @Test func smallConcentrationsStayFiniteInLogSpace() {
        let z = Gamma(concentration: Tensor(repeating: 1e-3, shape: [10_000]), rate: Tensor(1)).rsample(
            RandomKey(seed: 1))
        #expect(z.scalars.allSatisfy { $0.isFinite && $0 >= 0 })
        // P(Z ≥ 1e-5) = 1 − P(1e-3, 1e-5) ≈ 0.0109 (scipy: 0.98912 below); 5 binomial SEs.
        let fraction = Double(z.scalars.filter { $0 >= 1e-5 }.count) / 10_000
        #expect(Swift.abs(fraction - (1 - 0.9891230446957835)) < 5 * (0.0109 * 0.9891 / 10_000).squareRoot())
    }
}

@Suite struct BetaImplicitGradientTests {
    /// Beta's rsample gradient, element by element, against −(∂I_z/∂θ)/p(z) with ∂I/∂θ by Double
    /// central differences (h = 1e-6·θ): relative error ≤ 1e-4 in Float.
    @Test(arguments: [(Float(0.7), Float(2.5)), (3, 1.2), (20, 35)])
    func rsampleGradientMatchesTheCDFFormula(a: Float, b: Float) {
        let n = 500
        let key = RandomKey(seed: 44)
        let alphas = Tensor(repeating: a, shape: [n]), betas = Tensor(repeating: b, shape: [n])
        let z = Beta(alpha: alphas, beta: betas).rsample(key)
        let (ga, gb) = gradient(at: alphas, betas) { x, y in Beta(alpha: x, beta: y).rsample(key).sumToFloat() }
        for i in 0..<n where z.scalars[i] > 1e-6 && z.scalars[i] < 1 - 1e-6 {
            let (ad, bd, zd) = (Double(a), Double(b), Double(z.scalars[i]))
            let density = exp(Special.logBetaDensity(ad, bd, zd))
            let ha = 1e-6 * ad, hb = 1e-6 * bd
            let dA =
                (Special.regularizedIncompleteBeta(ad + ha, bd, zd).value
                    - Special.regularizedIncompleteBeta(ad - ha, bd, zd).value) / (2 * ha)
            let dB =
                (Special.regularizedIncompleteBeta(ad, bd + hb, zd).value
                    - Special.regularizedIncompleteBeta(ad, bd - hb, zd).value) / (2 * hb)
            #expect(
                Swift.abs(Double(ga.scalars[i]) + dA / density) <= 1e-4 * Swift.abs(dA / density) + 1e-7,
                "∂z/∂α at \(zd)")
            #expect(
                Swift.abs(Double(gb.scalars[i]) + dB / density) <= 1e-4 * Swift.abs(dB / density) + 1e-7,
                "∂z/∂β at \(zd)")
        }
    }
}
