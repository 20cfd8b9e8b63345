import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@Suite struct MultivariateNormalTests {
    let l = Tensor(rows: [[1.2, 0, 0], [0.4, 0.7, 0], [-0.3, 0.5, 0.9]])
    let mu = Tensor([0.5, -1, 2])

    /// scipy.stats.multivariate_normal(mu, L·Lᵀ).logpdf and .entropy.
    @Test func matchesScipy() {
        let d = MultivariateNormal(loc: mu, scaleTril: l)
        let x = Tensor(rows: [[0, 0, 0], [1, -2, 3], [0.5, -1, 2], [-2, 1, 0.5]])
        let expected = [-9.355102736707071, -6.320123138169377, -2.47710169302699, -23.46392557087627]
        let got = d.logProb(x)
        #expect(got.shape == [4])
        for i in 0..<4 {
            #expect(Swift.abs(Double(got.scalars[i]) - expected[i]) <= 2e-5 * Swift.max(1, Swift.abs(expected[i])))
        }
        #expect(Swift.abs(Double(d.entropy().scalarValue) - 3.9771016930269902) < 1e-5)
    }

    /// Sample covariance within 5 standard errors of L·Lᵀ: SE(Σ̂ᵢⱼ) = √((ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/n).
    @Test func samplesHaveTheCovariance() {
        let n = 200_000
        let z = MultivariateNormal(loc: mu, scaleTril: l).rsample(RandomKey(seed: 91), sampleShape: [n])
        #expect(z.shape == [n, 3])
        let sigma = matmul(l, l, transposeB: true).scalars.map(Double.init)
        var means = [Double](repeating: 0, count: 3)
        for row in 0..<n { for j in 0..<3 { means[j] += Double(z.scalars[row * 3 + j]) / Double(n) } }
        for i in 0..<3 {
            #expect(Swift.abs(means[i] - Double(mu.scalars[i])) < 5 * (sigma[i * 3 + i] / Double(n)).squareRoot())
            for j in 0..<3 {
                var c = 0.0
                for row in 0..<n {
                    c += (Double(z.scalars[row * 3 + i]) - means[i]) * (Double(z.scalars[row * 3 + j]) - means[j])
                }
                c /= Double(n - 1)
                let se = ((sigma[i * 3 + i] * sigma[j * 3 + j] + sigma[i * 3 + j] * sigma[i * 3 + j]) / Double(n))
                    .squareRoot()
                #expect(Swift.abs(c - sigma[i * 3 + j]) < 5 * se, "Σ[\(i)][\(j)] = \(c), expected \(sigma[i * 3 + j])")
            }
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let x = Tensor(rows: [[0.3, -0.2, 1.5], [1, 0, 2.5]])
        let gl = gradient(at: l) { s in MultivariateNormal(loc: mu, scaleTril: s).logProb(x).sumToFloat() }
        let nl = GradientCheck.numericalGradient(
            of: { MultivariateNormal(loc: mu, scaleTril: $0).logProb(x).sumToFloat() }, at: l)
        // Entries above the diagonal do not enter the density: both gradients are 0 there.
        #expect(GradientCheck.maxRelativeError(gl, nl) < 2e-3)
        let gm = gradient(at: mu) { m in MultivariateNormal(loc: m, scaleTril: l).logProb(x).sumToFloat() }
        let nm = GradientCheck.numericalGradient(
            of: { MultivariateNormal(loc: $0, scaleTril: l).logProb(x).sumToFloat() }, at: mu)
        #expect(GradientCheck.maxRelativeError(gm, nm) < 2e-3)
        let b = Tensor(rows: [[1, 2], [0.5, -1], [3, 0]])
        let (gL, gB) = gradient(at: l, b) { a, c in solveLowerTriangular(a, c).sumToFloat() }
        #expect(
            GradientCheck.maxRelativeError(
                gB, GradientCheck.numericalGradient(of: { solveLowerTriangular(l, $0).sumToFloat() }, at: b)) < 2e-3)
        #expect(
            GradientCheck.maxRelativeError(
                gL, GradientCheck.numericalGradient(of: { solveLowerTriangular($0, b).sumToFloat() }, at: l)) < 2e-3)
    }

    @Test func klMatchesMonteCarloAndDiagonalMatchesIndependent() {
        let p = MultivariateNormal(loc: mu, scaleTril: l)
        let q = MultivariateNormal(
            loc: Tensor([0, 0, 1]), scaleTril: Tensor(rows: [[1, 0, 0], [0.2, 1.5, 0], [0, -0.4, 0.8]]))
        let (estimate, se) = monteCarloKL(p, q, key: RandomKey(seed: 92), samples: 400_000)
        #expect(Swift.abs(estimate.scalarValue - klDivergence(p, q).scalarValue) <= 5 * se.scalarValue)
        let g = gradient(at: mu) { m in klDivergence(MultivariateNormal(loc: m, scaleTril: l), q).sumToFloat() }
        let n = GradientCheck.numericalGradient(
            of: { klDivergence(MultivariateNormal(loc: $0, scaleTril: l), q).sumToFloat() }, at: mu)
        #expect(GradientCheck.maxRelativeError(g, n) < 2e-3)
        let scale = Tensor([0.5, 1.5, 2])
        let diagonal = MultivariateNormal.diagonal(loc: mu, scale: scale)
        let independent = Independent(Normal(loc: mu, scale: scale), reinterpretedDimensions: 1)
        let x = Tensor(rows: [[0, 1, 2], [-1, 0.5, 3]])
        #expect(GradientCheck.maxRelativeError(diagonal.logProb(x), independent.logProb(x)) < 1e-5)
    }
}

@Suite struct CovarianceConstructionTests {
    /// scipy.stats.multivariate_normal(μ, W·Wᵀ + diag(d)).logpdf.
    @Test func lowRankPlusDiagonalMatchesScipy() {
        let w = Tensor(rows: [[0.5, 0.1], [0.2, -0.3], [0, 0.4]]), d = Tensor([0.3, 0.5, 0.2])
        let dist = MultivariateNormal.lowRankPlusDiagonal(loc: Tensor([0, 1, -1]), factor: w, diagonal: d)
        let got = dist.logProb(Tensor(rows: [[0.2, 0.5, -1.3], [1, 1, 1]]))
        for (value, expected) in zip(got.scalars, [-2.2006857430667046, -8.039477899451056]) {
            #expect(
                Swift.abs(Double(value) - expected) <= 2e-5 * Swift.max(1, Swift.abs(expected)),
                "\(value) vs \(expected)")
        }
    }

    /// The Cholesky pullback against differences, through a symmetric parameterization
    /// A = (B + Bᵀ)/2 + 3I (perturbing one entry of A alone would leave the symmetric set).
    @Test func choleskyGradient() {
        let b = Tensor(rows: [[1.2, 0.3, -0.2], [0.1, 0.8, 0.4], [0.5, -0.1, 1.1]])
        let identity = Tensor.oneHot([0, 1, 2], depth: 3)
        let weights = Tensor(rows: [[1, 0, 0], [0.5, -2, 0], [0.3, 0.7, 1.5]])
        func f(_ m: Tensor) -> Float { (cholesky((m + m.transposed()) / 2 + 3 * identity) * weights).sumToFloat() }
        let analytic = gradient(at: b) { m in (cholesky((m + m.transposed()) / 2 + 3 * identity) * weights).sumToFloat()
        }
        #expect(GradientCheck.maxRelativeError(analytic, GradientCheck.numericalGradient(of: f, at: b)) < 2e-3)
        let l = cholesky(3 * identity + Tensor(rows: [[1, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 1]]))
        let back = matmul(l, l, transposeB: true)
        #expect(
            GradientCheck.maxRelativeError(
                back, 3 * identity + Tensor(rows: [[1, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 1]])) < 1e-6)
    }

    /// Dirichlet(α = 0.01 …) log density where coordinates are 1e-30 and 2e-20 (scipy.stats.dirichlet).
    @Test func dirichletTinyConcentrationDensityMatchesScipy() {
        let d = Dirichlet(concentration: Tensor([0.01, 0.01, 0.01, 0.02, 0.05]))
        let x = Tensor([
            1.0000000031710769e-30, 1.999999936531045e-20, 0.0010000000474974513, 0.30000001192092896,
            0.6989999880315736,
        ])
        #expect(Swift.abs(Double(d.logProb(x).scalarValue) - 103.23510599435379) <= 2e-5 * 103.2)
    }

    @Test func independentKLsSumTheirBases() {
        let p = Independent(
            Gamma(concentration: Tensor([1.5, 0.5]), rate: Tensor([1, 2])), reinterpretedDimensions: 1)
        let q = Independent(Gamma(concentration: Tensor([1, 1]), rate: Tensor([1, 1])), reinterpretedDimensions: 1)
        #expect(Swift.abs(klDivergence(p, q).scalarValue - klDivergence(p.base, q.base).sumToFloat()) < 1e-6)
        let bp = Independent(Bernoulli(logits: Tensor([0.3, -1])), reinterpretedDimensions: 1)
        let bq = Independent(Bernoulli(logits: Tensor([0, 2])), reinterpretedDimensions: 1)
        #expect(Swift.abs(klDivergence(bp, bq).scalarValue - klDivergence(bp.base, bq.base).sumToFloat()) < 1e-6)
    }
}

@Suite struct StructuredValidationTests {
    @Test func covarianceProblemsAreNamed() {
        #expect(
            throws: DistributionError(
                distribution: "MultivariateNormal", parameter: "covariance (Cholesky pivot)", index: 1,
                value: -3, requirement: "must be positive definite")
        ) {
            try MultivariateNormal.validated(loc: Tensor([0, 0]), covariance: Tensor(rows: [[1, 2], [2, 1]]))
        }
        #expect(throws: DistributionError.self) {
            try MultivariateNormal.validated(loc: Tensor([0, 0]), covariance: Tensor(rows: [[1, 0.5], [0.2, 1]]))
        }
        #expect(throws: DistributionError.self) {
            try MultivariateNormal.validated(loc: Tensor([0, 0, 0]), covariance: Tensor(rows: [[1, 0], [0, 1]]))
        }
        #expect(throws: Never.self) {
            try MultivariateNormal.validated(loc: Tensor([0, 0]), covariance: Tensor(rows: [[2, 0.5], [0.5, 1]]))
        }
    }

    @Test func independentDimensionsAreChecked() {
        #expect(throws: DistributionError.self) {
            try Independent.validated(Normal(loc: Tensor([0, 1]), scale: Tensor(1)), reinterpretedDimensions: 2)
        }
        #expect(throws: Never.self) {
            try Independent.validated(Normal(loc: Tensor([0, 1]), scale: Tensor(1)), reinterpretedDimensions: 1)
        }
    }
}
