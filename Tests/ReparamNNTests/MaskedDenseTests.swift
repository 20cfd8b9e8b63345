import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

/// A MADE-like mask whose rows and columns are single runs (degrees sorted), and one that is not.
private func masks(inputs: Int, outputs: Int, key: RandomKey) -> [(String, Tensor)] {
    let runs = (0..<inputs).flatMap { i in (0..<outputs).map { j in Float(j * inputs >= i * outputs ? 1 : 0) } }
    let scattered = key.uniform([inputs, outputs]).scalars.map { Float($0 < 0.6 ? 1 : 0) }
    return [
        ("runs", Tensor(shape: [inputs, outputs], scalars: runs)),
        ("scattered", Tensor(shape: [inputs, outputs], scalars: scattered)),
    ]
}

@Suite struct MaskedDenseTests {
    /// maskedDense equals a dense layer on W ⊙ M, its gradients are dense's with ∂W masked, and
    /// finite differences agree (smooth activations); with a runs mask the weights off the mask are never read (their
    /// finite differences are exactly zero even though they hold large values).
    @Test(arguments: Activation.allCases)
    func equalsDenseOnTheMaskedWeight(activation: Activation) {
        let key = RandomKey(seed: 41)
        let (inputs, outputs) = (7, 12)
        let x = key.fold(in: 1).normal([5, inputs])
        let bias = key.fold(in: 2).normal([outputs])
        let probe = key.fold(in: 3).uniform([5, outputs], low: 0.5, high: 1.5)
        for (name, m) in masks(inputs: inputs, outputs: outputs, key: key.fold(in: 4)) {
            let mask = WeightMask(m)
            #expect(mask.isRuns == (name == "runs"), "\(name)")
            // Off the mask the weight holds values ten times larger: they must not matter.
            let weight = key.fold(in: 5).normal([inputs, outputs]) * (m + (1 - m) * 10)
            func masked(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Float {
                (maskedDense(x, w, b, activation: activation, mask: mask) * probe).sumToFloat()
            }
            func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Float {
                (dense(x, w * m, b, activation: activation) * probe).sumToFloat()
            }
            let value = maskedDense(x, weight, bias, activation: activation, mask: mask)
            let expected = Dense(weight: weight * m, bias: bias, activation: activation)(x)
            #expect(GradientCheck.maxRelativeError(value, expected) < 1e-5, "\(name) \(activation) value")
            let (gx, gw, gb) = gradient(at: x, weight, bias, of: masked)
            let (rx, rw, rb) = gradient(at: x, weight, bias, of: reference)
            #expect(GradientCheck.maxRelativeError(gx, rx) < 1e-5, "\(name) \(activation) ∂x")
            #expect(GradientCheck.maxRelativeError(gw, rw) < 1e-5, "\(name) \(activation) ∂W")
            #expect(GradientCheck.maxRelativeError(gb, rb) < 1e-5, "\(name) \(activation) ∂b")
            #expect(((1 - m) * gw).scalars.allSatisfy { $0 == 0 }, "\(name): ∂W must be zero off the mask")
            // Differences across ReLU's kink are meaningless; dense's ReLU gradient is checked above.
            guard activation != .relu else { continue }
            let nx = GradientCheck.numericalGradient(of: { masked($0, weight, bias) }, at: x)
            let nw = GradientCheck.numericalGradient(of: { masked(x, $0, bias) }, at: weight)
            #expect(GradientCheck.maxRelativeError(gx, nx) < 2e-3, "\(name) \(activation) ∂x vs differences")
            #expect(GradientCheck.maxRelativeError(gw, nw) < 2e-3, "\(name) \(activation) ∂W vs differences")
            if mask.isRuns { #expect(((1 - m) * nw).scalars.allSatisfy { $0 == 0 }, "a weight off the mask was read") }
        }
    }

    @Test func keptFractionCountsTheRuns() {
        let mask = WeightMask(Tensor(rows: [[1, 1, 0], [0, 1, 0]]))
        #expect(mask.isRuns && mask.keptFraction == 3.0 / 6)
        #expect(!WeightMask(Tensor(rows: [[1, 0, 1]])).isRuns)
    }
}
