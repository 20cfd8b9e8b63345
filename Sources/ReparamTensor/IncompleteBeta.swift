import _Differentiation

extension Special {
    /// Regularized incomplete beta I_x(a, b) with ∂/∂a and ∂/∂b.
    ///
    /// I = x^a (1 − x)^b / (a·B(a, b)) · CF(a, b, x) by the continued fraction (modified Lentz)
    /// where x < (a + 1)/(a + b + 2), else 1 − I_{1−x}(b, a). The parameter derivatives come from
    /// evaluating the same expression on dual numbers, once per parameter.
    public static func regularizedIncompleteBeta(_ a: Double, _ b: Double, _ x: Double)
        -> (value: Double, derivativeA: Double, derivativeB: Double)
    {
        if a.isNaN || b.isNaN || x.isNaN || a <= 0 || b <= 0 { return (.nan, .nan, .nan) }
        if x <= 0 { return (0, 0, 0) }
        if x >= 1 { return (1, 0, 0) }
        if x < (a + 1) / (a + b + 2) {
            let da = incompleteBetaSeries(Dual(a, 1), Dual(b), x), db = incompleteBetaSeries(Dual(a), Dual(b, 1), x)
            return (da.value, da.derivative, db.derivative)
        }
        let da = incompleteBetaSeries(Dual(b), Dual(a, 1), 1 - x), db = incompleteBetaSeries(Dual(b, 1), Dual(a), 1 - x)
        return (1 - da.value, -da.derivative, -db.derivative)
    }

    static func incompleteBetaSeries(_ a: Dual, _ b: Dual, _ xv: Double) -> Dual {
        let x = Dual(xv), one = Dual(1), tiny = 1e-300
        let logPrefactor =
            a * x.log() + b * Dual(libmLog1p(-xv)) - a.log() - (a.lgamma() + b.lgamma() - (a + b).lgamma())
        let qab = a + b, qap = a + one, qam = a - one
        var c = one, d = one - qab * x / qap
        if Swift.abs(d.value) < tiny { d = Dual(tiny) }
        d = one / d
        var h = d
        var m = 1.0
        while m < 10_000 {
            let md = Dual(m), m2 = Dual(2 * m)
            var aa = md * (b - md) * x / ((qam + m2) * (a + m2))
            d = one + aa * d
            if Swift.abs(d.value) < tiny { d = Dual(tiny) }
            c = one + aa / c
            if Swift.abs(c.value) < tiny { c = Dual(tiny) }
            d = one / d
            h = h * d * c
            aa = Dual(-1) * (a + md) * (qab + md) * x / ((a + m2) * (qap + m2))
            d = one + aa * d
            if Swift.abs(d.value) < tiny { d = Dual(tiny) }
            c = one + aa / c
            if Swift.abs(c.value) < tiny { c = Dual(tiny) }
            d = one / d
            let step = d * c
            h = h * step
            if Swift.abs(step.value - 1) < 1e-16
                && Swift.abs(step.derivative) < 1e-16 * Swift.max(1, Swift.abs(h.derivative))
            {
                break
            }
            m += 1
        }
        return logPrefactor.exp() * h
    }

    /// log of the Beta(a, b) density at x ∈ (0, 1).
    public static func logBetaDensity(_ a: Double, _ b: Double, _ x: Double) -> Double {
        (a - 1) * libmLog(x) + (b - 1) * libmLog1p(-x) - lgamma(a) - lgamma(b) + lgamma(a + b)
    }

    /// The p-quantile of Beta(a, b): Newton steps kept inside a shrinking bracket, falling back
    /// to bisection (geometric when the bracket spans decades). Starts from the small-x form
    /// I ≈ x^a/(a·B(a, b)) when that lies below the mean, as it does far in the left tail.
    public static func betaQuantile(_ a: Double, _ b: Double, _ p: Double) -> Double {
        if p.isNaN || !(a > 0) || !(b > 0) || p < 0 || p > 1 { return .nan }
        if p == 0 { return 0 }
        if p == 1 { return 1 }
        let logBeta = lgamma(a) + lgamma(b) - lgamma(a + b)
        let smallStart = libmExp((libmLog(p) + libmLog(a) + logBeta) / a)
        var low = 0.0, high = 1.0, x = smallStart > 0 && smallStart < a / (a + b) ? smallStart : a / (a + b)
        for _ in 0..<200 {
            let f = regularizedIncompleteBeta(a, b, x).value - p
            if f > 0 { high = x } else { low = x }
            let density = libmExp(logBetaDensity(a, b, x))
            var next = density > 0 && density.isFinite ? x - f / density : .nan
            if !(next > low && next < high) {
                next =
                    low > 0 && high / low > 4
                    ? (low * high).squareRoot() : (low == 0 ? Swift.min(0.5 * high, x / 16) : 0.5 * (low + high))
            }
            if Swift.abs(next - x) <= 1e-15 * Swift.max(x, 1e-300) || high - low <= 1e-300 { return next }
            x = next
        }
        return x
    }
}

/// I_x(a, b) elementwise (broadcasting), differentiable in a, b and x
/// (∂/∂x is the Beta(a, b) density).
@differentiable(reverse)
public func regularizedIncompleteBeta(_ a: Tensor, _ b: Tensor, _ x: Tensor) -> Tensor {
    incompleteBetaForward(a, b, x).value
}

func incompleteBetaForward(_ a: Tensor, _ b: Tensor, _ x: Tensor) -> (value: Tensor, da: Tensor, db: Tensor, dx: Tensor)
{
    let shape = broadcastShape(
        broadcastShape(a.shape, b.shape, op: "regularizedIncompleteBeta"), x.shape, op: "regularizedIncompleteBeta")
    let av = a.broadcasted(to: shape).scalars, bv = b.broadcasted(to: shape).scalars,
        xv = x.broadcasted(to: shape).scalars
    var value = [Float](), da = [Float](), db = [Float](), dx = [Float]()
    for i in 0..<av.count {
        let (ai, bi, xi) = (Double(av[i]), Double(bv[i]), Double(xv[i]))
        let r = Special.regularizedIncompleteBeta(ai, bi, xi)
        value.append(Float(r.value))
        da.append(Float(r.derivativeA))
        db.append(Float(r.derivativeB))
        dx.append(xi > 0 && xi < 1 ? Float(libmExp(Special.logBetaDensity(ai, bi, xi))) : 0)
    }
    func t(_ s: [Float]) -> Tensor { Tensor(shape: shape, scalars: s) }
    return (t(value), t(da), t(db), t(dx))
}

@derivative(of: regularizedIncompleteBeta)
@usableFromInline func vjpRegularizedIncompleteBeta(_ a: Tensor, _ b: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    let (value, da, db, dx) = incompleteBetaForward(a, b, x)
    return (
        value,
        { v in
            if v.isShapelessZero { return (.zero, .zero, .zero) }
            return (
                (v * da).unbroadcast(to: a.shape), (v * db).unbroadcast(to: b.shape), (v * dx).unbroadcast(to: x.shape)
            )
        }
    )
}

/// Beta(a, b) quantile elementwise; ∂/∂p = 1/density, ∂/∂a = −(∂I/∂a)/density, likewise b.
@differentiable(reverse)
public func betaQuantile(_ a: Tensor, _ b: Tensor, _ p: Tensor) -> Tensor {
    betaQuantileForward(a, b, p)
}

func betaQuantileForward(_ a: Tensor, _ b: Tensor, _ p: Tensor) -> Tensor {
    let shape = broadcastShape(broadcastShape(a.shape, b.shape, op: "betaQuantile"), p.shape, op: "betaQuantile")
    let av = a.broadcasted(to: shape).scalars, bv = b.broadcasted(to: shape).scalars,
        pv = p.broadcasted(to: shape).scalars
    return Tensor(
        shape: shape,
        scalars: (0..<av.count).map { Float(Special.betaQuantile(Double(av[$0]), Double(bv[$0]), Double(pv[$0]))) })
}

@derivative(of: betaQuantile)
@usableFromInline func vjpBetaQuantile(_ a: Tensor, _ b: Tensor, _ p: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    let x = betaQuantileForward(a, b, p)
    let (_, da, db, density) = incompleteBetaForward(a, b, x)
    return (
        x,
        { v in
            if v.isShapelessZero { return (.zero, .zero, .zero) }
            let scaled = v / density
            return (
                (-scaled * da).unbroadcast(to: a.shape), (-scaled * db).unbroadcast(to: b.shape),
                scaled.unbroadcast(to: p.shape)
            )
        }
    )
}
