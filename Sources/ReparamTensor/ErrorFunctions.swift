import _Differentiation

extension Special {
    /// Natural logarithm (libm), for code that computes in Double beside the Tensor overloads.
    public static func log(_ x: Double) -> Double { libmLog(x) }
    /// Exponential (libm), likewise.
    public static func exp(_ x: Double) -> Double { libmExp(x) }
    /// log(1 + x) without cancellation for small x (libm).
    public static func log1p(_ x: Double) -> Double { libmLog1p(x) }
    /// erf x (libm).
    public static func erf(_ x: Double) -> Double { libmErf(x) }
    /// erfc x = 1 − erf x, without cancellation for large x (libm).
    public static func erfc(_ x: Double) -> Double { libmErfc(x) }

    /// erf⁻¹(y) for y ∈ [−1, 1]: Winitzki's closed form (≈2e-3 relative) as the start, then
    /// Newton steps on erf(x) = |y|, with the residual taken as erfc(x) vs 1 − |y| near ±1 so the
    /// tail keeps its relative precision.
    public static func erfinv(_ y: Double) -> Double {
        if y.isNaN || y < -1 || y > 1 { return .nan }
        let x = inverseErf(magnitude: Swift.abs(y), complement: 1 - Swift.abs(y))
        return y < 0 ? -x : x
    }

    /// erfc⁻¹(q) for q ∈ [0, 2], exact in the tail where 1 − q would round away: Φ⁻¹(p) is
    /// −√2·erfcinv(2p) even for p = 1e-300.
    public static func erfcinv(_ q: Double) -> Double {
        if q.isNaN || q < 0 || q > 2 { return .nan }
        return q <= 1 ? inverseErf(magnitude: 1 - q, complement: q) : -inverseErf(magnitude: q - 1, complement: 2 - q)
    }

    /// x ≥ 0 with erf(x) = a, given a and its complement c = 1 − a (kept exact by the caller).
    static func inverseErf(magnitude a: Double, complement c: Double) -> Double {
        if c == 0 { return .infinity }
        if a == 0 { return 0 }
        let k = 0.147, logTerm = libmLog(c) + libmLog1p(a)  // log(1 − a²)
        let b = 2 / (Double.pi * k) + logTerm / 2
        var x = ((b * b - logTerm / k).squareRoot() - b).squareRoot()
        if a < 0.5 {
            for _ in 0..<4 {
                let slope = 2 / Double.pi.squareRoot() * libmExp(-x * x)
                if slope == 0 { break }
                x -= (libmErf(x) - a) / slope
            }
            return x
        }
        // The tail: Newton on log erfc(x) = log c, nearly linear in x, so the start's 2e-3 error
        // converges in a few steps even at c = 1e-300 (on erfc itself a step there over- or
        // undershoots by e^{2xΔx} and four steps left 0.1% of the quantile at 36σ).
        // d/dx log erfc(x) = −(2/√π)·e^{−x²}/erfc(x), the ratio taken in log space.
        let logC = libmLog(c)
        for _ in 0..<8 {
            let tail = libmErfc(x)
            if !(tail > 0) { break }
            let logTail = libmLog(tail)
            let step = (logTail - logC) / (2 / Double.pi.squareRoot() * libmExp(-x * x - logTail))
            x += step
            if Swift.abs(step) <= 1e-15 * x { break }
        }
        return x
    }

    /// log Φ(x), Φ the standard normal CDF: log(erfc(−x/√2)/2), and for x < −37 (where erfc
    /// underflows) the asymptotic series −x²/2 − log(−x) − ½log 2π + log(1 − 1/x² + 3/x⁴ − 15/x⁶).
    public static func logNormalCDF(_ x: Double) -> Double {
        if x > 5 { return libmLog1p(-0.5 * libmErfc(x / 2.0.squareRoot())) }
        if x > -37 { return libmLog(0.5 * libmErfc(-x / 2.0.squareRoot())) }
        let r = 1 / (x * x)
        return -0.5 * x * x - libmLog(-x) - 0.5 * libmLog(2 * Double.pi) + libmLog1p(-r * (1 - r * (3 - 15 * r)))
    }

    /// φ(x)/Φ(x) = d/dx log Φ(x), computed in log space.
    public static func normalHazardRatio(_ x: Double) -> Double {
        libmExp(-0.5 * x * x - 0.5 * libmLog(2 * Double.pi) - logNormalCDF(x))
    }
}

/// erf x elementwise; derivative 2/√π·e^{−x²}.
@differentiable(reverse) public func erf(_ x: Tensor) -> Tensor { x.mapDouble(Special.erf) }
/// erfc x elementwise; derivative −2/√π·e^{−x²}.
@differentiable(reverse) public func erfc(_ x: Tensor) -> Tensor { x.mapDouble(Special.erfc) }
/// erf⁻¹ x elementwise; derivative √π/2·e^{erfinv(x)²}.
@differentiable(reverse) public func erfinv(_ x: Tensor) -> Tensor { x.mapDouble(Special.erfinv) }
/// erfc⁻¹ q elementwise (q ∈ [0, 2]); derivative −√π/2·e^{erfcinv(q)²}.
@differentiable(reverse) public func erfcinv(_ x: Tensor) -> Tensor { x.mapDouble(Special.erfcinv) }
/// log Φ(x) elementwise, accurate far into the left tail; derivative φ(x)/Φ(x).
@differentiable(reverse) public func logNormalCDF(_ x: Tensor) -> Tensor { x.mapDouble(Special.logNormalCDF) }
/// atan x elementwise; derivative 1/(1+x²).
@differentiable(reverse) public func atan(_ x: Tensor) -> Tensor { x.mapDouble(libmAtan) }
/// tan x elementwise; derivative 1 + tan² x.
@differentiable(reverse) public func tan(_ x: Tensor) -> Tensor { x.mapDouble(libmTan) }

@derivative(of: erf) @usableFromInline func vjpErf(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (erf(x), { v in v.isShapelessZero ? .zero : v * x.mapDouble { 2 / Double.pi.squareRoot() * libmExp(-$0 * $0) } })
}
@derivative(of: erfc) @usableFromInline func vjpErfc(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (erfc(x), { v in v.isShapelessZero ? .zero : v * x.mapDouble { -2 / Double.pi.squareRoot() * libmExp(-$0 * $0) } })
}
@derivative(of: erfinv) @usableFromInline func vjpErfinv(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let y = erfinv(x)
    return (y, { v in v.isShapelessZero ? .zero : v * y.mapDouble { Double.pi.squareRoot() / 2 * libmExp($0 * $0) } })
}
@derivative(of: erfcinv) @usableFromInline func vjpErfcinv(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor)
{
    let y = erfcinv(x)
    return (y, { v in v.isShapelessZero ? .zero : v * y.mapDouble { -Double.pi.squareRoot() / 2 * libmExp($0 * $0) } })
}
@derivative(of: logNormalCDF) @usableFromInline func vjpLogNormalCDF(_ x: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> Tensor
) {
    (logNormalCDF(x), { v in v.isShapelessZero ? .zero : v * x.mapDouble(Special.normalHazardRatio) })
}
@derivative(of: atan) @usableFromInline func vjpAtan(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (atan(x), { v in v.isShapelessZero ? .zero : v * x.mapDouble { 1 / (1 + $0 * $0) } })
}
@derivative(of: tan) @usableFromInline func vjpTan(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    let y = tan(x)
    return (y, { v in v.isShapelessZero ? .zero : v * (1 + square(y)) })
}

/// cos x elementwise; derivative −sin x.
@differentiable(reverse) public func cos(_ x: Tensor) -> Tensor { x.mapDouble(libmCos) }
/// sin x elementwise; derivative cos x.
@differentiable(reverse) public func sin(_ x: Tensor) -> Tensor { x.mapDouble(libmSin) }

@derivative(of: cos) @usableFromInline func vjpCos(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (cos(x), { v in v.isShapelessZero ? .zero : -v * sin(x) })
}
@derivative(of: sin) @usableFromInline func vjpSin(_ x: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
    (sin(x), { v in v.isShapelessZero ? .zero : v * cos(x) })
}
