import CReparamKernels
import Foundation
import ReparamTensor
import Testing
import _Differentiation

@Suite struct SpecialFunctionTests {
    /// ψ against d/dx lgamma by Double central differences (h = 1e-5: error ~1e-9), and
    /// ψ′ against dψ/dx the same way; covers the recurrence, the series and reflection.
    @Test(arguments: [0.01, 0.3, 1, 2.5, 5.9, 6, 17, 300, -0.5, -2.3])
    func digammaAndTrigammaMatchDifferences(x: Double) {
        let h = 1e-5 * Swift.max(1, Swift.abs(x))
        let lgammaDerivative = (log(Swift.abs(tgamma(x + h))) - log(Swift.abs(tgamma(x - h)))) / (2 * h)
        if Swift.abs(x) < 150 {
            #expect(
                Swift.abs(Special.digamma(x) - lgammaDerivative) <= 1e-6 * Swift.max(1, Swift.abs(lgammaDerivative)))
        }
        let digammaDerivative = (Special.digamma(x + h) - Special.digamma(x - h)) / (2 * h)
        #expect(Swift.abs(Special.trigamma(x) - digammaDerivative) <= 1e-5 * Swift.max(1, Swift.abs(digammaDerivative)))
    }

    @Test func closedForms() {
        let eulerGamma = 0.5772156649015329
        #expect(Swift.abs(Special.digamma(1) + eulerGamma) < 1e-14)
        #expect(Swift.abs(Special.digamma(0.5) + eulerGamma + 2 * log(2.0)) < 1e-14)
        #expect(Swift.abs(Special.trigamma(1) - Double.pi * Double.pi / 6) < 1e-13)
        #expect(Swift.abs(Special.trigamma(0.5) - Double.pi * Double.pi / 2) < 1e-13)
        #expect(Special.digamma(0).isNaN && Special.digamma(-3).isNaN)
    }
}

@Suite struct ErrorFunctionTests {
    /// Reference values from scipy.special 1.17 (erfinv, log_ndtr), an independent implementation.
    @Test(arguments: [
        (1e-300, 8.86226925452758e-301), (1e-08, 8.86226925452758e-09), (0.3, 0.2724627147267544),
        (0.5, 0.4769362762044699), (0.7, 0.7328690779592169), (0.99, 1.8213863677184496),
        (0.999999999999, 5.042031898572696), (0.9999999999999999, 5.8635847487551676),
    ])
    func erfinvMatchesScipy(y: Double, expected: Double) {
        #expect(Swift.abs(Special.erfinv(y) - expected) <= 1e-13 * expected)
        #expect(Swift.abs(Special.erfinv(-y) + expected) <= 1e-13 * expected)
    }

    @Test(arguments: [
        (-50.0, -1254.8313611394199), (-38, -726.5572160188201), (-36, -652.5032275937986),
        (-5, -15.064998393988727), (0, -0.6931471805599453), (3, -0.0013508099647481925),
        (6, -9.86587645524372e-10), (10, -7.61985302416047e-24),
    ])
    func logNormalCDFMatchesScipy(x: Double, expected: Double) {
        #expect(Swift.abs(Special.logNormalCDF(x) - expected) <= 1e-12 * Swift.abs(expected))
    }

    @Test func derivativesMatchFiniteDifferences() {
        var v = TestValues(state: 21)
        expectGradient("erf", at: v.tensor([9], -2, 2)) { erf($0) }
        expectGradient("erfc", at: v.tensor([9], -2, 2)) { erfc($0) }
        // erfinv's third derivative grows fast toward ±1, beyond Float differences: compare with
        // Double central differences of the scalar function (h = 1e-6, error ~1e-10).
        let y = v.tensor([9], -0.95, 0.95)
        let analytic = gradient(at: y) { erfinv($0).sumToFloat() }
        let numeric = GradientCheck.numericalGradient(
            ofDouble: { t in
                t.scalars.reduce(0.0) { $0 + Special.erfinv(Double($1)) }
            }, at: y, step: 1e-6)
        #expect(GradientCheck.maxRelativeError(analytic, numeric) < 1e-5)
        expectGradient("logNormalCDF", at: v.tensor([9], -6, 3)) { logNormalCDF($0) }
        expectGradient("atan", at: v.tensor([9], -3, 3)) { atan($0) }
        expectGradient("tan", at: v.tensor([9], -1, 1)) { tan($0) }
    }
}

@Suite struct IncompleteGammaTests {
    /// scipy.special.gammainc reference values, including a = 1e-3 and a = 1e3.
    @Test(arguments: [
        (0.001, 1e-05, 0.9891230446957835), (0.001, 0.5, 0.9994399333435291), (0.5, 0.2, 0.47291074313446196),
        (1, 1, 0.6321205588285577), (2.5, 0.7, 0.07568672719833305), (2.5, 6, 0.9652122194937581),
        (10, 3, 0.0011024881301154815), (10, 12, 0.7576078383294875), (100, 90, 0.15822098918643007),
        (1000, 1000, 0.5042052441802155), (1000, 1050, 0.9413288886226819), (3, 50, 1.0),
    ])
    func valueMatchesScipy(a: Double, x: Double, expected: Double) {
        let (p, _) = Special.regularizedGammaP(a, x)
        #expect(Swift.abs(p - expected) <= 1e-12 * Swift.max(expected, 1e-3), "P(\(a), \(x)) = \(p)")
    }

    /// ∂P/∂a from the dual numbers against Double central differences of P (h = 1e-6·a:
    /// truncation ~1e-12, rounding ~1e-10 relative to the derivative): relative ≤ 1e-6.
    @Test(arguments: [
        (0.001, 1e-05), (0.001, 0.5), (0.5, 0.2), (1.0, 1.0), (2.5, 0.7), (2.5, 6.0), (10, 3), (10, 12),
        (100, 90), (1000, 1000), (1000, 1050),
    ])
    func parameterDerivativeMatchesDifferences(a: Double, x: Double) {
        let h = 1e-6 * a
        let numeric = (Special.regularizedGammaP(a + h, x).value - Special.regularizedGammaP(a - h, x).value) / (2 * h)
        let analytic = Special.regularizedGammaP(a, x).derivativeA
        #expect(
            Swift.abs(analytic - numeric) <= 1e-6 * Swift.abs(numeric) + 1e-12,
            "∂P/∂a(\(a), \(x)): \(analytic) vs \(numeric)")
    }

    /// Q = 1 − P keeps its relative precision in the far upper tail, where P rounds to 1
    /// (scipy.special.gammaincc reference values), and is 1 − P elsewhere.
    @Test(arguments: [
        (3.0, 50.0, 2.509303552201055e-19), (0.5, 30, 9.485737571073857e-15), (10, 60, 2.851507755552014e-16),
        (100, 160, 1.4420224505352197e-07), (2.5, 0.7, 0.924313272801667),
    ])
    func upperTailMatchesScipy(a: Double, x: Double, expected: Double) {
        let (q, dq) = Special.regularizedGammaQ(a, x)
        #expect(Swift.abs(q - expected) <= 1e-12 * expected, "Q(\(a), \(x)) = \(q)")
        let (p, dp) = Special.regularizedGammaP(a, x)
        #expect(Swift.abs(p + q - 1) <= 1e-15 && dq == -dp)
    }

    @Test func tensorOpGradients() {
        var v = TestValues(state: 31)
        expectGradient2("regularizedGammaP", at: v.tensor([6], 0.5, 4), v.tensor([6], 0.2, 5)) {
            regularizedGammaP($0, $1)
        }
        expectGradient2("regularizedGammaQ", at: v.tensor([6], 0.5, 4), v.tensor([6], 0.2, 5)) {
            regularizedGammaQ($0, $1)
        }
    }
}

@Suite struct IncompleteBetaTests {
    /// scipy.special.betainc reference values.
    @Test(arguments: [
        (2.0, 3.0, 0.3, 0.34829999999999994), (0.5, 0.5, 0.01, 0.06376856085851985),
        (0.05, 4, 0.5, 0.9985895046690476), (30, 12, 0.7, 0.4010477903496097),
        (5, 0.5, 0.99, 0.7571581091015623), (0.001, 2, 0.0001, 0.9918226777544659),
        (100, 200, 0.34, 0.6016229345924298),
    ])
    func valueMatchesScipy(a: Double, b: Double, x: Double, expected: Double) {
        #expect(Swift.abs(Special.regularizedIncompleteBeta(a, b, x).value - expected) <= 1e-12)
    }

    /// ∂I/∂a and ∂I/∂b against Double central differences (h = 1e-6 of the parameter): ≤ 1e-6.
    @Test(arguments: [
        (2.0, 3.0, 0.3), (0.5, 0.5, 0.01), (0.05, 4, 0.5), (30, 12, 0.7), (5, 0.5, 0.99), (100, 200, 0.34),
    ])
    func parameterDerivativesMatchDifferences(a: Double, b: Double, x: Double) {
        let (_, da, db) = Special.regularizedIncompleteBeta(a, b, x)
        let ha = 1e-6 * a, hb = 1e-6 * b
        let na =
            (Special.regularizedIncompleteBeta(a + ha, b, x).value
                - Special.regularizedIncompleteBeta(a - ha, b, x).value) / (2 * ha)
        let nb =
            (Special.regularizedIncompleteBeta(a, b + hb, x).value
                - Special.regularizedIncompleteBeta(a, b - hb, x).value) / (2 * hb)
        #expect(Swift.abs(da - na) <= 1e-6 * Swift.abs(na) + 1e-12, "∂/∂a: \(da) vs \(na)")
        #expect(Swift.abs(db - nb) <= 1e-6 * Swift.abs(nb) + 1e-12, "∂/∂b: \(db) vs \(nb)")
    }

    @Test func quantileInvertsTheCDF() {
        for (a, b) in [(2.0, 3.0), (0.5, 0.5), (0.05, 4.0), (30.0, 12.0)] {
            for p in [1e-6, 0.05, 0.5, 0.93] {
                let x = Special.betaQuantile(a, b, p)
                #expect(
                    Swift.abs(Special.regularizedIncompleteBeta(a, b, x).value - p) <= 1e-12 + 1e-9 * p,
                    "Beta(\(a), \(b)) at \(p)")
            }
        }
    }

    @Test func tensorOpGradients() {
        var v = TestValues(state: 33)
        let a = v.tensor([5], 0.8, 3), b = v.tensor([5], 0.8, 3), x = v.tensor([5], 0.2, 0.8)
        expectGradient2("I wrt a, x", at: a, x) { regularizedIncompleteBeta($0, b, $1) }
        expectGradient2("I wrt b, x", at: b, x) { regularizedIncompleteBeta(a, $0, $1) }
    }
}

@Suite struct BesselTests {
    /// scipy.special.i0e / i1e, both sides of the series/asymptotic switch at 30.
    @Test(arguments: [
        (0.0, 1.0, 0.0), (0.001, 0.9990007495835156, 0.0004995003123542213),
        (0.5, 0.64503527044915, 0.15642080318487173),
        (2.0, 0.308508322553671, 0.2152692892489377), (10.0, 0.1278333371634286, 0.1212626813844555),
        (29.9, 0.07326921904600191, 0.0720333749118688), (30.1, 0.07302329413106094, 0.07179985435101434),
        (100.0, 0.03994437929909668, 0.03974415302513025), (10000.0, 0.0039894726746047314, 0.003989273195983662),
        (-3.0, 0.24300035416182536, -0.19682671329730084),
    ])
    func matchScipy(x: Double, i0e: Double, i1e: Double) {
        #expect(Swift.abs(Special.scaledBesselI(0, x) - i0e) <= 1e-13 * Swift.max(1e-3, Swift.abs(i0e)))
        #expect(Swift.abs(Special.scaledBesselI(1, x) - i1e) <= 1e-13 * Swift.max(1e-3, Swift.abs(i1e)))
    }

    @Test func derivatives() {
        var v = TestValues(state: 35)
        expectGradient("i0e", at: v.tensor([7], -4, 4)) { besselI0e($0) }
        expectGradient("i1e", at: v.tensor([7], -4, 4)) { besselI1e($0) }
    }
}

@Suite struct GammaDerivativeKernelTests {
    /// The prefactor-free C kernel against −(∂P/∂a)/p with ∂P/∂a from the dual-number
    /// evaluation: relative ≤ 1e-9 across both branches and extreme a.
    @Test(arguments: [
        (0.001, 1e-30), (0.001, 0.5), (0.3, 0.01), (0.3, 4), (1.0, 0.7), (2.5, 0.1), (2.5, 6), (4.5, 9),
        (10, 3), (10, 25), (200, 180), (1000, 1050),
    ])
    func matchesTheDualNumberReference(a: Double, x: Double) {
        let (_, dPda) = Special.regularizedGammaP(a, x)
        let reference = -dPda / exp(Special.logGammaDensity(a, x))
        let got = rp_gamma_sample_derivative(a, x)
        #expect(
            Swift.abs(got - reference) <= 1e-9 * Swift.abs(reference) + 1e-300,
            "a = \(a), x = \(x): \(got) vs \(reference)")
    }

    /// In log form it stays finite where the draw itself underflows (log G = −800): there the
    /// series is 1, so (dG/dα)/G = −(log G − ψ(α+1))/α, positive (a larger α lifts the draw).
    @Test func logFormSurvivesUnderflow() {
        var perUnit: [Float] = [0], plain: [Float] = [0]
        rp_gamma_log_sample_derivatives([0.001], 1, [-800], nil, 1, &perUnit, &plain)
        let expected = -(-800 - Special.digamma(1.001)) / 0.001
        #expect(Swift.abs(Double(perUnit[0]) - expected) <= 1e-6 * expected && plain[0] == 0)
    }
}

@Suite struct GammaDerivativeVectorTests {
    /// The vector series (all ISA levels, odd counts for the remainder lanes) against the scalar
    /// kernel, element by element: relative ≤ 1e-6, the rounding of the Float output.
    @Test func vectorPathMatchesScalarKernel() {
        var v = TestValues(state: 37)
        let n = 1003
        let alphas = (0..<n).map { i in [0.002, 0.4, 1, 2.5, 9, 80, 1500][i % 7] as Float }
        // Draws spread over each Gamma's bulk and tails: x = α·e^{3w}, w uniform on [−1, 1).
        let logs = (0..<n).map { i in log(Double(alphas[i])) + 3 * Double(v.tensor([1]).scalars[0]) }
        for isa in Kernels.supportedISAs {
            var got = [Float](repeating: 0, count: n)
            Kernels.withOverrides(isa: isa) { rp_gamma_log_sample_derivatives(alphas, n, logs, nil, n, nil, &got) }
            for i in 0..<n {
                let x = exp(logs[i])
                let reference = rp_gamma_sample_derivative(Double(alphas[i]), x)
                #expect(
                    Swift.abs(Double(got[i]) - reference) <= 1e-6 * Swift.abs(reference) + 1e-37,
                    "\(isa) α = \(alphas[i]), x = \(x): \(got[i]) vs \(reference)")
            }
        }
    }
}
