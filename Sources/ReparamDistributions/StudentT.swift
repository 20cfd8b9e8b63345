import ReparamRandom
import ReparamTensor
import _Differentiation

/// Student's t(ν, loc μ, scale σ). Reparameterized as z = μ + σ·ε·√(ν/(2G)) with ε ~ N(0, 1)
/// and G ~ Gamma(ν/2, 1): pathwise in μ and σ, implicit (through G) in ν.
public struct StudentT: ImplicitlyReparameterizable, HasEntropy, HasCDF {
    public var degreesOfFreedom: Tensor
    public var loc: Tensor
    public var scale: Tensor

    @differentiable(reverse)
    public init(degreesOfFreedom: Tensor, loc: Tensor, scale: Tensor) {
        self.degreesOfFreedom = degreesOfFreedom
        self.loc = loc
        self.scale = scale
    }

    public static func validated(degreesOfFreedom: Tensor, loc: Tensor, scale: Tensor) throws -> StudentT {
        _ = try checkShapes(
            [("degreesOfFreedom", degreesOfFreedom.shape), ("loc", loc.shape), ("scale", scale.shape)], of: "StudentT")
        try check(degreesOfFreedom, "degreesOfFreedom", of: "StudentT", .positive)
        try check(loc, "loc", of: "StudentT", .finite)
        try check(scale, "scale", of: "StudentT", .positive)
        return StudentT(degreesOfFreedom: degreesOfFreedom, loc: loc, scale: scale)
    }

    public func validate(value: Tensor) throws { try check(value, "value", of: "StudentT", .finite) }

    public var batchShape: [Int] { joinedShape(degreesOfFreedom.shape, loc.shape, scale.shape, of: "StudentT") }
    public var eventShape: [Int] { [] }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = withoutDerivative(at: self).batchShape
        let keys = withoutDerivative(at: key.split(2))
        let epsilon = keys[0].normal(sampleShape + shape)
        let g = standardGammaSample(expand(degreesOfFreedom / 2, to: shape), key: keys[1], sampleShape: sampleShape)
        return loc + scale * epsilon * sqrt(degreesOfFreedom / (2 * g))
    }

    /// lnΓ((ν+1)/2) − lnΓ(ν/2) − ½ log(νπ) − log σ − (ν+1)/2 · log(1 + z²/ν), with
    /// log(1 + z²/ν) = 2 log|z| − log ν beyond |z| = 10¹⁵, where z² overflows Float (a t with
    /// ν = 0.1 puts 10⁻⁴ of its mass beyond 10³⁶).
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        let nu = degreesOfFreedom
        let large = withoutDerivative(at: z.map { Swift.abs($0) > 1e15 ? 1 : 0 })
        // Each path reads a harmless constant where the other is taken: no overflow, no log 0.
        let shape = withoutDerivative(at: z.shape)
        let moderate = select(large, withoutDerivative(at: Tensor.zeros(shape)), z)
        let huge = select(large, z, withoutDerivative(at: Tensor(repeating: 1, shape: shape)))
        let logTerm = select(
            large, expand(2 * log(abs(huge)) - log(nu), to: shape),
            expand(log1p(square(moderate) / nu), to: shape))
        return lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Float.pi) - log(scale) - (nu + 1) / 2 * logTerm
    }

    /// ½·I_{ν/(ν+z²)}(ν/2, ½) below μ, 1 − that above, in Double (`studentTStandardCDF`).
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor { studentTStandardCDF(degreesOfFreedom, (value - loc) / scale) }

    /// F(−z) by symmetry, the lower tail's Double form
    @differentiable(reverse)
    public func survival(_ value: Tensor) -> Tensor { studentTStandardCDF(degreesOfFreedom, (loc - value) / scale) }

    /// μ + σ·t with t the standard quantile, computed in Double (`studentTStandardQuantile`).
    @differentiable(reverse)
    public func icdf(_ probability: Tensor) -> Tensor {
        loc + scale * studentTStandardQuantile(degreesOfFreedom, probability)
    }

    /// (ν+1)/2·(ψ((ν+1)/2) − ψ(ν/2)) + ½ log ν + log B(ν/2, ½) + log σ
    @differentiable(reverse)
    public func entropy() -> Tensor {
        let nu = degreesOfFreedom
        let logBeta = lgamma(nu / 2) + 0.5723649429247001 - lgamma((nu + 1) / 2)  // lnΓ(½) = ½ log π
        return (nu + 1) / 2 * (digamma((nu + 1) / 2) - digamma(nu / 2)) + 0.5 * log(nu) + logBeta + log(scale)
    }

    /// μ for ν > 1, else NaN.
    public var mean: Tensor {
        let m = expand(loc, to: batchShape)
        return select(
            degreesOfFreedom.map { $0 > 1 ? 1 : 0 }.broadcasted(to: m.shape), m, Tensor(repeating: .nan, shape: m.shape)
        )
    }

    /// σ²ν/(ν − 2) for ν > 2, ∞ for 1 < ν ≤ 2, NaN otherwise.
    public var variance: Tensor {
        let v = expand(square(scale) * degreesOfFreedom / (degreesOfFreedom - 2), to: batchShape)
        let nu = degreesOfFreedom.broadcasted(to: v.shape).scalars
        return Tensor(
            shape: v.shape, scalars: (0..<v.count).map { nu[$0] > 2 ? v.scalars[$0] : (nu[$0] > 1 ? .infinity : .nan) })
    }
}

/// The standard t quantile sign(p − ½)·√(ν(1 − x)/x) with x = I⁻¹_{2q}(ν/2, ½), q = min(p, 1 − p),
/// in Double: at ν = 0.1 and p = 10⁻³, x is 1e-61 (below Float's range) and t is 3e29, which Float
/// holds. Partials: ∂t/∂p = 1/f(t), f the t density; ∂t/∂ν from I_x(ν/2, ½) = 2q with
/// x = ν/(ν + t²) held fixed: ∂t/∂ν = −(½·∂I/∂a + I′·t²/(ν + t²)²)/(I′·∂x/∂t), ∂x/∂t = −2νt/(ν + t²)²,
/// I′ the Beta(ν/2, ½) density at x.
@differentiable(reverse)
func studentTStandardQuantile(_ nu: Tensor, _ p: Tensor) -> Tensor { studentTStandardQuantileForward(nu, p).value }

func studentTStandardQuantileForward(_ nu: Tensor, _ p: Tensor) -> (value: Tensor, Tensor, Tensor) {
    elementwiseWithPartials(nu, p, of: "StudentT") { v, p in
        guard p >= 0 && p <= 1 && v > 0 else { return (.nan, .nan, .nan) }
        if p == 0.5 {  // t = 0: ∂t/∂p = 1/f(0) = √(νπ)·Γ(ν/2)/Γ((ν+1)/2)
            return (
                0, 0,
                Special.exp(0.5 * Special.log(v * Double.pi) + Special.lgamma(v / 2) - Special.lgamma((v + 1) / 2))
            )
        }
        let q = Swift.min(p, 1 - p), sign: Double = p < 0.5 ? -1 : 1
        if q == 0 { return (sign * .infinity, 0, .infinity) }
        let x = Special.betaQuantile(v / 2, 0.5, 2 * q)
        let t = sign * (v * (1 - x) / x).squareRoot()
        let logDensity =
            Special.lgamma((v + 1) / 2) - Special.lgamma(v / 2) - 0.5 * Special.log(v * Double.pi)
            - (v + 1) / 2 * Special.log1p(t * t / v)
        let dp = Special.exp(-logDensity)
        let denominator = (v + t * t) * (v + t * t)
        let slope = Special.exp(Special.logBetaDensity(v / 2, 0.5, x))  // I′ at x
        let dIdA = Special.regularizedIncompleteBeta(v / 2, 0.5, x).derivativeA
        let dxdt = -2 * v * t / denominator
        let dv = -(0.5 * dIdA + slope * t * t / denominator) / (slope * dxdt)
        return (t, dv, dp)
    }
}

@derivative(of: studentTStandardQuantile)
func vjpStudentTStandardQuantile(_ nu: Tensor, _ p: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    pullbackFromPartials(studentTStandardQuantileForward(nu, p), nu.shape, p.shape)
}

/// The standard t CDF: ½·I_x(ν/2, ½) below 0 and 1 − that above, x = ν/(ν + z²) formed in Double
/// (at ν = 0.1, z = 10³⁶ it is 1e-73, below Float's range, while the CDF is still 10⁻⁴).
/// Partials: ∂z = f(z), the t density; ∂ν = ∓½(½·∂I/∂a + I′(x)·z²/(ν + z²)²), − above 0.
@differentiable(reverse)
func studentTStandardCDF(_ nu: Tensor, _ z: Tensor) -> Tensor { studentTStandardCDFForward(nu, z).value }

func studentTStandardCDFForward(_ nu: Tensor, _ z: Tensor) -> (value: Tensor, Tensor, Tensor) {
    elementwiseWithPartials(nu, z, of: "StudentT") { v, z in
        guard v > 0 && !z.isNaN else { return (.nan, .nan, .nan) }
        if z.isInfinite { return (z < 0 ? 0 : 1, 0, 0) }
        let zz = z * z, x = v / (v + zz)
        let incomplete = Special.regularizedIncompleteBeta(v / 2, 0.5, x)
        let tail = 0.5 * incomplete.value
        let logDensity =
            Special.lgamma((v + 1) / 2) - Special.lgamma(v / 2) - 0.5 * Special.log(v * Double.pi)
            - (v + 1) / 2 * Special.log1p(zz / v)
        let slope = x > 0 ? Special.exp(Special.logBetaDensity(v / 2, 0.5, x)) : 0
        let dTail = 0.5 * (0.5 * incomplete.derivativeA + (zz > 0 ? slope * zz / ((v + zz) * (v + zz)) : 0))
        return (z < 0 ? tail : 1 - tail, z < 0 ? dTail : -dTail, Special.exp(logDensity))
    }
}

@derivative(of: studentTStandardCDF)
func vjpStudentTStandardCDF(_ nu: Tensor, _ z: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
    pullbackFromPartials(studentTStandardCDFForward(nu, z), nu.shape, z.shape)
}
