import _Differentiation

extension Special {
    /// e^{−|x|}·I_ν(x) for ν ∈ {0, 1}: the power series Σₖ (x/2)^{2k+ν}/(k!(k+ν)!) for |x| ≤ 30,
    /// the asymptotic series (2π|x|)^{−½} Σₖ (−1)ᵏ Πⱼ(4ν² − (2j−1)²)/(k!(8|x|)ᵏ) beyond (its
    /// terms there fall below 1e-16 before they grow). I₁ is odd, I₀ even.
    public static func scaledBesselI(_ order: Int, _ x: Double) -> Double {
        precondition(order == 0 || order == 1, "scaledBesselI: order must be 0 or 1")
        if x.isNaN { return .nan }
        let ax = Swift.abs(x)
        var value: Double
        if ax <= 30 {
            let quarter = ax * ax / 4
            var term = order == 0 ? 1.0 : ax / 2, total = term, k = 1.0
            while term > total * 1e-17 {
                term *= quarter / (k * (k + Double(order)))
                total += term
                k += 1
            }
            value = total * libmExp(-ax)
        } else {
            let mu = 4.0 * Double(order * order)
            var term = 1.0, total = 1.0
            for k in 1...12 {
                let odd = Double(2 * k - 1)
                term *= -(mu - odd * odd) / (Double(k) * 8 * ax)
                total += term
            }
            value = total / (2 * Double.pi * ax).squareRoot()
        }
        return order == 1 && x < 0 ? -value : value
    }
}

/// e^{−|x|}·I₀(x) elementwise; derivative i1e(x) − sign(x)·i0e(x).
@differentiable(reverse) public func besselI0e(_ x: Tensor) -> Tensor { x.mapDouble { Special.scaledBesselI(0, $0) } }
/// e^{−|x|}·I₁(x) elementwise; derivative i0e(x) − i1e(x)/x − sign(x)·i1e(x) (½ at 0).
@differentiable(reverse) public func besselI1e(_ x: Tensor) -> Tensor { x.mapDouble { Special.scaledBesselI(1, $0) } }

@derivative(of: besselI0e) @usableFromInline func vjpBesselI0e(_ x: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> Tensor
) {
    (
        besselI0e(x),
        { v in
            v.isShapelessZero
                ? .zero
                : v
                    * x.mapDouble {
                        Special.scaledBesselI(1, $0) - ($0 > 0 ? 1 : ($0 < 0 ? -1 : 0)) * Special.scaledBesselI(0, $0)
                    }
        }
    )
}
@derivative(of: besselI1e) @usableFromInline func vjpBesselI1e(_ x: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> Tensor
) {
    (
        besselI1e(x),
        { v in
            v.isShapelessZero
                ? .zero
                : v
                    * x.mapDouble { t in
                        if t == 0 { return 0.5 }
                        let i1 = Special.scaledBesselI(1, t)
                        return Special.scaledBesselI(0, t) - i1 / t - (t > 0 ? 1 : -1) * i1
                    }
        }
    )
}
