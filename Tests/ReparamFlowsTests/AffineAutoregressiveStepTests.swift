import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamFlows

/// The largest relative difference, reading a shapeless zero (a gradient that does not reach its
/// argument) as zeros of the other's shape.
private func difference(_ a: Tensor, _ b: Tensor) -> Float {
    let shape = a.isShapelessZero ? b.shape : a.shape
    func dense(_ t: Tensor) -> Tensor { t.isShapelessZero ? Tensor.zeros(shape) : t }
    return GradientCheck.maxRelativeError(dense(a), dense(b))
}

@Suite struct AffineAutoregressiveStepTests {
    /// The fused kernel against its definition in tensor operations, y = x·σ + μ and
    /// Σ log σ with σ = sigmoid(s + 2) + 10⁻³: values, and both gradients under cotangents on y and
    /// the log-determinant (either alone, as the pullback gets them), on every ISA; then the
    /// gradients against central differences in Double.
    @Test func equalsItsDefinitionAndFiniteDifferences() {
        let key = RandomKey(seed: 88)
        let (n, d) = (37, 21)  // full vectors and a tail of each width (16, 8, 4)
        let parameters = key.fold(in: 1).normal([n, d, 2]) * 2
        let x = key.fold(in: 2).normal([n, d])
        let (wy, wl) = (key.fold(in: 3).normal([n, d]), key.fold(in: 4).normal([n]))
        func defined(_ p: Tensor, _ x: Tensor) -> ValueAndLogDet {
            let shape = withoutDerivative(at: x.shape)
            let shift = p.slice(axis: 2, 0..<1).reshaped(to: shape)
            let scale = sigmoid(p.slice(axis: 2, 1..<2).reshaped(to: shape) + 2) + 1e-3
            return ValueAndLogDet(value: x * scale + shift, logDet: rowSums(log(scale)))
        }
        let objectives: [(String, @differentiable(reverse) (ValueAndLogDet) -> Tensor)] = [
            ("both", { ($0.value * wy).sum() + ($0.logDet * wl).sum() }),
            ("value only", { ($0.value * wy).sum() }),
            ("log-det only", { ($0.logDet * wl).sum() }),
        ]
        let reference = defined(parameters, x)
        for isa in Kernels.supportedISAs {
            Kernels.withOverrides(isa: isa) {
                let fused = affineAutoregressiveStep(parameters, x)
                #expect(GradientCheck.maxRelativeError(fused.value, reference.value) < 1e-5, "\(isa) value")
                #expect(GradientCheck.maxRelativeError(fused.logDet, reference.logDet) < 1e-5, "\(isa) log-det")
                for (name, f) in objectives {
                    let (gp, gx) = gradient(at: parameters, x) { p, x in f(affineAutoregressiveStep(p, x)).item }
                    let (rp, rx) = gradient(at: parameters, x) { p, x in f(defined(p, x)).item }
                    #expect(difference(gp, rp) < 1e-5, "\(isa) \(name) ∂parameters")
                    #expect(difference(gx, rx) < 1e-5, "\(isa) \(name) ∂x")
                }
            }
        }
        let f = objectives[0].1
        let (gp, gx) = gradient(at: parameters, x) { p, x in f(affineAutoregressiveStep(p, x)).item }
        let np = GradientCheck.numericalGradient(
            ofDouble: { Double(f(affineAutoregressiveStep($0, x)).item) }, at: parameters, step: 1e-2)
        let nx = GradientCheck.numericalGradient(
            ofDouble: { Double(f(affineAutoregressiveStep(parameters, $0)).item) }, at: x, step: 1e-2)
        #expect(GradientCheck.maxRelativeError(gp, np) < 2e-3)
        #expect(GradientCheck.maxRelativeError(gx, nx) < 2e-3)
    }
}
