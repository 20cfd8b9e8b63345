import ReparamRandom
import ReparamTensor
import _Differentiation

/// N(loc, scale²) restricted to [low, high]. Draws by the inverse CDF in Double, on the side of
/// the interval that keeps precision; gradients by implicit reparameterization through the
/// truncated CDF. The interval's mass Z, the CDF, the quantile and the entropy are computed in
/// Double (log Z in log space), so intervals up to ±37 standard deviations from loc keep their
/// precision; beyond that Z underflows Double and the family is not supported.
public struct TruncatedNormal: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var loc: Tensor
    public var scale: Tensor
    public var low: Tensor
    public var high: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, scale: Tensor, low: Tensor, high: Tensor) {
        self.loc = loc
        self.scale = scale
        self.low = low
        self.high = high
    }

    public static func validated(loc: Tensor, scale: Tensor, low: Tensor, high: Tensor) throws -> TruncatedNormal {
        let shape = try checkShapes(
            [("loc", loc.shape), ("scale", scale.shape), ("low", low.shape), ("high", high.shape)],
            of: "TruncatedNormal")
        try check(loc, "loc", of: "TruncatedNormal", .finite)
        try check(scale, "scale", of: "TruncatedNormal", .positive)
        let width = Tensor(
            shape: shape,
            scalars: zip(high.broadcasted(to: shape).scalars, low.broadcasted(to: shape).scalars).map { $0 - $1 })
        try check(width, "high − low", of: "TruncatedNormal", .positive)
        return TruncatedNormal(loc: loc, scale: scale, low: low, high: high)
    }

    public var batchShape: [Int] { joinedShape(loc.shape, scale.shape, low.shape, high.shape, of: "TruncatedNormal") }
    public var eventShape: [Int] { [] }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = sampleShape + batchShape
        let u = key.uniform(shape).scalars
        let m = loc.broadcasted(to: shape).scalars, s = scale.broadcasted(to: shape).scalars
        let a = low.broadcasted(to: shape).scalars, b = high.broadcasted(to: shape).scalars
        return Tensor(
            shape: shape,
            scalars: (0..<u.count).map { i in
                var alpha = (Double(a[i]) - Double(m[i])) / Double(s[i]),
                    beta = (Double(b[i]) - Double(m[i])) / Double(s[i])
                let flip = alpha > 0  // work in the left half, where Φ keeps its relative precision
                if flip { (alpha, beta) = (-beta, -alpha) }
                let pa = 0.5 * Special.erfc(-alpha / 2.0.squareRoot()),
                    pb = 0.5 * Special.erfc(-beta / 2.0.squareRoot())
                let p = pa + (Double(u[i]) + 0x1p-25) * (pb - pa)
                var xi = -2.0.squareRoot() * Special.erfcinv(2 * p)  // Φ⁻¹(p), exact for tiny p
                xi = Swift.min(Swift.max(xi, alpha), beta)
                return Float(Double(m[i]) + Double(s[i]) * (flip ? -xi : xi))
            })
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let z = withoutDerivative(at: sample(key, sampleShape: sampleShape))
        let density = withoutDerivative(at: exp(logProb(z)))
        return implicitlyReparameterized(z, cdfAtSample: cdf(z), density: density)
    }

    /// The standardized bounds α = (low − μ)/σ and β = (high − μ)/σ at the batch shape.
    @differentiable(reverse)
    var standardBounds: (alpha: Tensor, beta: Tensor) {
        let shape = withoutDerivative(at: self).batchShape
        return (expand((low - loc) / scale, to: shape), expand((high - loc) / scale, to: shape))
    }

    /// −½ξ² − log Z − log σ − ½ log 2π on [low, high], ξ = (x − μ)/σ, Z = Φ(β) − Φ(α); the first
    /// two in Double (at 36σ each is about 650 and their sum about 3); −∞ outside.
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let (alpha, beta) = standardBounds
        let formula = truncatedNormalStandardLogDensity(alpha, beta, (value - loc) / scale) - log(scale) - halfLogTwoPi
        let shape = withoutDerivative(at: formula.shape)
        let v = withoutDerivative(at: value.broadcasted(to: shape)),
            lo = withoutDerivative(at: low.broadcasted(to: shape))
        let hi = withoutDerivative(at: high.broadcasted(to: shape))
        let inside = withoutDerivative(
            at: Tensor(
                shape: shape,
                scalars: (0..<v.count).map {
                    v.scalars[$0] >= lo.scalars[$0] && v.scalars[$0] <= hi.scalars[$0] ? 1 : 0
                }))
        return select(inside, formula, withoutDerivative(at: Tensor(repeating: -.infinity, shape: shape)))
    }

    /// (Φ(ξ) − Φ(α))/Z, in Double on the side of zero that keeps precision; 0 below low, 1 above high.
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let (alpha, beta) = standardBounds
        return truncatedNormalStandardCDF(alpha, beta, (value - loc) / scale)
    }

    /// The CDF of −X at −x: X mirrored about loc is the truncated normal on [−β, −α], whose lower
    /// tail the Double form keeps.
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor {
        let (alpha, beta) = standardBounds
        return truncatedNormalStandardCDF(-beta, -alpha, (loc - value) / scale)
    }

    /// μ + σ·ξ with Φ(ξ) = Φ(α) + p·Z, the sum in log space and ξ from erfc⁻¹ in Double.
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        let (alpha, beta) = standardBounds
        return loc + scale * truncatedNormalStandardQuantile(alpha, beta, probability)
    }

    /// ½ log 2πe + log σ + log Z + (αφ(α) − βφ(β))/(2Z), the last two in Double.
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let (alpha, beta) = standardBounds
        return 0.5 + halfLogTwoPi + log(scale) + truncatedNormalStandardEntropy(alpha, beta)
    }

    /// μ + σ(φ(α) − φ(β))/Z, in Double.
    public var mean: Tensor { moments().mean }

    /// σ²[1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²], in Double: in a far tail the terms
    /// cancel a thousandfold.
    public var variance: Tensor { moments().variance }

    func moments() -> (mean: Tensor, variance: Tensor) {
        let shape = batchShape
        let m = loc.broadcasted(to: shape).scalars, s = scale.broadcasted(to: shape).scalars
        let a = low.broadcasted(to: shape).scalars, b = high.broadcasted(to: shape).scalars
        var means = [Float](), variances = [Float]()
        for i in 0..<m.count {
            var alpha = (Double(a[i]) - Double(m[i])) / Double(s[i]),
                beta = (Double(b[i]) - Double(m[i])) / Double(s[i])
            let flip = alpha > 0
            if flip { (alpha, beta) = (-beta, -alpha) }
            let z = 0.5 * Special.erfc(-beta / 2.0.squareRoot()) - 0.5 * Special.erfc(-alpha / 2.0.squareRoot())
            func phi(_ x: Double) -> Double {
                x.isInfinite ? 0 : Foundation_exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            }
            func times(_ x: Double) -> Double { x.isInfinite ? 0 : x * phi(x) }
            let ratio = (phi(alpha) - phi(beta)) / z
            means.append(Float(Double(m[i]) + Double(s[i]) * (flip ? -ratio : ratio)))
            variances.append(
                Float(Double(s[i]) * Double(s[i]) * (1 + (times(alpha) - times(beta)) / z - ratio * ratio)))
        }
        return (Tensor(shape: shape, scalars: means), Tensor(shape: shape, scalars: variances))
    }
}

#if canImport(Glibc)
    import Glibc
    private func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
#endif

// The standardized truncated normal in Double, log space where it matters: Z = Φ(β) − Φ(α) is
// 10⁻³⁰⁰ at 37σ, which Float (and erfc in Float) lose past about 13σ. Each function carries its
// partials in α and β (and ξ or p); the family composes them with its Float location and scale.

/// log φ(x) = −x²/2 − ½ log 2π.
private func logDensity(_ x: Double) -> Double { -0.5 * x * x - 0.5 * Special.log(2 * Double.pi) }

/// log(Φ(b) − Φ(a)) for a ≤ b, on the side of zero that keeps precision (mirrored when a > 0):
/// log Φ(b) + log(1 − Φ(a)/Φ(b)), both logs from the left-tail form.
private func logInterval(_ a: Double, _ b: Double) -> Double {
    if !(b > a) { return -.infinity }
    let (lo, hi) = a > 0 ? (-b, -a) : (a, b)
    let top = Special.logNormalCDF(hi), bottom = Special.logNormalCDF(lo)
    return top + Special.log1p(-Special.exp(bottom - top))
}

/// φ(x)/Z as exp(log φ(x) − log Z); 0 at an infinite bound.
private func densityOverMass(_ x: Double, _ logZ: Double) -> Double {
    x.isInfinite ? 0 : Special.exp(logDensity(x) - logZ)
}

/// −½ξ² − log Z(α, β) (the log density of the standardized family at ξ, less ½ log 2π);
/// ∂α = φ(α)/Z, ∂β = −φ(β)/Z, ∂ξ = −ξ.
@differentiable(reverse)
func truncatedNormalStandardLogDensity(_ alpha: Tensor, _ beta: Tensor, _ xi: Tensor) -> Tensor {
    truncatedNormalStandardLogDensityForward(alpha, beta, xi).value
}

func truncatedNormalStandardLogDensityForward(_ alpha: Tensor, _ beta: Tensor, _ xi: Tensor)
    -> (value: Tensor, Tensor, Tensor, Tensor)
{
    elementwiseWithPartials(alpha, beta, xi, of: "TruncatedNormal") { a, b, x in
        let logZ = logInterval(a, b)
        return (-0.5 * x * x - logZ, densityOverMass(a, logZ), -densityOverMass(b, logZ), -x)
    }
}

@derivative(of: truncatedNormalStandardLogDensity)
func vjpTruncatedNormalStandardLogDensity(_ alpha: Tensor, _ beta: Tensor, _ xi: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    pullbackFromPartials(truncatedNormalStandardLogDensityForward(alpha, beta, xi), alpha.shape, beta.shape, xi.shape)
}

/// F(ξ) = Z(α, ξ)/Z(α, β), 0 below α and 1 above β; ∂ξ = φ(ξ)/Z, ∂α = φ(α)(F − 1)/Z, ∂β = −F·φ(β)/Z.
@differentiable(reverse)
func truncatedNormalStandardCDF(_ alpha: Tensor, _ beta: Tensor, _ xi: Tensor) -> Tensor {
    truncatedNormalStandardCDFForward(alpha, beta, xi).value
}

func truncatedNormalStandardCDFForward(_ alpha: Tensor, _ beta: Tensor, _ xi: Tensor)
    -> (value: Tensor, Tensor, Tensor, Tensor)
{
    elementwiseWithPartials(alpha, beta, xi, of: "TruncatedNormal") { a, b, x in
        if x <= a { return (0, 0, 0, 0) }
        if x >= b { return (1, 0, 0, 0) }
        let logZ = logInterval(a, b)
        let f = Swift.min(1, Special.exp(logInterval(a, x) - logZ))
        let ra = densityOverMass(a, logZ), rb = densityOverMass(b, logZ)
        return (f, ra * (f - 1), -f * rb, densityOverMass(x, logZ))
    }
}

@derivative(of: truncatedNormalStandardCDF)
func vjpTruncatedNormalStandardCDF(_ alpha: Tensor, _ beta: Tensor, _ xi: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    pullbackFromPartials(truncatedNormalStandardCDFForward(alpha, beta, xi), alpha.shape, beta.shape, xi.shape)
}

/// ξ with F(ξ) = p: Φ(ξ) = Φ(α) + p·Z on the precise side (mirrored with 1 − p when α > 0), the
/// sum taken in log space. From Φ(ξ) = Φ(α) + p(Φ(β) − Φ(α)): ∂p = Z/φ(ξ), ∂α = (1 − p)φ(α)/φ(ξ),
/// ∂β = p·φ(β)/φ(ξ).
@differentiable(reverse)
func truncatedNormalStandardQuantile(_ alpha: Tensor, _ beta: Tensor, _ p: Tensor) -> Tensor {
    truncatedNormalStandardQuantileForward(alpha, beta, p).value
}

func truncatedNormalStandardQuantileForward(_ alpha: Tensor, _ beta: Tensor, _ p: Tensor)
    -> (value: Tensor, Tensor, Tensor, Tensor)
{
    elementwiseWithPartials(alpha, beta, p, of: "TruncatedNormal") { a, b, p in
        guard p >= 0 && p <= 1 else { return (.nan, .nan, .nan, .nan) }
        let flip = a > 0
        let (lo, hi, q) = flip ? (-b, -a, 1 - p) : (a, b, p)
        let logZ = logInterval(lo, hi), bottom = Special.logNormalCDF(lo)
        // log(Φ(lo) + q·Z) = log Φ(lo) + log1p(q·Z/Φ(lo)), or the other way round when q·Z dominates.
        let logQZ = Special.log(q) + logZ
        let logTarget = Swift.max(bottom, logQZ) + Special.log1p(Special.exp(-abs(bottom - logQZ)))
        var x = -2.0.squareRoot() * Special.erfcinv(2 * Special.exp(logTarget))
        x = Swift.min(Swift.max(x, lo), hi)
        if flip { x = -x }
        let logPhiX = logDensity(x)
        func ratio(_ y: Double) -> Double { y.isInfinite ? 0 : Special.exp(logDensity(y) - logPhiX) }
        return (x, (1 - p) * ratio(a), p * ratio(b), Special.exp(logInterval(a, b) - logPhiX))
    }
}

@derivative(of: truncatedNormalStandardQuantile)
func vjpTruncatedNormalStandardQuantile(_ alpha: Tensor, _ beta: Tensor, _ p: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor, Tensor))
{
    pullbackFromPartials(truncatedNormalStandardQuantileForward(alpha, beta, p), alpha.shape, beta.shape, p.shape)
}

/// H(α, β) = log Z + (αφ(α) − βφ(β))/(2Z), the entropy of the standardized family less
/// ½ log 2πe; with rₐ = φ(α)/Z, r_b = φ(β)/Z and m = (α·rₐ − β·r_b)/2:
/// ∂α = −rₐ + rₐ(1 − α²)/2 + rₐ·m, ∂β = r_b − r_b(1 − β²)/2 − r_b·m.
@differentiable(reverse)
func truncatedNormalStandardEntropy(_ alpha: Tensor, _ beta: Tensor) -> Tensor {
    truncatedNormalStandardEntropyForward(alpha, beta).value
}

func truncatedNormalStandardEntropyForward(_ alpha: Tensor, _ beta: Tensor) -> (value: Tensor, Tensor, Tensor) {
    elementwiseWithPartials(alpha, beta, of: "TruncatedNormal") { a, b in
        let logZ = logInterval(a, b)
        let ra = densityOverMass(a, logZ), rb = densityOverMass(b, logZ)
        let m = ((a.isInfinite ? 0 : a * ra) - (b.isInfinite ? 0 : b * rb)) / 2
        let da = a.isInfinite ? 0 : -ra + ra * (1 - a * a) / 2 + ra * m
        let db = b.isInfinite ? 0 : rb - rb * (1 - b * b) / 2 - rb * m
        return (logZ + m, da, db)
    }
}

@derivative(of: truncatedNormalStandardEntropy)
func vjpTruncatedNormalStandardEntropy(_ alpha: Tensor, _ beta: Tensor)
    -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    pullbackFromPartials(truncatedNormalStandardEntropyForward(alpha, beta), alpha.shape, beta.shape)
}
