/// Central finite differences for checking registered derivatives.
///
/// The Float path perturbs each input element by ±h and compares with the reverse-mode
/// gradient; rounding limits it to ~1e-3 relative agreement at h ≈ 1e-2. Where that is too
/// coarse, `numericalGradient(ofDouble:at:)` takes a Double-valued function.
public enum GradientCheck {
    /// ∂f/∂x by central differences, one element at a time.
    public static func numericalGradient(of f: (Tensor) -> Float, at x: Tensor, step h: Float = 1e-2) -> Tensor {
        numericalGradient(ofDouble: { Double(f(Tensor(shape: $0.shape, scalars: $0.scalars))) }, at: x, step: Double(h))
    }

    /// ∂f/∂x by central differences of a Double-valued function of the tensor's elements.
    public static func numericalGradient(ofDouble f: (Tensor) -> Double, at x: Tensor, step h: Double) -> Tensor {
        var gradient = [Float](repeating: 0, count: x.count)
        var probe = x
        for i in 0..<x.count {
            let original = x.scalars[i]
            probe.scalars[i] = Float(Double(original) + h)
            let up = Double(probe.scalars[i]) - Double(original)
            let fUp = f(probe)
            probe.scalars[i] = Float(Double(original) - h)
            let down = Double(original) - Double(probe.scalars[i])
            let fDown = f(probe)
            probe.scalars[i] = original
            gradient[i] = Float((fUp - fDown) / (up + down))  // the steps Float could represent
        }
        return Tensor(shape: x.shape, scalars: gradient)
    }

    /// Largest |a − b| / max(1, |b|) over elements.
    public static func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "maxRelativeError: shapes \(a.shape) and \(b.shape) differ")
        return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
    }
}
