import CReparamKernels
import _Differentiation

/// A value and its derivative with respect to one parameter (forward mode), for special
/// functions whose parameter derivative has no convenient closed form.
struct Dual {
    var value: Double
    var derivative: Double

    init(_ value: Double, _ derivative: Double = 0) {
        self.value = value
        self.derivative = derivative
    }

    static func + (a: Dual, b: Dual) -> Dual { Dual(a.value + b.value, a.derivative + b.derivative) }
    static func - (a: Dual, b: Dual) -> Dual { Dual(a.value - b.value, a.derivative - b.derivative) }
    static func * (a: Dual, b: Dual) -> Dual {
        Dual(a.value * b.value, a.derivative * b.value + a.value * b.derivative)
    }
    /// q = a/b, q′ = (a′ − q·b′)/b: no b², which underflows for the tiny values Lentz uses.
    static func / (a: Dual, b: Dual) -> Dual {
        let q = a.value / b.value
        return Dual(q, (a.derivative - q * b.derivative) / b.value)
    }
    func exp() -> Dual { let e = libmExp(value); return Dual(e, e * derivative) }
    func log() -> Dual { Dual(libmLog(value), derivative / value) }
    func lgamma() -> Dual { Dual(Special.lgamma(value), Special.digamma(value) * derivative) }
}

extension Special {
    /// Regularized lower incomplete gamma P(a, x) = γ(a, x)/Γ(a) and ∂P/∂a.
    ///
    /// Series P = e^{a log x − x − lnΓ(a+1)}·Σₙ xⁿ/((a+1)…(a+n)) for x < a + 1, else
    /// P = 1 − Q with Q's continued fraction (modified Lentz); both run on dual numbers, so
    /// ∂P/∂a is the derivative of the same converged expression, to rounding.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> (value: Double, derivativeA: Double) {
        let both = regularizedGammaPQ(a, x)
        return (both.p, both.derivativeA)
    }

    /// Q(a, x) = 1 − P(a, x), the upper tail, and ∂Q/∂a = −∂P/∂a. Where the continued fraction
    /// applies (x ≥ a + 1) Q is what it computes, so it keeps its relative precision after P has
    /// rounded to 1.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> (value: Double, derivativeA: Double) {
        let both = regularizedGammaPQ(a, x)
        return (both.q, -both.derivativeA)
    }

    /// P and Q, each from the form that computes it directly, and ∂P/∂a.
    static func regularizedGammaPQ(_ a: Double, _ x: Double) -> (p: Double, q: Double, derivativeA: Double) {
        if a.isNaN || x.isNaN || a <= 0 { return (.nan, .nan, .nan) }
        if x <= 0 { return (0, 1, 0) }
        if x.isInfinite { return (1, 0, 0) }
        let ad = Dual(a, 1), xd = Dual(x)
        if x < a + 1 {
            var term = Dual(1), total = Dual(1), n = 1.0
            while n < 10_000 {
                term = term * xd / (ad + Dual(n))
                total = total + term
                if Swift.abs(term.value) < Swift.abs(total.value) * 1e-17
                    && Swift.abs(term.derivative) <= Swift.abs(total.derivative) * 1e-17
                {
                    break
                }
                n += 1
            }
            let prefactor = (ad * xd.log() - xd - (ad + Dual(1)).lgamma()).exp()
            let p = prefactor * total
            return (p.value, 1 - p.value, p.derivative)
        }
        // Q(a, x) = e^{a log x − x − lnΓ(a)} · 1/(x + 1 − a − 1·(1−a)/(x + 3 − a − …))
        let tiny = Dual(1e-300)
        var b = xd + Dual(1) - ad
        var c = Dual(1 / tiny.value), d = Dual(1) / b, h = d
        var i = 1.0
        while i < 10_000 {
            let an = Dual(-i) * (Dual(i) - ad)
            b = b + Dual(2)
            d = an * d + b
            if Swift.abs(d.value) < 1e-300 { d = tiny }
            c = b + an / c
            if Swift.abs(c.value) < 1e-300 { c = tiny }
            d = Dual(1) / d
            let step = d * c
            h = h * step
            if Swift.abs(step.value - 1) < 1e-16
                && Swift.abs(step.derivative) < 1e-16 * Swift.max(1, Swift.abs(h.derivative))
            {
                break
            }
            i += 1
        }
        let q = (ad * xd.log() - xd - ad.lgamma()).exp() * h
        return (1 - q.value, q.value, -q.derivative)
    }

    /// log of the Gamma(a, 1) density at x > 0: (a − 1) log x − x − lnΓ(a).
    public static func logGammaDensity(_ a: Double, _ x: Double) -> Double {
        (a - 1) * libmLog(x) - x - lgamma(a)
    }

    /// dx/da for x ~ Gamma(a, 1) held at a fixed CDF level (implicit reparameterization):
    /// −(∂P(a, x)/∂a) / p(x; a), by the prefactor-free series in the C kernel.
    public static func gammaSampleDerivative(_ a: Double, _ x: Double) -> Double {
        rp_gamma_sample_derivative(a, x)
    }
}

/// P(a, x) elementwise (broadcasting); differentiable in both: ∂/∂x is the Gamma(a, 1)
/// density, ∂/∂a comes from the dual-number evaluation.
@differentiable(reverse)
public func regularizedGammaP(_ a: Tensor, _ x: Tensor) -> Tensor {
    regularizedGammaPForward(a, x).value
}

func regularizedGammaPForward(_ a: Tensor, _ x: Tensor) -> (value: Tensor, da: Tensor, dx: Tensor) {
    incompleteGammaForward(a, x, upper: false)
}

/// P (or Q when `upper`) with its partials: ∂/∂a from the dual numbers, ∂/∂x = ± the density.
func incompleteGammaForward(_ a: Tensor, _ x: Tensor, upper: Bool) -> (value: Tensor, da: Tensor, dx: Tensor) {
    let shape = broadcastShape(a.shape, x.shape, op: upper ? "regularizedGammaQ" : "regularizedGammaP")
    let av = a.broadcasted(to: shape).scalars, xv = x.broadcasted(to: shape).scalars
    var value = [Float](), da = [Float](), dx = [Float]()
    value.reserveCapacity(av.count)
    for (ai, xi) in zip(av, xv) {
        let both = Special.regularizedGammaPQ(Double(ai), Double(xi))
        value.append(Float(upper ? both.q : both.p))
        da.append(Float(upper ? -both.derivativeA : both.derivativeA))
        let density = xi > 0 ? libmExp(Special.logGammaDensity(Double(ai), Double(xi))) : 0
        dx.append(Float(upper ? -density : density))
    }
    return (Tensor(shape: shape, scalars: value), Tensor(shape: shape, scalars: da), Tensor(shape: shape, scalars: dx))
}

@derivative(of: regularizedGammaP)
@usableFromInline func vjpRegularizedGammaP(_ a: Tensor, _ x: Tensor) -> (
    value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)
) {
    let (value, da, dx) = regularizedGammaPForward(a, x)
    return (
        value,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            return ((v * da).unbroadcast(to: a.shape), (v * dx).unbroadcast(to: x.shape))
        }
    )
}

/// Q(a, x) = 1 − P(a, x) elementwise (broadcasting), precise in the upper tail; ∂/∂x is minus the
/// Gamma(a, 1) density, ∂/∂a = −∂P/∂a.
@differentiable(reverse)
public func regularizedGammaQ(_ a: Tensor, _ x: Tensor) -> Tensor {
    regularizedGammaQForward(a, x).value
}

func regularizedGammaQForward(_ a: Tensor, _ x: Tensor) -> (value: Tensor, da: Tensor, dx: Tensor) {
    incompleteGammaForward(a, x, upper: true)
}

@derivative(of: regularizedGammaQ)
@usableFromInline func vjpRegularizedGammaQ(_ a: Tensor, _ x: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    let (value, da, dx) = regularizedGammaQForward(a, x)
    return (
        value,
        { v in
            if v.isShapelessZero { return (.zero, .zero) }
            return ((v * da).unbroadcast(to: a.shape), (v * dx).unbroadcast(to: x.shape))
        }
    )
}
