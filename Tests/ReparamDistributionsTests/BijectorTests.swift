import ReparamDistributions
import ReparamRandom
import ReparamTensor
import ReparamTestSupport
import Testing
import _Differentiation

@Suite struct BijectorTests {
    let scalars = Tensor([-3.1, -1, -0.2, 0, 0.4, 1.3, 2.8])
    let vectors = Tensor(
        shape: [5, 3],
        scalars: [
            0.3, -1.2, 0.8, 1.5, 0.1, -0.4, -2, 0.7, 0.2,
            0.05, 0.9, -1.1, 1.1, -0.6, 2.2,
        ])

    @Test func elementwiseLaws() {
        let positive = Tensor([0.01, 0.3, 1, 2.5, 9, 40, 0.7])
        let unit = Tensor([-0.999, -0.7, -0.1, 0, 0.2, 0.8, 0.995])
        let cases: [(String, BijectorLawReport, Float)] = [
            ("Shift", checkBijectorLaws(Shift(Tensor(0.7)), at: scalars), 1e-6),
            ("Scale", checkBijectorLaws(Scale(Tensor(-2.5)), at: scalars), 1e-6),
            ("Affine", checkBijectorLaws(Affine(shift: Tensor(0.3), scale: Tensor(0.2)), at: scalars), 1e-6),
            ("Exp", checkBijectorLaws(Exp(), at: scalars), 1e-6),
            ("Sigmoid", checkBijectorLaws(Sigmoid(), at: scalars), 1e-5),
            ("Tanh", checkBijectorLaws(Tanh(), at: scalars), 1e-4),
            ("Softplus", checkBijectorLaws(Softplus(), at: scalars), 1e-5),
            ("Inverse<Exp> on y > 0", checkBijectorLaws(Exp().inverted, at: positive), 1e-5),
            ("Inverse<Tanh> on (−1, 1)", checkBijectorLaws(Tanh().inverted, at: unit), 1e-4),
            ("Inverse<Softplus> on y > 0", checkBijectorLaws(Softplus().inverted, at: positive), 1e-4),
            ("Exp then Softplus", checkBijectorLaws(Exp().then(Softplus()), at: scalars), 1e-5),
        ]
        for (name, report, tolerance) in cases { #expect(report.worst < tolerance, "\(name): \(report)") }
    }

    /// Where tanh x and σ(x) round to their bounds, the log-determinants stay finite and right.
    @Test func saturatingLogDetsStayFinite() {
        let far = Tensor([-40, -20, 20, 40])
        let tanhLogDet = Tanh().forwardLogDetJacobian(far)
        let sigmoidLogDet = Sigmoid().forwardLogDetJacobian(far)
        // log(1 − tanh² x) ≈ log 4 − 2|x| and log σ(x)σ(−x) ≈ −|x| for large |x|.
        for (i, x) in far.scalars.enumerated() {
            #expect(Swift.abs(tanhLogDet.scalars[i] - (1.3862944 - 2 * Swift.abs(x))) < 1e-4)
            #expect(Swift.abs(sigmoidLogDet.scalars[i] + Swift.abs(x)) < 1e-4)
        }
    }

    @Test func vectorLaws() {
        let key = RandomKey(seed: 5)
        let lu = LULinear(
            lower: key.fold(in: 1).normal([3, 3]), upper: key.fold(in: 2).normal([3, 3]),
            logDiagonal: Tensor([0.3, -0.5, 0.1]), bias: Tensor([0.1, 0.2, -0.3]), permutation: [2, 0, 1])
        let actNorm = ActNorm(standardizingForwardOf: vectors)
        let cases: [(String, BijectorLawReport, Float)] = [
            ("Permutation", checkBijectorLaws(Permutation([1, 2, 0]), at: vectors), 1e-6),
            ("Reverse", checkBijectorLaws(Permutation.reverse(count: 3), at: vectors), 1e-6),
            ("LULinear", checkBijectorLaws(lu, at: vectors), 1e-4),
            ("ActNorm", checkBijectorLaws(actNorm, at: vectors), 1e-5),
            ("Chain of LULinear", checkBijectorLaws(Chain([lu, LULinear(size: 3, key: key)]), at: vectors), 1e-4),
            ("Inverse<Chain>", checkBijectorLaws(Chain([lu, lu]).inverted, at: vectors), 1e-4),
            // Rank 0 then rank 1: the elementwise log-determinant is summed over the event.
            ("Tanh then LULinear", checkBijectorLaws(Tanh().then(lu), at: vectors), 1e-4),
        ]
        for (name, report, tolerance) in cases { #expect(report.worst < tolerance, "\(name): \(report)") }
    }

    @Test func actNormStandardizesItsInitializingBatch() {
        for (bijector, output) in [
            (ActNorm(standardizingForwardOf: vectors), { (b: ActNorm) in b.forward(vectors) }),
            (ActNorm(standardizingInverseOf: vectors), { (b: ActNorm) in b.inverse(vectors) }),
        ] {
            let z = output(bijector)
            let mean = z.mean(alongAxes: [0])
            let variance = square(z - mean).mean(alongAxes: [0])
            #expect(mean.scalars.allSatisfy { Swift.abs($0) < 1e-5 })
            #expect(variance.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-4 })
        }
    }

    /// Gradients of the parameters of LULinear, ActNorm and a chain, through the flow density
    /// log p(y) that training uses, against central differences.
    @Test func parameterGradientsMatchFiniteDifferences() {
        let base = Normal(loc: Tensor.zeros([3]), scale: Tensor.ones([3]))
        let lu = LULinear(size: 3, key: RandomKey(seed: 8))
        func density(_ lower: Tensor, _ logDiagonal: Tensor, _ shift: Tensor) -> Float {
            var f = lu
            f.lower = lower
            f.logDiagonal = logDiagonal
            let flow = TransformedDistribution(
                base: base, bijector: f.then(ActNorm(shift: shift, logScale: Tensor([0.2, -0.1, 0.3]))))
            return flow.logProb(vectors).sumToFloat()
        }
        let lower = RandomKey(seed: 9).normal([3, 3])
        let logDiagonal = Tensor([0.2, -0.3, 0.5])
        let shift = Tensor([0.1, 0, -0.2])
        let (gl, gd, gs) = gradient(at: lower, logDiagonal, shift) { density($0, $1, $2) }
        let nl = GradientCheck.numericalGradient(of: { density($0, logDiagonal, shift) }, at: lower)
        let nd = GradientCheck.numericalGradient(of: { density(lower, $0, shift) }, at: logDiagonal)
        let ns = GradientCheck.numericalGradient(of: { density(lower, logDiagonal, $0) }, at: shift)
        #expect(GradientCheck.maxRelativeError(gl, nl) < 2e-3, "lower: \(gl) vs \(nl)")
        #expect(GradientCheck.maxRelativeError(gd, nd) < 2e-3, "logDiagonal: \(gd) vs \(nd)")
        #expect(GradientCheck.maxRelativeError(gs, ns) < 2e-3, "shift: \(gs) vs \(ns)")
    }

    /// A 2-D transformed density integrates to 1: a Gaussian pushed through a linear map and a
    /// tanh onto the square (−1, 1)², midpoint rule on a 400 × 400 grid.
    @Test func twoDimensionalDensityIntegratesToOne() {
        let lu = LULinear(
            lower: Tensor(shape: [2, 2], scalars: [0, 0, 0.8, 0]),
            upper: Tensor(shape: [2, 2], scalars: [0, -0.5, 0, 0]),
            logDiagonal: Tensor([-0.4, 0.2]), bias: Tensor([0.2, -0.1]), permutation: [1, 0])
        let flow = TransformedDistribution(
            base: Normal(loc: Tensor.zeros([2]), scale: Tensor.ones([2])), bijector: lu.then(Tanh()))
        #expect(flow.eventShape == [2] && flow.batchShape == [])
        let m = 400
        let h = 2 / Float(m)
        let points = (0..<(m * m)).flatMap { k -> [Float] in
            [-1 + h * (Float(k / m) + 0.5), -1 + h * (Float(k % m) + 0.5)]
        }
        let density = exp(flow.logProb(Tensor(shape: [m * m, 2], scalars: points)))
        let total = density.scalars.reduce(0.0) { $0 + Double($1) } * Double(h * h)
        #expect(Swift.abs(total - 1) < 5e-3, "∫p = \(total)")
    }

    /// The three families now built on TransformedDistribution give the values of their former
    /// closed forms (written out here): LogNormal and TanhNormal bit for bit, RelaxedBernoulli
    /// (whose temperature now enters as Logistic(l/T, 1/T)) to float rounding.
    @Test func reexpressedFamiliesKeepTheirValues() {
        let key = RandomKey(seed: 12)
        let loc = Tensor([0.3, -1.2, 0.8])
        let scale = Tensor([0.5, 1.1, 2.0])
        let normal = Normal(loc: loc, scale: scale)
        let x = normal.rsample(key, sampleShape: [4])

        let logNormal = LogNormal(loc: loc, scale: scale)
        #expect(logNormal.rsample(key, sampleShape: [4]) == exp(x))
        let z = exp(x)
        #expect(logNormal.logProb(z) == normal.logProb(log(z)) - log(z))
        #expect(logNormal.logProb(Tensor([-1, 0, 2])).scalars[0...1].allSatisfy { $0 == -.infinity })

        let tanhNormal = TanhNormal(loc: loc, scale: scale)
        #expect(tanhNormal.rsample(key, sampleShape: [4]) == tanh(x))
        let oldPreSquash = normal.logProb(x) - 2 * (0.69314718056 - x - softplus(-2 * x))
        #expect(tanhNormal.logProb(preSquash: x) == oldPreSquash)
        let y = Tensor([-0.9, 0.1, 0.6])
        #expect(
            tanhNormal.logProb(y) == TanhNormal(loc: loc, scale: scale).logProb(preSquash: 0.5 * (log1p(y) - log1p(-y)))
        )
        let both = tanhNormal.rsampleWithLogProb(key, sampleShape: [4])
        #expect(both.slice(axis: 0, 1..<2).reshaped(to: [4, 3]) == oldPreSquash)

        let t: Float = 0.7
        let logits = Tensor([-1.5, 0.2, 2.5])
        let relaxed = RelaxedBernoulli(temperature: t, logits: logits)
        let u = key.openUniform([4, 3])
        let oldLogit = (logits + (log(u) - log1p(-u))) / t
        #expect(GradientCheck.maxRelativeError(relaxed.rsampleLogit(key, sampleShape: [4]), oldLogit) < 1e-6)
        #expect(GradientCheck.maxRelativeError(relaxed.rsample(key, sampleShape: [4]), sigmoid(oldLogit)) < 1e-6)
        let oldLogitDensity =
            Float(Special.log(Double(t))) + logits - t * oldLogit - 2 * softplus(logits - t * oldLogit)
        #expect(GradientCheck.maxRelativeError(relaxed.logProb(logit: oldLogit), oldLogitDensity) < 1e-5)
        let v = Tensor([0.05, 0.5, 0.97])
        let s = log(v) - log1p(-v)
        let oldDensity =
            Float(Special.log(Double(t))) + logits - t * s - 2 * softplus(logits - t * s) - log(v) - log1p(-v)
        #expect(GradientCheck.maxRelativeError(relaxed.logProb(v), oldDensity) < 1e-5)
    }
}
