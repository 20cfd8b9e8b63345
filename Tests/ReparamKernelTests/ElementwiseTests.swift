import CReparamKernels
import Foundation
import ReparamTensor
import ReparamTestSupport
import Testing

/// Inputs spanning the ranges the models use, plus edges.
func probeInputs(_ low: Float, _ high: Float, count: Int = 2001) -> [Float] {
    (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
}

struct UnaryCase: CustomTestStringConvertible, Sendable {
    let name: String, op: UInt32, low: Float, high: Float
    let reference: @Sendable (Double) -> Double
    var testDescription: String { name }
}

let unaryCases: [UnaryCase] = [
    UnaryCase(name: "exp", op: RP_UNARY_EXP.rawValue, low: -87, high: 88, reference: { Foundation.exp($0) }),
    UnaryCase(name: "log", op: RP_UNARY_LOG.rawValue, low: 1e-30, high: 1e30, reference: { Foundation.log($0) }),
    UnaryCase(name: "log small", op: RP_UNARY_LOG.rawValue, low: 0.5, high: 2, reference: { Foundation.log($0) }),
    UnaryCase(name: "log1p", op: RP_UNARY_LOG1P.rawValue, low: -0.999, high: 100, reference: { Foundation.log1p($0) }),
    UnaryCase(
        name: "log1p tiny", op: RP_UNARY_LOG1P.rawValue, low: -1e-5, high: 1e-5, reference: { Foundation.log1p($0) }),
    UnaryCase(name: "expm1", op: RP_UNARY_EXPM1.rawValue, low: -20, high: 20, reference: { Foundation.expm1($0) }),
    UnaryCase(
        name: "expm1 tiny", op: RP_UNARY_EXPM1.rawValue, low: -1e-4, high: 1e-4, reference: { Foundation.expm1($0) }),
    UnaryCase(name: "tanh", op: RP_UNARY_TANH.rawValue, low: -12, high: 12, reference: { Foundation.tanh($0) }),
    UnaryCase(
        name: "sigmoid", op: RP_UNARY_SIGMOID.rawValue, low: -80, high: 30, reference: { 1 / (1 + Foundation.exp(-$0)) }
    ),
    UnaryCase(
        name: "softplus", op: RP_UNARY_SOFTPLUS.rawValue, low: -80, high: 80,
        reference: { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) }),
    UnaryCase(
        name: "logSigmoid", op: RP_UNARY_LOG_SIGMOID.rawValue, low: -80, high: 80,
        reference: { Swift.min($0, 0) - Foundation.log1p(Foundation.exp(-Swift.abs($0))) }),
    UnaryCase(name: "sqrt", op: RP_UNARY_SQRT.rawValue, low: 0, high: 1e4, reference: { $0.squareRoot() }),
]

@Suite struct ElementwiseTests {
    /// Relative error ≤ 8 float ulps (2⁻²³·8 ≈ 1e-6) against Double libm, at every ISA level,
    /// including the scalar tail of lengths that are not a multiple of the vector width.
    @Test(arguments: unaryCases)
    func unaryMatchesLibm(_ c: UnaryCase) {
        let x = probeInputs(c.low, c.high)
        for isa in Kernels.supportedISAs {
            var y = [Float](repeating: 0, count: x.count)
            Kernels.withOverrides(isa: isa) { rp_unary(Int32(c.op), x, &y, x.count) }
            var worst = 0.0, at: Float = 0
            for (xi, yi) in zip(x, y) {
                let exact = c.reference(Double(xi))
                let error = Swift.abs(Double(yi) - exact) / Swift.max(Swift.abs(exact), 1e-37)
                if error > worst { worst = error; at = xi }
            }
            #expect(worst <= 8 * pow(2.0, -23), "\(c.name) at \(isa): relative error \(worst) at x = \(at)")
        }
    }

    @Test func specialValues() {
        let x: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 100, -100, -1]
        func run(_ op: rp_unary_op) -> [Float] {
            var y = [Float](repeating: 7, count: x.count)
            rp_unary(Int32(op.rawValue), x, &y, x.count)
            return y
        }
        let e = run(RP_UNARY_EXP)
        #expect(e[0].isNaN && e[1] == .infinity && e[2] == 0 && e[3] == 1 && e[5] == .infinity && e[6] == 0)
        let l = run(RP_UNARY_LOG)
        #expect(l[0].isNaN && l[1] == .infinity && l[2].isNaN && l[3] == -.infinity && l[7].isNaN)
        let lp = run(RP_UNARY_LOG1P)
        #expect(lp[1] == .infinity && lp[7] == -.infinity && lp[3] == 0)
        let t = run(RP_UNARY_TANH)
        #expect(t[1] == 1 && t[2] == -1 && t[0].isNaN)
        let s = run(RP_UNARY_SOFTPLUS)
        // e^x below the smallest normal float (x < −87.3) flushes to 0, and so does softplus.
        #expect(s[5] == 100 && s[6] >= 0 && s[6] < 1e-37)
        let r = run(RP_UNARY_RELU)
        #expect(r[0].isNaN && r[6] == 0 && r[5] == 100)
    }

    /// A NaN or ±inf anywhere — vector body, scalar tail, either thread's half — is found, and
    /// the largest finite floats are not mistaken for overflow.
    @Test func allFiniteFindsEveryNonFiniteValue() {
        for isa in Kernels.supportedISAs {
            for n in [1, 15, 16, 17, 100, 70_001] {
                let x = (0..<n).map {
                    $0.isMultiple(of: 2) ? Float.greatestFiniteMagnitude : -Float.greatestFiniteMagnitude
                }
                Kernels.withOverrides(isa: isa, threads: 2) {
                    #expect(rp_all_finite(x, n) == 1, "\(isa), n = \(n): all finite")
                    for position in Set([0, n / 2, n - 1]) {
                        for bad in [Float.nan, .infinity, -.infinity] {
                            var y = x
                            y[position] = bad
                            #expect(rp_all_finite(y, n) == 0, "\(isa), n = \(n): \(bad) at \(position) missed")
                        }
                    }
                }
            }
        }
    }

    /// Tensors of 0, 5, 40,000 and 60,003 elements (100,008 in all: split in two at 2 threads, the
    /// cut inside the third tensor): every bad position reports its tensor, the lowest when two are bad.
    @Test func firstNonFiniteOfManyNamesTheLowestBadTensor() {
        let sizes = [0, 5, 40_000, 60_003]
        let clean = sizes.map { n in (0..<n).map { Float($0 % 7) - 3 } }
        func first(_ tensors: [[Float]]) -> Int32 {
            var pointers: [UnsafePointer<Float>?] = []
            func nest(_ i: Int) -> Int32 {
                if i == tensors.count { return rp_first_nonfinite_many(Int32(tensors.count), pointers, sizes) }
                return tensors[i].withUnsafeBufferPointer {
                    pointers.append($0.baseAddress); return nest(i + 1)
                }
            }
            return nest(0)
        }
        for isa in Kernels.supportedISAs {
            for threads in [1, 2] {
                Kernels.withOverrides(isa: isa, threads: threads) {
                    #expect(first(clean) == -1, "\(isa), \(threads) threads: all finite")
                    for (t, n) in sizes.enumerated() where n > 0 {
                        for position in Set([0, n / 2, n - 1]) {
                            var y = clean
                            y[t][position] = .nan
                            #expect(first(y) == Int32(t), "\(isa), \(threads) threads: nan in \(t) at \(position)")
                            y[3][59_999] = .infinity  // a later bad tensor, in the other part
                            #expect(first(y) == Int32(t), "\(isa), \(threads) threads: lowest of two")
                        }
                    }
                }
            }
        }
    }

    @Test func bernoulliLogitsNLLMatchesReferenceAndGradient() {
        var values = SplitMix(state: 9)
        let n = 1037
        let logits = values.values(n, -30, 30), targets = values.values(n, 0, 1)
        var grad = [Float](repeating: 0, count: n)
        for isa in Kernels.supportedISAs {
            let total = Kernels.withOverrides(isa: isa) { rp_bernoulli_logits_nll(logits, targets, n, &grad, 0.5) }
            // The loss alone (evaluation) takes its own loop.
            let lossOnly = Kernels.withOverrides(isa: isa) { rp_bernoulli_logits_nll(logits, targets, n, nil, 0.5) }
            var reference = 0.0, magnitude = 0.0
            for (l, x) in zip(logits.map(Double.init), targets.map(Double.init)) {
                let term = Swift.max(l, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(l))) - x * l
                reference += term
                magnitude += Swift.abs(term) + Swift.abs(x * l)
            }
            #expect(Swift.abs(total - reference) <= magnitude * 1e-6, "\(isa): \(total) vs \(reference)")
            #expect(
                Swift.abs(lossOnly - reference) <= magnitude * 1e-6, "\(isa) loss alone: \(lossOnly) vs \(reference)")
            for i in 0..<n {
                let expected = 0.5 * (1 / (1 + Foundation.exp(-Double(logits[i]))) - Double(targets[i]))
                #expect(Swift.abs(Double(grad[i]) - expected) <= 1e-6, "\(isa) gradient \(i)")
            }
        }
    }

    @Test("Adam's update flushes subnormal moments to zero; other kernels and the caller keep them")
    func subnormalsFlushInTheOptimizerOnly() {
        #expect(Kernels.flushesSubnormals, "the default policy (REPARAM_SUBNORMALS unset in tests)")
        let tiny = Float.leastNormalMagnitude / 8  // subnormal
        for isa in Kernels.supportedISAs {
            Kernels.withOverrides(isa: isa) {
                // A zero gradient: m ← β₁·m takes the smallest normal first moment below it (FTZ); the
                // subnormal second moment reads as zero (DAZ) and stays zero; p moves by 0.
                var p: [Float] = [1, 1], g: [Float] = [0, 0]
                var m: [Float] = [Float.leastNormalMagnitude, 0], v: [Float] = [1, tiny]
                rp_adam_update(&p, &g, &m, &v, 2, 1e-3, 0.9, 0.999, 1e-8, 1, 1, 0)
                #expect(m == [0, 0] && v[1] == 0, "\(isa)")
                var product = [Float](repeating: -1, count: 1)
                rp_binary(Int32(RP_BINARY_MUL.rawValue), 1, [1], [1e-20], [1], [1e-20], [1], &product)
                #expect(product[0] > 0 && product[0] < Float.leastNormalMagnitude, "\(isa): other kernels keep IEEE")
            }
        }
        // Back on the caller's own arithmetic, gradual underflow is there again.
        let a: [Float] = [1e-20, tiny]
        #expect(a[0] * a[0] > 0 && a[1] * 1 == tiny)
    }

    @Test func broadcastingBinaryCollapsesAndRepeats() {
        // [2, 1, 3] + [4, 1] → [2, 4, 3]
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [10, 20, 30, 40]
        var out = [Float](repeating: 0, count: 24)
        rp_binary(Int32(RP_BINARY_ADD.rawValue), 3, [2, 4, 3], a, [3, 0, 1], b, [0, 1, 0], &out)
        for i in 0..<2 {
            for j in 0..<4 { for k in 0..<3 { #expect(out[(i * 4 + j) * 3 + k] == a[i * 3 + k] + b[j]) } }
        }
    }

    @Test func reductionsSumAndMaxAlongMiddleAxis() {
        let x: [Float] = (0..<24).map { Float(($0 * 7) % 11) - 5 }
        var sums = [Float](repeating: 0, count: 8), maxima = [Float](repeating: 0, count: 8)
        rp_reduce(Int32(RP_REDUCE_SUM.rawValue), x, 2, 3, 4, &sums)
        rp_reduce(Int32(RP_REDUCE_MAX.rawValue), x, 2, 3, 4, &maxima)
        for o in 0..<2 {
            for i in 0..<4 {
                let column = (0..<3).map { x[(o * 3 + $0) * 4 + i] }
                #expect(sums[o * 4 + i] == column.reduce(0, +))
                #expect(maxima[o * 4 + i] == column.max()!)
            }
        }
    }
}

@Suite struct RowMaximumTests {
    /// Maxima along the last axis (one row per output) propagate a NaN anywhere in the row and keep −∞.
    @Test func rowMaximaPropagateNaN() {
        let rows = 5, length = 10
        var x: [Float] = (0..<(rows * length)).map { Float(($0 * 13) % 17) - 8 }
        x[1 * length + 7] = .nan  // row 1: NaN late in the row
        x[2 * length] = .nan  // row 2: NaN first
        for l in 0..<length { x[3 * length + l] = -.infinity }  // row 3: all −∞
        var maxima = [Float](repeating: 0, count: rows)
        rp_reduce(Int32(RP_REDUCE_MAX.rawValue), x, Int64(rows), Int64(length), 1, &maxima)
        for r in 0..<rows {
            let row = x[(r * length)..<((r + 1) * length)]
            if row.contains(where: \.isNaN) {
                #expect(maxima[r].isNaN, "row \(r)")
            } else {
                #expect(maxima[r] == row.max()!, "row \(r)")
            }
        }
    }
}

@Suite struct LongReductionTests {
    /// A column sum over 10⁶ rows is right to its final float rounding (double accumulation);
    /// a plain float running sum would drift by ~n·ε ≈ 6e-2 relative in the worst case.
    @Test func columnSumsOverAMillionRows() {
        let rows = 1_000_000, inner = 3
        let x = [Float](repeating: 0.1, count: rows * inner)
        var out = [Float](repeating: 0, count: inner)
        rp_reduce(Int32(RP_REDUCE_SUM.rawValue), x, 1, Int64(rows), Int64(inner), &out)
        let exact = Double(Float(0.1)) * Double(rows)
        for value in out { #expect(Swift.abs(Double(value) - exact) <= 1e-7 * exact, "\(value) vs \(exact)") }
    }
}

/// xᵖ computed in double and rounded once: within half a float ulp of Foundation's double pow (plus
/// the ≈1e-13 of the approximation), at every ISA level and in the scalar tail, over bases from
/// subnormal to 1e30 and exponents that reach underflow and overflow; libm's powf for the rest.
@Suite struct PowTests {
    @Test func matchesDoublePow() {
        let bases: [Float] =
            probeInputs(-30, 30, count: 401).map { Float(Foundation.pow(10.0, Double($0))) }
            + [Float.leastNonzeroMagnitude * 7, 1, 0.5, 2, 3]
        let exponents: [Float] = [-7.3, -2.5, -1, -0.5, 0.1, 0.3333, 1.5, 2.2, 3, 9.75]
        for isa in Kernels.supportedISAs {
            for p in exponents {
                var y = [Float](repeating: 0, count: bases.count)
                Kernels.withOverrides(isa: isa) { rp_pow_scalar(bases, p, &y, bases.count) }
                for (x, yi) in zip(bases, y) {
                    let exact = Foundation.pow(Double(x), Double(p))
                    let rounded = Float(exact)
                    // Half an ulp of the rounded result, and the approximation's own error.
                    let ulp = Double(rounded.isFinite ? rounded.ulp : Float.greatestFiniteMagnitude.ulp)
                    let allowed = 0.5 * ulp + 1e-12 * Swift.abs(exact) + Double(Float.leastNonzeroMagnitude)
                    let ok = yi == rounded || Swift.abs(Double(yi) - exact) <= allowed
                    #expect(ok, "pow(\(x), \(p)) at \(isa): \(yi), exact \(exact)")
                }
            }
        }
    }

    /// An ISA override is per thread: a pow split across the pool must run the caller's path on
    /// every part. On the portable path that is libm's powf, bit for bit (the vector path differs
    /// from it by an ulp on ~0.06% of these inputs, so a part run on another path shows).
    @Test func splitRunsTheCallersPath() {
        let x: [Float] = (0..<100_000).map { (i: Int) -> Float in
            let spread = 0.37 * Float(i % 97) + 0.001 * Float(i)
            return 0.01 + spread
        }
        var y = [Float](repeating: 0, count: x.count)
        Kernels.withOverrides(isa: .portable, threads: 2) { rp_pow_scalar(x, 1.37, &y, x.count) }
        #expect(zip(x, y).allSatisfy { Foundation.powf($0, 1.37) == $1 })
    }

    @Test func specialInputsFollowLibm() {
        let bases: [Float] = [0, -0.0, -2, -0.5, .infinity, -.infinity, .nan, 1, 4]
        let exponents: [Float] = [0, 2, 3, -1, 0.25, -2.5, .infinity, -.infinity, .nan]
        for isa in Kernels.supportedISAs {
            for p in exponents {
                var y = [Float](repeating: 7, count: bases.count)
                var tensorExponent = [Float](repeating: 7, count: bases.count)
                let exponent = [Float](repeating: p, count: bases.count)
                Kernels.withOverrides(isa: isa) {
                    rp_pow_scalar(bases, p, &y, bases.count)
                    let steps: [Int64] = [1], shape: [Int64] = [Int64(bases.count)]
                    rp_binary(Int32(RP_BINARY_POW.rawValue), 1, shape, bases, steps, exponent, steps, &tensorExponent)
                }
                for (i, x) in bases.enumerated() {
                    let expected = Foundation.powf(x, p)
                    #expect(y[i] == expected || (y[i].isNaN && expected.isNaN), "pow(\(x), \(p)) at \(isa): \(y[i])")
                    #expect(
                        tensorExponent[i] == expected || (tensorExponent[i].isNaN && expected.isNaN),
                        "pow(\(x), [\(p)]) at \(isa): \(tensorExponent[i])")
                }
            }
        }
    }
}
