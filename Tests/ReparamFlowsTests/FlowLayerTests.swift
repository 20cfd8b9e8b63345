import ReparamDistributions
import ReparamFlows
import ReparamNN
import ReparamRandom
import ReparamTensor
import ReparamTestSupport
import Testing
import _Differentiation

/// Every parameter moved by N(0, scale²) noise: freshly built layers start at (or near) the
/// identity, where a wrong log-determinant or gradient could still read as right.
func perturbed<L: ParameterListing>(_ layer: L, key: RandomKey, scale: Float = 0.3) -> L {
    var layer = layer
    for (i, path) in layer.parameterPaths.enumerated() {
        let value = layer[keyPath: path.value]
        layer[keyPath: path.value] = value + scale * key.fold(in: UInt64(i)).normal(value.shape)
    }
    return layer
}

/// A conditional layer with its context bound, so the law checker sees a plain bijector.
struct Bound<Layer: ConditionalBijector>: Bijector {
    var layer: Layer
    @noDerivative var context: Tensor
    var eventRank: Int { 1 }
    @differentiable(reverse) func forward(_ x: Tensor) -> Tensor { layer.forwardWithLogDet(x, context: context).value }
    @differentiable(reverse) func inverse(_ y: Tensor) -> Tensor { layer.inverseWithLogDet(y, context: context).value }
    @differentiable(reverse) func forwardLogDetJacobian(_ x: Tensor) -> Tensor {
        layer.forwardWithLogDet(x, context: context).logDet
    }
    @differentiable(reverse) func inverseLogDetJacobian(_ y: Tensor) -> Tensor {
        layer.inverseWithLogDet(y, context: context).logDet
    }
}

@Suite struct FlowLayerTests {
    let key = RandomKey(seed: 2024)
    /// Rows inside and outside the splines' [−3, 3] (their identity tails).
    var points: Tensor {
        Tensor(
            shape: [6, 3],
            scalars: [
                0.3, -1.2, 0.8, 1.5, 0.1, -0.4, -2, 0.7, 0.2,
                0.05, 0.9, -1.1, 3.5, -0.6, 2.2, -0.4, -4.1, 1.7,
            ])
    }
    var context: Tensor { Tensor(shape: [6, 2], scalars: [0.5, -1, 1, 0.2, -0.3, 0.4, 0, 1.5, -1, -1, 0.7, 0.1]) }

    @Test func everyLayerSatisfiesTheBijectorLaws() {
        let k = key.split(16)
        let maf = perturbed(MaskedAutoregressive(dimension: 3, hidden: [16, 16], key: k[4]), key: k[5])
        let cases: [(String, BijectorLawReport, Float)] = [
            ("Planar", checkBijectorLaws(perturbed(Planar(dimension: 3, key: k[0]), key: k[1]), at: points), 2e-4),
            ("Radial", checkBijectorLaws(perturbed(Radial(dimension: 3, key: k[2]), key: k[3]), at: points), 2e-4),
            ("MAF", checkBijectorLaws(maf, at: points), 2e-4),
            ("IAF", checkBijectorLaws(maf.inverted, at: points), 2e-4),
            (
                "MAF, reversed order",
                checkBijectorLaws(
                    perturbed(
                        MaskedAutoregressive(
                            dimension: 3, hidden: [8], reversedOrder: true,
                            key: k[6]), key: k[7]), at: points), 2e-4
            ),
            (
                "AffineCoupling",
                checkBijectorLaws(
                    perturbed(
                        AffineCoupling(dimension: 3, hidden: [16], swapped: false, key: k[8]),
                        key: k[9]), at: points), 2e-4
            ),
            (
                "AffineCoupling, swapped",
                checkBijectorLaws(
                    perturbed(
                        AffineCoupling(
                            dimension: 3, hidden: [16], swapped: true,
                            key: k[10]), key: k[11]), at: points), 2e-4
            ),
            (
                "SplineCoupling",
                checkBijectorLaws(
                    perturbed(
                        SplineCoupling(dimension: 3, hidden: [16], swapped: true, key: k[12]),
                        key: k[13], scale: 1), at: points), 5e-4
            ),
            (
                "SplineAutoregressive",
                checkBijectorLaws(
                    perturbed(
                        SplineAutoregressive(dimension: 3, hidden: [16], key: k[14]),
                        key: k[15], scale: 1), at: points), 5e-4
            ),
        ]
        for (name, report, tolerance) in cases { #expect(report.worst < tolerance, "\(name): \(report)") }
    }

    @Test func conditionalLayersSatisfyTheLawsAndReadTheirContext() {
        let k = key.fold(in: 1).split(12)
        let layers: [(String, any ConditionalBijector)] = [
            ("Planar", perturbed(Planar(dimension: 3, contextSize: 2, key: k[0]), key: k[1])),
            ("Radial", perturbed(Radial(dimension: 3, contextSize: 2, key: k[2]), key: k[3])),
            ("MAF", perturbed(MaskedAutoregressive(dimension: 3, hidden: [16], contextSize: 2, key: k[4]), key: k[5])),
            (
                "AffineCoupling",
                perturbed(
                    AffineCoupling(dimension: 3, hidden: [16], swapped: false, contextSize: 2, key: k[6]), key: k[7])
            ),
            (
                "SplineCoupling",
                perturbed(
                    SplineCoupling(dimension: 3, hidden: [16], swapped: false, contextSize: 2, key: k[8]),
                    key: k[9], scale: 1)
            ),
            (
                "SplineAutoregressive",
                perturbed(
                    SplineAutoregressive(dimension: 3, hidden: [16], contextSize: 2, key: k[10]), key: k[11], scale: 1)
            ),
            (
                "IAF",
                perturbed(
                    MaskedAutoregressive(dimension: 3, hidden: [16], contextSize: 2, key: k[10]), key: k[11]
                ).inverted
            ),
        ]
        for (name, layer) in layers {
            let report = lawsWithContext(layer)
            #expect(report.worst < 5e-4, "\(name): \(report)")
            // A different context gives a different map.
            #expect(forwardDifference(layer) > 1e-3, "\(name) ignores its context")
        }
    }

    func lawsWithContext<L: ConditionalBijector>(_ layer: L) -> BijectorLawReport {
        checkBijectorLaws(Bound(layer: layer, context: context), at: points)
    }

    func forwardDifference<L: ConditionalBijector>(_ layer: L) -> Float {
        let a = layer.forwardWithLogDet(points, context: context).value
        let b = layer.forwardWithLogDet(points, context: context * -1).value
        return (a - b).scalars.map { Swift.abs($0) }.max()!
    }

    /// Splines far outside [−B, B] are the identity with log-det 0, in both directions, and
    /// stay finite; inputs right at the boundary map to it.
    @Test func splineTailsAreTheIdentity() {
        let layer = perturbed(
            SplineCoupling(dimension: 2, hidden: [8], swapped: false, key: key), key: key.fold(in: 3), scale: 2)
        let x = Tensor(shape: [4, 2], scalars: [0, 1e6, 0.5, -50, -1, 3, 2, -3])
        for result in [layer.forwardWithLogDet(x), layer.inverseWithLogDet(x)] {
            #expect(result.value.scalars.allSatisfy { $0.isFinite } && result.logDet.scalars.allSatisfy { $0.isFinite })
            #expect(result.value.scalars[1] == 1e6 && result.value.scalars[3] == -50)
            #expect(Swift.abs(result.value.scalars[5] - 3) < 1e-5 && Swift.abs(result.value.scalars[7] + 3) < 1e-5)
        }
        #expect(layer.forwardWithLogDet(x).logDet.scalars[0...1].allSatisfy { $0 == 0 })
    }

    /// Gradients of every layer's parameters through log p(x) = log N(f⁻¹(x)) + log|det ∂f⁻¹/∂x|
    /// (what density estimation trains) and through the forward pass (what variational
    /// inference trains), against central differences. The step is 3·10⁻³: at 10⁻² the truncation
    /// error near a sharply bent spline bin was measured at 5% (it falls to 0.03% at 3·10⁻³).
    @Test func parameterGradientsMatchFiniteDifferences() {
        let k = key.fold(in: 2).split(8)
        expectGradients("Planar", perturbed(Planar(dimension: 3, key: k[0]), key: k[1]))
        expectGradients("Radial", perturbed(Radial(dimension: 3, key: k[2]), key: k[3]))
        // tanh conditioners: finite differences across a ReLU kink measure neither slope.
        expectGradients(
            "MAF", perturbed(MaskedAutoregressive(dimension: 3, hidden: [8], activation: .tanh, key: k[4]), key: k[5]))
        expectGradients(
            "SplineCoupling",
            perturbed(
                SplineCoupling(
                    dimension: 3, hidden: [8], activation: .tanh, swapped: false,
                    key: k[6]), key: k[7]))
        expectGradients(
            "SplineAutoregressive",
            perturbed(
                SplineAutoregressive(
                    dimension: 3, hidden: [8], activation: .tanh,
                    key: k[6]), key: k[7]))
        expectGradients(
            "AffineCoupling",
            perturbed(
                AffineCoupling(
                    dimension: 3, hidden: [8], activation: .tanh, swapped: true,
                    key: k[6]), key: k[7]))
    }

    func expectGradients<L: FlowLayer>(_ name: String, _ layer: L, sourceLocation: SourceLocation = #_sourceLocation) {
        let normal = Normal(loc: Tensor.zeros([3]), scale: Tensor.ones([3]))
        let objectives: [(String, (L) -> Float)] = [
            ("density", { l in TransformedDistribution(base: normal, bijector: l).logProb(points).sumToFloat() }),
            (
                "forward",
                { l in
                    let r = l.forwardWithLogDet(points)
                    return (square(r.value).sum() + r.logDet.sum()).item
                }
            ),
        ]
        for (objective, f) in objectives {
            let analytic = gradient(at: layer) { l in
                objective == "density"
                    ? TransformedDistribution(base: normal, bijector: l).logProb(points).sumToFloat()
                    : (square(l.forwardWithLogDet(points).value).sum() + l.forwardWithLogDet(points).logDet.sum()).item
            }
            // Float rounding of f (a few ulps of |f|) over the step bounds the differences' own error.
            let step = 3e-3
            let noise = Float(8 * Double(Float.ulpOfOne) * Double(Swift.abs(f(layer))) / step)
            for path in layer.parameterPaths {
                let g = layer.gradient(path, in: analytic)
                let numeric = GradientCheck.numericalGradient(
                    ofDouble: { value in
                        var probe = layer
                        probe[keyPath: path.value] = value
                        return Double(f(probe))
                    }, at: layer[keyPath: path.value], step: step)
                let worst = zip(g.scalars, numeric.scalars).map {
                    Swift.abs($0 - $1) - 2e-3 * Swift.max(1, Swift.abs($1))
                }.max()!
                #expect(
                    worst < noise, "\(name) \(objective) ∂/∂\(path.name): \(g) vs \(numeric)",
                    sourceLocation: sourceLocation)
            }
        }
    }
}
