import ReparamRandom
import ReparamTensor
import _Differentiation

#if canImport(Glibc)
    import Glibc
#endif

/// von Mises(loc μ, concentration κ) on the circle, density e^{κ cos(x−μ)}/(2π I₀(κ)) on
/// [μ − π, μ + π). Draws θ ~ VonMises(0, κ) by Best–Fisher rejection; z = μ + θ is pathwise in
/// μ and implicitly reparameterized in κ through the centered CDF, dθ/dκ = −(∂F/∂κ)/q(θ).
public struct VonMises: ImplicitlyReparameterizable, HasEntropy {
    public var loc: Tensor
    public var concentration: Tensor

    @differentiable(reverse)
    public init(loc: Tensor, concentration: Tensor) {
        self.loc = loc
        self.concentration = concentration
    }

    public static func validated(loc: Tensor, concentration: Tensor) throws -> VonMises {
        _ = try checkShapes([("loc", loc.shape), ("concentration", concentration.shape)], of: "VonMises")
        try check(loc, "loc", of: "VonMises", .finite)
        try check(concentration, "concentration", of: "VonMises", .nonNegative)
        return VonMises(loc: loc, concentration: concentration)
    }

    public var batchShape: [Int] { joinedShape(loc.shape, concentration.shape, of: "VonMises") }
    public var eventShape: [Int] { [] }

    /// θ ~ VonMises(0, κ) per element (Best–Fisher), redrawing rejected elements from folded keys.
    func centeredDraws(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let shape = sampleShape + batchShape
        let kappas = concentration.broadcasted(to: shape).scalars.map(Double.init)
        var result = [Float](repeating: 0, count: kappas.count)
        var pending = Array(0..<kappas.count)
        var round: UInt64 = 0
        while !pending.isEmpty {
            let u = key.fold(in: round).uniform([3 * pending.count]).scalars.map { Double($0) + 0x1p-25 }
            var still: [Int] = []
            for (slot, index) in pending.enumerated() {
                let kappa = kappas[index]
                let (u1, u2, u3) = (u[3 * slot], u[3 * slot + 1], u[3 * slot + 2])
                if kappa < 1e-6 {  // effectively uniform on the circle
                    result[index] = Float(Double.pi * (2 * u1 - 1))
                    continue
                }
                let tau = 1 + (1 + 4 * kappa * kappa).squareRoot()
                let rho = (tau - (2 * tau).squareRoot()) / (2 * kappa)
                let r = (1 + rho * rho) / (2 * rho)
                let z = cos(Double.pi * u1)
                let f = (1 + r * z) / (r + z)
                let c = kappa * (r - f)
                if c * (2 - c) - u2 > 0 || log(c / u2) + 1 - c >= 0 {
                    result[index] = Float((u3 < 0.5 ? -1 : 1) * acos(Swift.max(-1, Swift.min(1, f))))
                } else {
                    still.append(index)
                }
            }
            pending = still
            round += 1
        }
        return Tensor(shape: shape, scalars: result)
    }

    public func sample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        wrapToCircle(loc + centeredDraws(key, sampleShape: sampleShape), around: loc)
    }

    @differentiable(reverse,wrt: self)
    public func rsample(_ key: RandomKey, sampleShape: [Int]) -> Tensor {
        let theta = withoutDerivative(at: centeredDraws(key, sampleShape: sampleShape))
        let kappa = expand(concentration, to: withoutDerivative(at: theta.shape))
        let density = withoutDerivative(at: exp(centeredLogDensity(theta, kappa)))
        let reparameterized = implicitlyReparameterized(
            theta, cdfAtSample: centeredVonMisesCDF(theta, kappa), density: density)
        return wrapToCircle(loc + reparameterized, around: loc)
    }

    /// κ cos(x − μ) − log 2π − log I₀(κ), with log I₀(κ) = log i0e(κ) + κ.
    @differentiable(reverse)
    public func logProb(_ value: Tensor) -> Tensor {
        concentration * cos(value - loc) - 1.8378770664093453 - log(besselI0e(concentration)) - concentration
    }

    @differentiable(reverse)
    func centeredLogDensity(_ theta: Tensor, _ kappa: Tensor) -> Tensor {
        kappa * (cos(theta) - 1) - 1.8378770664093453 - log(besselI0e(kappa))
    }

    /// P(X ≤ x) on [μ − π, μ + π), from the centered CDF at x − μ.
    @differentiable(reverse)
    public func cdf(_ value: Tensor) -> Tensor {
        let theta = value - loc
        return centeredVonMisesCDF(theta, expand(concentration, to: withoutDerivative(at: theta.shape)))
    }

    /// log(2π I₀(κ)) − κ I₁(κ)/I₀(κ)
    @differentiable(reverse)
    public func entropy() -> Tensor {
        1.8378770664093453 + log(besselI0e(concentration)) + concentration - concentration * besselI1e(concentration)
            / besselI0e(concentration)
    }

    /// The circular mean μ.
    public var mean: Tensor { loc + Tensor.zeros(batchShape) }
    /// The circular variance 1 − I₁(κ)/I₀(κ), as in torch.
    public var variance: Tensor { 1 - besselI1e(concentration) / besselI0e(concentration) + Tensor.zeros(batchShape) }
}

/// z shifted by whole turns into [center − π, center + π) (derivative 1: the shift is constant).
@differentiable(reverse,wrt: z)
func wrapToCircle(_ z: Tensor, around center: Tensor) -> Tensor {
    let shape = withoutDerivative(at: z.shape)
    let c = withoutDerivative(at: center.broadcasted(to: shape))
    let turns = withoutDerivative(
        at: Tensor(
            shape: shape,
            scalars: (0..<z.count).map { i in
                -2 * Float.pi * ((z.scalars[i] - c.scalars[i] + Float.pi) / (2 * Float.pi)).rounded(.down)
            }))
    return z + turns
}

/// F(θ; κ) = ∫_{−π}^{θ} q(t; κ) dt for θ ∈ [−π, π] (clamped), q(t) = e^{κ(cos t − 1)}/(2π i0e(κ)),
/// with ∂F/∂θ = q(θ) and ∂F/∂κ = ∫_{−π}^{θ} q(t)(cos t − I₁/I₀) dt; the integrals by adaptive
/// Simpson in Double (tolerance 1e-12).
@differentiable(reverse)
func centeredVonMisesCDF(_ theta: Tensor, _ kappa: Tensor) -> Tensor {
    vonMisesCDFForward(theta, kappa).value
}

func vonMisesCDFForward(_ theta: Tensor, _ kappa: Tensor) -> (value: Tensor, dTheta: Tensor, dKappa: Tensor) {
    var value = [Float](), dTheta = [Float](), dKappa = [Float]()
    for (t, k) in zip(theta.scalars, kappa.scalars) {
        let (f, fKappa, density) = Special.vonMisesCDF(Double(t), kappa: Double(k))
        value.append(Float(f))
        dKappa.append(Float(fKappa))
        dTheta.append(Float(density))
    }
    return (
        Tensor(shape: theta.shape, scalars: value), Tensor(shape: theta.shape, scalars: dTheta),
        Tensor(shape: theta.shape, scalars: dKappa)
    )
}

@derivative(of: centeredVonMisesCDF)
func vjpCenteredVonMisesCDF(_ theta: Tensor, _ kappa: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor))
{
    let (value, dTheta, dKappa) = vonMisesCDFForward(theta, kappa)
    return (value, { v in v.isShapelessZero ? (.zero, .zero) : (v * dTheta, v * dKappa) })
}

extension Special {
    /// (F(θ; κ), ∂F/∂κ, q(θ; κ)) for the centered von Mises on [−π, π].
    public static func vonMisesCDF(_ theta: Double, kappa: Double) -> (
        value: Double, derivativeKappa: Double, density: Double
    ) {
        let t = Swift.min(Swift.max(theta, -Double.pi), Double.pi)
        let scale = 1 / (2 * Double.pi * scaledBesselI(0, kappa))
        let ratio = scaledBesselI(1, kappa) / scaledBesselI(0, kappa)
        func integrand(_ s: Double) -> (Double, Double) {
            let q = exp(kappa * (cos(s) - 1)) * scale
            return (q, q * (cos(s) - ratio))
        }
        // By symmetry F(θ) = ½ + sign(θ)·∫₀^|θ| q, and ∂F/∂κ likewise (the half mass does not move).
        let (mass, massKappa) = adaptiveSimpson(integrand, 0, Swift.abs(t), tolerance: 1e-12)
        let sign: Double = t < 0 ? -1 : 1
        return (0.5 + sign * mass, sign * massKappa, integrand(t).0)
    }

    static func adaptiveSimpson(_ f: (Double) -> (Double, Double), _ a: Double, _ b: Double, tolerance: Double) -> (
        Double, Double
    ) {
        if b <= a { return (0, 0) }
        func simpson(_ a: Double, _ fa: (Double, Double), _ b: Double, _ fb: (Double, Double), _ fm: (Double, Double))
            -> (Double, Double)
        {
            ((b - a) / 6 * (fa.0 + 4 * fm.0 + fb.0), (b - a) / 6 * (fa.1 + 4 * fm.1 + fb.1))
        }
        func recurse(
            _ a: Double, _ fa: (Double, Double), _ b: Double, _ fb: (Double, Double), _ fm: (Double, Double),
            _ whole: (Double, Double), _ tolerance: Double, _ depth: Int
        ) -> (Double, Double) {
            let m = (a + b) / 2, lm = (a + m) / 2, rm = (m + b) / 2
            let flm = f(lm), frm = f(rm)
            let left = simpson(a, fa, m, fm, flm), right = simpson(m, fm, b, fb, frm)
            let error = Swift.max(Swift.abs(left.0 + right.0 - whole.0), Swift.abs(left.1 + right.1 - whole.1))
            if depth <= 0 || error <= 15 * tolerance {
                return (
                    left.0 + right.0 + (left.0 + right.0 - whole.0) / 15,
                    left.1 + right.1 + (left.1 + right.1 - whole.1) / 15
                )
            }
            let l = recurse(a, fa, m, fm, flm, left, tolerance / 2, depth - 1)
            let r = recurse(m, fm, b, fb, frm, right, tolerance / 2, depth - 1)
            return (l.0 + r.0, l.1 + r.1)
        }
        let fa = f(a), fb = f(b), fm = f((a + b) / 2)
        return recurse(a, fa, b, fb, fm, simpson(a, fa, b, fb, fm), tolerance, 40)
    }
}
