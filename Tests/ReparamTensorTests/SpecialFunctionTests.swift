import Foundation
import ReparamTensor
import Testing

@Suite struct SpecialFunctionTests {
    /// ψ against d/dx lgamma by Double central differences (h = 1e-5: error ~1e-9), and
    /// ψ′ against dψ/dx the same way; covers the recurrence, the series and reflection.
    @Test(arguments: [0.01, 0.3, 1, 2.5, 5.9, 6, 17, 300, -0.5, -2.3])
    func digammaAndTrigammaMatchDifferences(x: Double) {
        let h = 1e-5 * Swift.max(1, Swift.abs(x))
        let lgammaDerivative = (log(Swift.abs(tgamma(x + h))) - log(Swift.abs(tgamma(x - h)))) / (2 * h)
        if Swift.abs(x) < 150 {
            #expect(Swift.abs(Special.digamma(x) - lgammaDerivative) <= 1e-6 * Swift.max(1, Swift.abs(lgammaDerivative)))
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
