import _Differentiation

/// Scalar special functions in Double (their Float uses round the result once).
public enum Special {
    /// ln Γ(x) for x > 0 (libm).
    public static func lgamma(_ x: Double) -> Double { libmLgamma(x) }

    /// ψ(x) = d/dx ln Γ(x): recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic
    /// series ln x − 1/(2x) − Σ_{k≤6} B₂ₖ/(2k·x²ᵏ) (next term < 1e-14). Reflection for x < 0.
    public static func digamma(_ x: Double) -> Double {
        if x.isNaN || x == -.infinity { return .nan }
        if x <= 0 && x == x.rounded() { return .nan }
        if x < 0 { return digamma(1 - x) - Double.pi / tanPi(x) }
        var value = 0.0, z = x
        while z < 10 { value -= 1 / z; z += 1 }
        let w = 1 / (z * z)
        let series =
            w * (1.0 / 12 - w * (1.0 / 120 - w * (1.0 / 252 - w * (1.0 / 240 - w * (1.0 / 132 - w * 691.0 / 32760)))))
        return value + libmLog(z) - 0.5 / z - series
    }

    /// ψ′(x): recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 10, then
    /// 1/x + 1/(2x²) + Σ_{k≤5} B₂ₖ/x²ᵏ⁺¹ (next term < 1e-13). Reflection for x < 0.
    public static func trigamma(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x <= 0 && x == x.rounded() { return .nan }
        if x < 0 {
            let s = sinPi(x)
            return -trigamma(1 - x) + Double.pi * Double.pi / (s * s)
        }
        var value = 0.0, z = x
        while z < 10 { value += 1 / (z * z); z += 1 }
        let w = 1 / (z * z)
        let series = 1 / z + w / 2 + w / z * (1.0 / 6 - w * (1.0 / 30 - w * (1.0 / 42 - w * (1.0 / 30 - w * 5.0 / 66))))
        return value + series
    }

    static func tanPi(_ x: Double) -> Double { sinPi(x) / cosPi(x) }
    static func sinPi(_ x: Double) -> Double { libmSin(Double.pi * (x - 2 * (x / 2).rounded(.down))) }
    static func cosPi(_ x: Double) -> Double { libmCos(Double.pi * (x - 2 * (x / 2).rounded(.down))) }
}

extension Tensor {
    func mapDouble(_ f: (Double) -> Double) -> Tensor { map { Float(f(Double($0))) } }
}

/// ln Γ(x) elementwise; derivative ψ(x).
@differentiable(reverse)
public func lgamma(_ x: Tensor) -> Tensor { x.mapDouble(Special.lgamma) }

/// ψ(x) elementwise; derivative ψ′(x).
@differentiable(reverse)
public func digamma(_ x: Tensor) -> Tensor { x.mapDouble(Special.digamma) }

/// ψ′(x) elementwise (no registered derivative).
public func trigamma(_ x: Tensor) -> Tensor { x.mapDouble(Special.trigamma) }

@derivative(of: lgamma)
@usableFromInline func vjpLgamma(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (lgamma(x), { v in v.isShapelessZero ? .zero : v * digamma(x) })
}

@derivative(of: digamma)
@usableFromInline func vjpDigamma(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (digamma(x), { v in v.isShapelessZero ? .zero : v * trigamma(x) })
}
