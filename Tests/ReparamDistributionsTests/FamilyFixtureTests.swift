import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing

/// One reference case from Fixtures/families.json (scipy.stats; scripts/generate_distribution_fixtures.py).
struct FamilyCase: CustomTestStringConvertible, Sendable {
    let family: String
    let params: [String: Float]
    let x: [Float]
    let logProb: [Double], cdf: [Double]
    let entropy: Double, mean: Double, variance: Double
    /// Probabilities far into both tails (float32) and scipy's quantiles there.
    let tailP: [Float], tailQuantile: [Double]
    /// Points where the CDF is 1e-8, ½ and 1 − 1e-8, and scipy's log CDF, log survival and survival there.
    let tailX: [Float], logCDF: [Double], logSurvival: [Double], survival: [Double]
    var testDescription: String { "\(family)\(params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })" }

    static func load() -> [FamilyCase] {
        guard let url = Bundle.module.url(forResource: "families", withExtension: "json", subdirectory: "Fixtures"),
            let data = try? Data(contentsOf: url),
            let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else {
            return []
        }
        func number(_ value: Any?) -> Double {
            switch value {
            case let d as Double: d
            case let s as String: s == "inf" ? .infinity : s == "-inf" ? -.infinity : .nan
            default: .nan
            }
        }
        return entries.map { e in
            FamilyCase(
                family: e["family"] as! String,
                params: (e["params"] as! [String: Any]).mapValues { Float(number($0)) },
                x: (e["x"] as! [Double]).map(Float.init),
                logProb: e["logProb"] as! [Double], cdf: e["cdf"] as! [Double],
                entropy: number(e["entropy"]), mean: number(e["mean"]), variance: number(e["variance"]),
                tailP: (e["tailP"] as? [Double] ?? []).map(Float.init),
                tailQuantile: (e["tailQuantile"] as? [Any] ?? []).map(number),
                tailX: (e["tailX"] as? [Double] ?? []).map(Float.init),
                logCDF: (e["logCDF"] as? [Any] ?? []).map(number),
                logSurvival: (e["logSurvival"] as? [Any] ?? []).map(number),
                survival: (e["survival"] as? [Any] ?? []).map(number))
        }
    }
}

/// The family a case names, with its parameters as rank-0 tensors.
func makeFamily(_ name: String, _ p: [String: Float]) -> any (HasEntropy & Reparameterizable) {
    func t(_ key: String) -> Tensor { Tensor(p[key]!) }
    switch name {
    case "Normal": return Normal(loc: t("loc"), scale: t("scale"))
    case "Laplace": return Laplace(loc: t("loc"), scale: t("scale"))
    case "Gumbel": return Gumbel(loc: t("loc"), scale: t("scale"))
    case "Logistic": return Logistic(loc: t("loc"), scale: t("scale"))
    case "Cauchy": return Cauchy(loc: t("loc"), scale: t("scale"))
    case "LogNormal": return LogNormal(loc: t("loc"), scale: t("scale"))
    case "HalfNormal": return HalfNormal(scale: t("scale"))
    case "HalfCauchy": return HalfCauchy(scale: t("scale"))
    case "Exponential": return Exponential(rate: t("rate"))
    case "Uniform": return Uniform(low: t("low"), high: t("high"))
    case "Weibull": return Weibull(scale: t("scale"), concentration: t("concentration"))
    case "Pareto": return Pareto(scale: t("scale"), alpha: t("alpha"))
    case "Gamma": return Gamma(concentration: t("concentration"), rate: t("rate"))
    case "Chi2": return Chi2(degreesOfFreedom: t("degreesOfFreedom"))
    case "InverseGamma": return InverseGamma(concentration: t("concentration"), scale: t("scale"))
    case "Beta": return Beta(alpha: t("alpha"), beta: t("beta"))
    case "StudentT": return StudentT(degreesOfFreedom: t("degreesOfFreedom"), loc: t("loc"), scale: t("scale"))
    case "TruncatedNormal": return TruncatedNormal(loc: t("loc"), scale: t("scale"), low: t("low"), high: t("high"))
    default: preconditionFailure("unknown family \(name)")
    }
}

/// Φ(∓α)/Z for a truncated normal's parameters: how much the CDF's two tail masses cancel.
func truncatedTailRatio(_ p: [String: Float]) -> Double {
    var alpha = Double((p["low"]! - p["loc"]!) / p["scale"]!), beta = Double((p["high"]! - p["loc"]!) / p["scale"]!)
    if alpha > 0 { (alpha, beta) = (-beta, -alpha) }
    let lower = 0.5 * erfc(-alpha / 2.0.squareRoot()), upper = 0.5 * erfc(-beta / 2.0.squareRoot())
    return upper / (upper - lower)
}

/// Float32 formulas of ~10 operations, each within ½ ulp (6e-8), with conditioning up to ~10×
/// (differences such as x − μ, squares): 2e-5 relative leaves margin without hiding a wrong term.
let formulaTolerance = 2e-5

func close(_ got: Float, _ expected: Double, floor: Double = 1) -> Bool {
    if expected.isNaN { return got.isNaN }
    if expected.isInfinite { return Double(got) == expected }
    return Swift.abs(Double(got) - expected) <= formulaTolerance * Swift.max(floor, Swift.abs(expected))
}

@Suite struct FamilyFixtureTests {
    static let cases = FamilyCase.load()

    @Test func fixturesLoaded() { #expect(Self.cases.count >= 40) }

    @Test(arguments: FamilyFixtureTests.cases)
    func densityCDFAndMomentsMatchScipy(_ c: FamilyCase) {
        let d = makeFamily(c.family, c.params)
        let x = Tensor(c.x)
        let logProb = d.logProb(x)
        let cdf = (d as? any HasCDF)?.cdf(x)
        for i in 0..<c.x.count {
            #expect(
                close(logProb.scalars[i], c.logProb[i]),
                "logProb(\(c.x[i])) = \(logProb.scalars[i]), scipy \(c.logProb[i])")
            if let cdf {
                // A truncated normal's CDF is a difference of two tail masses, each rounded to
                // Float: add a few ε of the larger mass relative to the normalizer, Φ(∓α)/Z.
                let tailTerm = c.family == "TruncatedNormal" ? 16 * 0x1p-24 * truncatedTailRatio(c.params) : 0
                #expect(
                    close(cdf.scalars[i], c.cdf[i], floor: 1e-3 * c.cdf[i] + 5e-3)
                        || Swift.abs(Double(cdf.scalars[i]) - c.cdf[i]) <= tailTerm,
                    "cdf(\(c.x[i])) = \(cdf.scalars[i]), scipy \(c.cdf[i])")
            }
        }
        #expect(close(d.entropy().scalarValue, c.entropy), "entropy \(d.entropy().scalarValue), scipy \(c.entropy)")
        #expect(close(d.mean.scalarValue, c.mean, floor: 1e-6), "mean \(d.mean.scalarValue), scipy \(c.mean)")
        #expect(
            close(d.variance.scalarValue, c.variance, floor: 1e-12),
            "variance \(d.variance.scalarValue), scipy \(c.variance)")
    }

    /// The quantile function at p = 10⁻⁶, 10⁻³, 0.3, 0.999 and 1 − 10⁻⁶ against scipy's: within
    /// 2e-5 relative (a few Float roundings of a well-conditioned formula) or 1e-6 of the scale's
    /// order where the quantile crosses zero; a quantile beyond Float's range must be infinite.
    @Test(arguments: FamilyFixtureTests.casesWithCDF)
    func icdfMatchesScipyInTheTails(_ c: FamilyCase) throws {
        let d = try #require(makeFamily(c.family, c.params) as? any HasCDF)
        let x = d.icdf(Tensor(c.tailP))
        let spread = Swift.abs(c.tailQuantile[3] - c.tailQuantile[1])
        for (i, expected) in c.tailQuantile.enumerated() {
            let got = x.scalars[i]
            if Swift.abs(expected) > Double(Float.greatestFiniteMagnitude) {
                #expect(
                    got.isInfinite && (got < 0) == (expected < 0), "icdf(\(c.tailP[i])) = \(got), scipy \(expected)")
                continue
            }
            #expect(
                Swift.abs(Double(got) - expected) <= 2e-5 * Swift.abs(expected) + 1e-6 * spread,
                "icdf(\(c.tailP[i])) = \(got), scipy \(expected)")
        }
    }

    /// Families whose upper tail has its own form (a closed form, the lower tail mirrored, or the
    /// upper incomplete Gamma function): all of them (Beta from x = ½ up, where these fixtures'
    /// upper points lie). A family that took survival as the default 1 − F would be checked at the
    /// median alone, since 1 − F rounds to 0 once F rounds to 1.
    static let closedFormUpperTail: Set<String> = [
        "Normal", "LogNormal", "HalfNormal", "Exponential", "Pareto", "Weibull", "Logistic", "Gumbel", "Laplace",
        "Cauchy", "HalfCauchy", "StudentT", "Uniform", "Gamma", "Chi2", "InverseGamma", "Beta", "TruncatedNormal",
    ]

    /// logCDF, logSurvival and survival where the CDF is 1e-8, ½ and 1 − 1e-8: logs within 1e-4
    /// absolute or relative, survival within 2e-4 relative (the argument's Float rounding moves a
    /// tail probability by density·ulp(x), up to ~1e-5 of it in these tails).
    @Test(arguments: FamilyFixtureTests.casesWithCDF)
    func tailFunctionsMatchScipy(_ c: FamilyCase) throws {
        let d = try #require(makeFamily(c.family, c.params) as? any HasCDF)
        let x = Tensor(c.tailX)
        let (logCDF, logSurvival, survival) = (d.logCDF(x), d.logSurvival(x), d.survival(x))
        let upperChecked = Self.closedFormUpperTail.contains(c.family)
        func near(_ got: Float, _ expected: Double, _ relative: Double) -> Bool {
            Swift.abs(Double(got) - expected) <= relative * Swift.max(1, Swift.abs(expected))
        }
        for i in c.tailX.indices {
            #expect(
                near(logCDF.scalars[i], c.logCDF[i], 1e-4),
                "logCDF(\(c.tailX[i])) = \(logCDF.scalars[i]), scipy \(c.logCDF[i])")
            guard upperChecked || c.survival[i] > 1e-3 else { continue }
            #expect(
                near(logSurvival.scalars[i], c.logSurvival[i], 1e-4),
                "logSurvival(\(c.tailX[i])) = \(logSurvival.scalars[i]), scipy \(c.logSurvival[i])")
            #expect(
                Swift.abs(Double(survival.scalars[i]) - c.survival[i]) <= 2e-4 * c.survival[i],
                "survival(\(c.tailX[i])) = \(survival.scalars[i]), scipy \(c.survival[i])")
        }
    }

    /// icdf inverts cdf up to the float grid: x = icdf(p) can only land within half an ulp of
    /// the true quantile, which moves the CDF by density(x)·ulp(x)/2 (plus the formulas' own error).
    static let casesWithCDF = cases.filter { makeFamily($0.family, $0.params) is any HasCDF }

    @Test(arguments: FamilyFixtureTests.casesWithCDF)
    func icdfInvertsCDF(_ c: FamilyCase) throws {
        let d = try #require(makeFamily(c.family, c.params) as? any HasCDF)
        let p = Tensor([0.05, 0.3, 0.5, 0.7, 0.95])
        let x = d.icdf(p)
        let back = d.cdf(x), density = exp(d.logProb(x))
        for i in 0..<p.count where x.scalars[i] >= Float.leastNormalMagnitude || x.scalars[i] < 0 {
            // (Quantiles that underflow to 0 — Gamma(α = 1e-3) — cannot round-trip in Float.)
            let grid = density.scalars[i] * x.scalars[i].ulp
            #expect(
                Swift.abs(back.scalars[i] - p.scalars[i]) <= grid + 1e-5,
                "cdf(icdf(\(p.scalars[i]))) = \(back.scalars[i]) (grid step \(grid))")
        }
    }

    /// Reparameterized draws: P(Z ≤ F⁻¹(p)) within 5 binomial standard errors of p, and the
    /// sample mean within 5 standard errors of the mean where the variance is finite.
    @Test(arguments: FamilyFixtureTests.cases)
    func rsampleHasTheRightDistribution(_ c: FamilyCase) {
        let d = makeFamily(c.family, c.params)
        let n = 100_000
        let withCDF = d as? any HasCDF
        let z = d.rsample(RandomKey(seed: 5).fold(in: UInt64(c.x.count)), sampleShape: [n]).scalars
        #expect(z.count == n)
        for p: Float in withCDF == nil ? [] : [0.1, 0.5, 0.9] {
            let q = withCDF!.icdf(Tensor(p)).scalarValue
            // A quantile below the smallest normal float (Gamma with α = 1e-3) rounds to 0 like
            // the draws under it; such a quantile says nothing about the sampler.
            if q < Float.leastNormalMagnitude && q >= 0 { continue }
            let fraction = Double(z.lazy.filter { $0 <= q }.count) / Double(n)
            let se = (Double(p) * Double(1 - p) / Double(n)).squareRoot()
            #expect(Swift.abs(fraction - Double(p)) < 5 * se + 1e-4, "P(Z ≤ \(q)) = \(fraction), expected \(p)")
        }
        if c.variance.isFinite && c.variance > 0 {
            let mean = z.reduce(0.0) { $0 + Double($1) } / Double(n)
            #expect(
                Swift.abs(mean - c.mean) < 5 * (c.variance / Double(n)).squareRoot() + 1e-6 * Swift.abs(c.mean),
                "sample mean \(mean), expected \(c.mean)")
        }
    }
}

@Suite struct ValidationTests {
    @Test func invalidParameterIsNamedToTheElement() {
        #expect(
            throws: DistributionError(
                distribution: "Normal", parameter: "scale", index: 1, value: -0.5,
                requirement: "must be positive and finite")
        ) {
            try Normal.validated(loc: Tensor([0, 0]), scale: Tensor([1, -0.5]))
        }
        #expect(throws: DistributionError.self) { try Exponential.validated(rate: Tensor([1, .nan])) }
        #expect(throws: DistributionError.self) { try Uniform.validated(low: Tensor([0, 2]), high: Tensor([1, 1])) }
        #expect(throws: DistributionError.self) {
            try Normal.validated(loc: Tensor([0, 0, 0]), scale: Tensor([1, 1]))
        }
        #expect(throws: DistributionError.self) {
            try Weibull.validated(scale: Tensor([1]), concentration: Tensor([-.infinity]))
        }
    }

    @Test func valuesOutsideTheSupport() throws {
        let e = try Exponential.validated(rate: Tensor([2]))
        #expect(throws: DistributionError.self) { try e.validate(value: Tensor([0.5, -1])) }
        #expect(e.logProb(Tensor([-1])).scalarValue == -.infinity)
        let u = try Uniform.validated(low: Tensor(0), high: Tensor(1))
        #expect(throws: DistributionError.self) { try u.validate(value: Tensor([0.5, 1.5])) }
        #expect(u.logProb(Tensor([0.5, 1.5])).scalars == [0, -.infinity])
    }

    /// Scoped to this test's task: tests running beside it keep validating.
    @Test func validationCanBeSwitchedOff() throws {
        DistributionValidation.withValidation(false) {
            #expect(throws: Never.self) { try Normal.validated(loc: Tensor(0), scale: Tensor(-1)) }
        }
        #expect(throws: DistributionError.self) { try Normal.validated(loc: Tensor(0), scale: Tensor(-1)) }
    }

    @Test func descriptionNamesEverything() {
        let error = DistributionError(
            distribution: "Normal", parameter: "scale", index: 3, value: -2, requirement: "must be positive and finite")
        #expect(error.description == "Normal: scale[3] = -2.0 is invalid (must be positive and finite)")
    }
}
