import CReparamKernels
import _Differentiation

/// Scalar special functions in Double (their Float uses round the result once). One
/// implementation, in the kernel library, serves these and the tensor functions below.
public enum Special {
    /// ln Γ(x) (libm's, through its thread-safe form).
    public static func lgamma(_ x: Double) -> Double { rp_lgamma(x) }

    /// ψ(x) = d/dx ln Γ(x): recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic
    /// series ln x − 1/(2x) − Σ_{k≤6} B₂ₖ/(2k·x²ᵏ) (next term < 1e-14). Reflection for x < 0.
    public static func digamma(_ x: Double) -> Double { rp_digamma(x) }

    /// ψ′(x): recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 10, then
    /// 1/x + 1/(2x²) + Σ_{k≤5} B₂ₖ/x²ᵏ⁺¹ (next term < 1e-13). Reflection for x < 0.
    public static func trigamma(_ x: Double) -> Double { rp_trigamma(x) }
}

extension Tensor {
    func mapDouble(_ f: (Double) -> Double) -> Tensor { map { Float(f(Double($0))) } }

    /// fn elementwise in double precision, rounded once (split across the pool when large).
    func special(_ fn: rp_special_fn) -> Tensor {
        Tensor.filled(shape) { out, n in withUnsafeScalars { rp_special(fn, $0.baseAddress, out, n) } }
    }
}

/// ln Γ(x) elementwise; derivative ψ(x).
@differentiable(reverse)
public func lgamma(_ x: Tensor) -> Tensor { x.special(RP_SPECIAL_LGAMMA) }

/// ψ(x) elementwise; derivative ψ′(x).
@differentiable(reverse)
public func digamma(_ x: Tensor) -> Tensor { x.special(RP_SPECIAL_DIGAMMA) }

/// ψ′(x) elementwise (no registered derivative).
public func trigamma(_ x: Tensor) -> Tensor { x.special(RP_SPECIAL_TRIGAMMA) }

@derivative(of: lgamma)
@usableFromInline func vjpLgamma(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (lgamma(x), { v in v.isShapelessZero ? .zero : v * digamma(x) })
}

@derivative(of: digamma)
@usableFromInline func vjpDigamma(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (digamma(x), { v in v.isShapelessZero ? .zero : v * trigamma(x) })
}
