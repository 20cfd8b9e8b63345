import ReparamTensor
import ReparamTestSupport
import Testing
import _Differentiation

/// Deterministic test tensors from the shared splitmix64 source.
struct TestValues {
    var source: SplitMix
    init(state: UInt64) { source = SplitMix(state: state) }
    /// Uniform on [low, high).
    mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: source.values(shape.reduce(1, *), low, high))
    }
}

/// Float central differences with h = 1e-2: truncation ≈ h²/6·|f‴| ≈ 2e-5·|f‴| and rounding
/// ≈ ε·|L|/h ≈ 1e-4 for the losses here, so 2e-3 of max(1, |g|) leaves margin for |f‴| ≲ 50
/// over the probed inputs (chosen away from kinks and poles).
let gradientTolerance: Float = 2e-3

/// L(x) = Σ w ⊙ f(x) with fixed random weights w, so every output direction is exercised.
func weightedLoss(_ f: @escaping @differentiable(reverse) (Tensor) -> Tensor, outputShape: [Int], seed: UInt64)
    -> @differentiable(reverse) (Tensor) -> Float
{
    var values = TestValues(state: seed)
    let weights = values.tensor(outputShape, 0.5, 1.5)
    return { x in (f(x) * weights).sumToFloat() }
}

func expectGradient(
    _ name: String, at x: Tensor, tolerance: Float = gradientTolerance,
    _ f: @escaping @differentiable(reverse) (Tensor) -> Tensor,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let loss = weightedLoss(f, outputShape: f(x).shape, seed: UInt64(x.count) + 17)
    let analytic = gradient(at: x, of: loss)
    let numeric = GradientCheck.numericalGradient(of: { loss($0) }, at: x)
    let error = GradientCheck.maxRelativeError(analytic.expanded(to: x.shape), numeric)
    #expect(error <= tolerance, "\(name): gradient error \(error)", sourceLocation: sourceLocation)
}

func expectGradient2(
    _ name: String, at a: Tensor, _ b: Tensor, tolerance: Float = gradientTolerance,
    _ f: @escaping @differentiable(reverse) (Tensor, Tensor) -> Tensor,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var values = TestValues(state: UInt64(a.count * 31 + b.count))
    let weights = values.tensor(f(a, b).shape, 0.5, 1.5)
    let loss: @differentiable(reverse) (Tensor, Tensor) -> Float = { (f($0, $1) * weights).sumToFloat() }
    let (ga, gb) = gradient(at: a, b, of: loss)
    let na = GradientCheck.numericalGradient(of: { loss($0, b) }, at: a)
    let nb = GradientCheck.numericalGradient(of: { loss(a, $0) }, at: b)
    let errorA = GradientCheck.maxRelativeError(ga.expanded(to: a.shape), na)
    let errorB = GradientCheck.maxRelativeError(gb.expanded(to: b.shape), nb)
    #expect(
        errorA <= tolerance && errorB <= tolerance,
        "\(name): gradient errors \(errorA) (\(a.shape)), \(errorB) (\(b.shape))", sourceLocation: sourceLocation)
}
