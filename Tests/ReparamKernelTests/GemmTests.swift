import CReparamKernels
import Foundation
import ReparamTensor
import ReparamTestSupport
import Testing

struct GemmCase: CustomTestStringConvertible, Sendable {
    let m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float
    var testDescription: String { "\(m)×\(n)×\(k) \(transA ? "T" : "N")\(transB ? "T" : "N") α=\(alpha) β=\(beta)" }
}

/// (7, 129, 801) reads a B spanning 420 KB in place (few rows of A), (70, 70, 801) packs it on the AVX2 path.
let oddShapes: [(Int, Int, Int)] = [
    (1, 1, 1), (1, 37, 5), (13, 17, 19), (12, 32, 7), (25, 65, 3), (37, 50, 400), (7, 129, 801), (100, 33, 1),
    (70, 70, 801),
]
let gemmCases: [GemmCase] = oddShapes.flatMap { s in
    [(false, false), (false, true), (true, false), (true, true)].flatMap { t in
        [(Float(1), Float(0)), (Float(0.7), Float(-0.3))].map { ab in
            GemmCase(m: s.0, n: s.1, k: s.2, transA: t.0, transB: t.1, alpha: ab.0, beta: ab.1)
        }
    }
}

/// Runs one GEMM with padded leading dimensions; checks every result element against a Double
/// reference within the classical rounding bound |ĉ − c| ≤ γ·(|α|·Σ|a||b| + |β c|),
/// γ = (k + 2)·2⁻²³, and that padding and beta = 0 behave.
func checkGemm(_ c: GemmCase) {
    var values = SplitMix(state: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
    let (aRows, aCols) = c.transA ? (c.k, c.m) : (c.m, c.k)
    let (bRows, bCols) = c.transB ? (c.n, c.k) : (c.k, c.n)
    let lda = aCols + 3, ldb = bCols + 5, ldc = c.n + 7
    let a = values.values(aRows * lda), b = values.values(bRows * ldb)
    // With beta = 0, C starts as NaN: it must be overwritten without being read.
    var cOut = c.beta == 0 ? [Float](repeating: .nan, count: c.m * ldc) : values.values(c.m * ldc)
    let sentinel: Float = 12345
    for i in 0..<c.m { for j in c.n..<ldc { cOut[i * ldc + j] = sentinel } }
    let cIn = cOut
    rp_sgemm(
        c.transA ? 1 : 0, c.transB ? 1 : 0, Int32(c.m), Int32(c.n), Int32(c.k), c.alpha, a, Int32(lda), b,
        Int32(ldb), c.beta, &cOut, Int32(ldc))
    let gamma = Double(c.k + 2) * pow(2.0, -23)
    var worst = 0.0
    for i in 0..<c.m {
        for j in 0..<ldc {
            if j >= c.n {
                #expect(cOut[i * ldc + j] == sentinel, "padding touched at row \(i) column \(j)")
                continue
            }
            var exact = 0.0, magnitude = 0.0
            for p in 0..<c.k {
                let av = Double(c.transA ? a[p * lda + i] : a[i * lda + p])
                let bv = Double(c.transB ? b[j * ldb + p] : b[p * ldb + j])
                exact += av * bv
                magnitude += Swift.abs(av * bv)
            }
            let old = c.beta == 0 ? 0 : Double(cIn[i * ldc + j])
            let reference = Double(c.alpha) * exact + Double(c.beta) * old
            let bound = gamma * (Double(Swift.abs(c.alpha)) * magnitude + Swift.abs(Double(c.beta) * old)) + 1e-30
            worst = Swift.max(worst, Swift.abs(Double(cOut[i * ldc + j]) - reference) / bound)
        }
    }
    #expect(worst <= 1, "error reaches \(worst)× the rounding bound")
}

@Suite struct GemmTests {
    @Test(arguments: gemmCases)
    func matchesDoubleReferenceAtEveryISA(_ c: GemmCase) {
        for isa in Kernels.supportedISAs {
            Kernels.withOverrides(isa: isa, threads: 1) { checkGemm(c) }
        }
    }

    @Test(arguments: [2, 3])
    func threadedIsBitIdenticalToOneThread(threads: Int) {
        // Shapes that split along N (wide, with a strip shared between threads by rows) and along
        // M (narrow), with edges on both; β ≠ 0 shows an element computed twice or never.
        for (m, n, k) in [(128, 400, 784), (130, 40, 401), (61, 517, 33), (257, 9, 70), (7, 784, 20)] {
            var values = SplitMix(state: UInt64(m + n + k))
            let a = values.values(m * k), b = values.values(k * n), start = values.values(m * n)
            for isa in Kernels.supportedISAs {
                for (ta, tb) in [(Int32(0), Int32(0)), (0, 1), (1, 0), (1, 1)] {
                    func product(threads: Int) -> [UInt32] {
                        Kernels.withOverrides(isa: isa, threads: threads, parallelThreshold: 0) {
                            var c = start
                            rp_sgemm(
                                ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(ta == 1 ? m : k), b,
                                Int32(tb == 1 ? k : n), 0.5, &c, Int32(n))
                            return c.map(\.bitPattern)
                        }
                    }
                    let threaded = withPoolWorkers(runs: 1) { product(threads: threads) }
                    #expect(threaded.usedWorkers, "the pool never took the \(threads)-thread GEMM")
                    #expect(
                        product(threads: 1) == threaded.result,
                        "\(m)×\(n)×\(k) ta=\(ta) tb=\(tb) at \(isa) differs between 1 and \(threads) threads")
                }
            }
        }
    }

    @Test(arguments: [1, 2])
    func fusedBiasActivationEqualsSeparatePasses(threads: Int) {
        // k = 784 runs two K blocks (the epilogue must wait for the last); a NaN in A must pass ReLU.
        // The mostly-zero A (an image batch) takes the sparse driver, whose epilogue is its own.
        let shapes = [(128, 400, 784, false), (128, 400, 784, true), (37, 50, 13, false), (5, 784, 20, false)]
        for (m, n, k, zeros) in shapes {
            var values = SplitMix(state: UInt64(7 * m + n + k))
            var a = values.values(m * k)
            if zeros { for i in a.indices where i % 7 != 0 { a[i] = 0 } }
            a[3] = .nan
            let b = values.values(k * n), bias = values.values(n)
            for isa in Kernels.supportedISAs {
                for act in [RP_ACT_IDENTITY, RP_ACT_RELU, RP_ACT_TANH, RP_ACT_SIGMOID].map({ Int32($0.rawValue) }) {
                    for withBias in [true, false] {
                        Kernels.withOverrides(isa: isa, threads: threads, parallelThreshold: 0) {
                            var separate = [Float](repeating: 0, count: m * n), fused = separate
                            rp_sgemm(
                                0, 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &separate, Int32(n))
                            bias.withUnsafeBufferPointer { pb in
                                rp_bias_activation(act, &separate, withBias ? pb.baseAddress : nil, Int32(m), Int32(n))
                                rp_sgemm_bias_activation(
                                    0, 0, Int32(m), Int32(n), Int32(k), a, Int32(k), b, Int32(n),
                                    withBias ? pb.baseAddress : nil, act, &fused, Int32(n))
                            }
                            #expect(
                                separate.map(\.bitPattern) == fused.map(\.bitPattern),
                                "\(m)×\(n)×\(k) act \(act) bias \(withBias) at \(isa), \(threads) thread(s)")
                            #expect(fused[0].isNaN, "the NaN in row 0 of A must reach C through the activation")
                        }
                    }
                }
            }
        }
    }

    @Test func zeroInnerDimensionScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        rp_sgemm(0, 0, 2, 2, 0, 1, [], 1, [], 2, 0.5, &c, 2)
        #expect(c == [0.5, 1, 1.5, 2])
        var d: [Float] = [.nan, 1, 2, 3]
        rp_sgemm(0, 0, 2, 2, 0, 1, [], 1, [], 2, 0, &d, 2)
        #expect(d == [0, 0, 0, 0])
    }
}

@Suite struct ThreadedElementwiseTests {
    /// Elementwise, broadcasting, Gamma-derivative, Bernoulli-loss, Adam and activation kernels split across
    /// threads above 64k elements; every element (and every loss block) is computed the same way,
    /// so 1 and 2 threads agree bit for bit. The activation pullback into a separate output equals
    /// the in-place one.
    @Test func twoThreadsAreBitIdenticalToOne() {
        var values = SplitMix(state: 77)
        let rows = 400, columns = 513, n = rows * columns
        let x = values.values(n, -3, 3), rowShift = values.values(rows)
        let alphas = values.values(n, 0.1, 20), logs = values.values(n, -2, 3).map(Double.init)
        for isa in Kernels.supportedISAs {
            func compute(threads: Int) -> [[UInt32]] {
                Kernels.withOverrides(isa: isa, threads: threads) {
                    var tanh = [Float](repeating: 0, count: n), back = tanh, sum = tanh, shifted = tanh,
                        derivative = tanh
                    rp_unary(Int32(RP_UNARY_TANH.rawValue), x, &tanh, n)
                    rp_unary_backward(Int32(RP_UNARY_SOFTPLUS.rawValue), x, tanh, x, &back, n)
                    rp_binary(Int32(RP_BINARY_MUL.rawValue), 1, [Int64(n)], x, [1], tanh, [1], &sum)
                    rp_binary(
                        Int32(RP_BINARY_SUB.rawValue), 2, [Int64(rows), Int64(columns)], x, [Int64(columns), 1],
                        rowShift, [1, 0], &shifted)
                    rp_gamma_log_sample_derivatives(alphas, n, logs, nil, n, nil, &derivative)
                    var rowSums = [Float](repeating: 0, count: rows)
                    rp_reduce(Int32(RP_REDUCE_SUM.rawValue), x, Int64(rows), Int64(columns), 1, &rowSums)
                    var lossGradient = [Float](repeating: 0, count: n)
                    let targets = tanh.map { ($0 + 1) / 2 }
                    let loss = rp_bernoulli_logits_nll(x, targets, n, &lossGradient, 0.5)
                    var parameters = x, first = rowShift + x.dropFirst(rows), second = tanh.map { $0 * $0 }
                    rp_adam_update(&parameters, back, &first, &second, n, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.01, 0.01)
                    let lossBits = [
                        Float(bitPattern: UInt32(truncatingIfNeeded: loss.bitPattern)),
                        Float(bitPattern: UInt32(loss.bitPattern >> 32)),
                    ]
                    var activated = x, activationGradient = back
                    rp_bias_activation(
                        Int32(RP_ACT_TANH.rawValue), &activated,
                        Array(rowShift.prefix(columns / 2)) + rowShift.prefix(columns - columns / 2), Int32(rows),
                        Int32(columns))
                    var separate = [Float](repeating: .nan, count: n)
                    rp_activation_backward_into(
                        Int32(RP_ACT_TANH.rawValue), activated, activationGradient, &separate, n)
                    rp_activation_backward(Int32(RP_ACT_TANH.rawValue), activated, &activationGradient, n)
                    #expect(
                        separate.map(\.bitPattern) == activationGradient.map(\.bitPattern), "into ≠ in place, \(isa)")
                    return [
                        tanh, back, sum, shifted, derivative, rowSums, lossGradient, lossBits, parameters, first,
                        second,
                        activated, activationGradient,
                    ].map { $0.map(\.bitPattern) }
                }
            }
            // Ten kernel calls, each above the split threshold: all ten must have had workers.
            let threaded = withPoolWorkers(runs: 10) { compute(threads: 2) }
            #expect(threaded.usedWorkers, "the pool never took all ten calls")
            #expect(compute(threads: 1) == threaded.result, "\(isa)")
        }
    }
}

/// Random runs for `columns` columns within [0, length): about one in six empty, the others
/// anywhere, some covering everything.
private func randomRuns(_ columns: Int, _ length: Int, _ values: inout SplitMix) -> (begin: [Int32], end: [Int32]) {
    var begin = [Int32](), end = [Int32]()
    for _ in 0..<columns {
        let u = values.unit()
        if u < 1 / 6 {
            let at = Int32(values.unit() * Float(length + 1))
            (begin, end) = (begin + [at], end + [at])  // empty
        } else if u < 1 / 3 {
            (begin, end) = (begin + [0], end + [Int32(length)])
        } else {
            let a = Int(values.unit() * Float(length)), b = Int(values.unit() * Float(length))
            (begin, end) = (begin + [Int32(Swift.min(a, b))], end + [Int32(Swift.max(a, b) + 1)])
        }
    }
    return (begin, end)
}

@Suite struct ExtentsGemmTests {
    /// rp_sgemm_extents against a Double reference of act(α·op(A)·op(B') + β·C + bias), B' being
    /// B with each column's entries outside its K run zeroed (B holds NaN there: never read), and
    /// with row runs, zero outside each column's rows. Every ISA, 1 and 2 threads, all four
    /// transpositions, K beyond one block; 2 threads must equal 1 bit for bit.
    @Test(arguments: [(1, 1, 1), (13, 17, 19), (64, 200, 30), (37, 129, 801), (128, 50, 400), (5, 784, 20)])
    func matchesMaskedDenseProduct(m: Int, n: Int, k: Int) {
        var values = SplitMix(state: UInt64(m * 7919 + n * 31 + k))
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            for rowRuns in [false, true] {
                let kRuns = randomRuns(n, k, &values)
                let rows = rowRuns ? randomRuns(n, m, &values) : nil
                let a = values.values(m * k)
                var b = values.values(k * n)
                for j in 0..<n {
                    for p in 0..<k where p < Int(kRuns.begin[j]) || p >= Int(kRuns.end[j]) {
                        b[tb ? j * k + p : p * n + j] = .nan
                    }
                }
                let start = values.values(m * n), bias = values.values(n)
                let (alpha, beta): (Float, Float) = rowRuns ? (0.8, 0) : (1.3, -0.4)
                for isa in Kernels.supportedISAs {
                    var results = [[UInt32]]()
                    for threads in [1, 2] {
                        func run() -> [Float] {
                            var c = start
                            Kernels.withOverrides(isa: isa, threads: threads, parallelThreshold: 0) {
                                bias.withUnsafeBufferPointer { pb in
                                    rp_sgemm_extents(
                                        ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a,
                                        Int32(ta ? m : k), b, Int32(tb ? k : n), beta, &c, Int32(n),
                                        rowRuns ? nil : pb.baseAddress, Int32(RP_ACT_TANH.rawValue),
                                        kRuns.begin, kRuns.end, rows?.begin, rows?.end)
                                }
                            }
                            return c
                        }
                        // Large enough products split (by rows only without row runs, as those follow
                        // columns); the pool must then really have taken them.
                        let split = threads == 2 && m * n >= 64 * 64 && (n >= 64 || !rowRuns)
                        let (c, usedWorkers) = split ? withPoolWorkers(runs: 1, run) : (run(), true)
                        #expect(usedWorkers, "the pool never took the 2-thread product at \(isa)")
                        results.append(c.map(\.bitPattern))
                        guard threads == 1 else { continue }
                        var worst = 0.0
                        for i in 0..<m {
                            for j in 0..<n {
                                let got = Double(c[i * n + j])
                                if let rows, i < Int(rows.begin[j]) || i >= Int(rows.end[j]) {
                                    #expect(got == 0, "row \(i) outside column \(j)'s run must be zero")
                                    continue
                                }
                                var exact = 0.0, magnitude = 0.0
                                for p in Int(kRuns.begin[j])..<Swift.max(Int(kRuns.begin[j]), Int(kRuns.end[j])) {
                                    let product =
                                        Double(ta ? a[p * m + i] : a[i * k + p])
                                        * Double(tb ? b[j * k + p] : b[p * n + j])
                                    (exact, magnitude) = (exact + product, magnitude + Swift.abs(product))
                                }
                                var pre = Double(alpha) * exact
                                if !rowRuns { pre += Double(beta) * Double(start[i * n + j]) + Double(bias[j]) }
                                let reference = rowRuns ? pre : Foundation.tanh(pre)
                                // γ(k + 3)·magnitude for the sums, plus the activation's few ulps.
                                let bound =
                                    Double(k + 3) * pow(2.0, -23)
                                    * (Double(Swift.abs(alpha)) * magnitude + 2 + Swift.abs(pre)) + 4e-7
                                let error = Swift.abs(got - reference) / bound
                                worst = error.isNaN ? .infinity : Swift.max(worst, error)  // NaN from an unmasked B
                            }
                        }
                        #expect(worst <= 1, "ta=\(ta) tb=\(tb) rows=\(rowRuns) at \(isa): \(worst)× the bound")
                    }
                    #expect(results[0] == results[1], "ta=\(ta) tb=\(tb) rows=\(rowRuns) at \(isa): 2 threads ≠ 1")
                }
            }
        }
    }
}

@Suite struct MultiTensorAdamTests {
    /// One call over several tensors (sizes around the vector width and the split threshold)
    /// updates each exactly as its own rp_adam_update, on every ISA and with 2 threads.
    @Test func equalsOneUpdatePerTensor() {
        var values = SplitMix(state: 2024)
        let sizes = [1, 15, 16, 17, 1000, 70_000, 3]
        let initial = sizes.map { n in (0..<4).map { i in values.values(n, i == 3 ? 0 : -1, 1) } }  // p, g, m, v ≥ 0
        for isa in Kernels.supportedISAs {
            for threads in [1, 2] {
                Kernels.withOverrides(isa: isa, threads: threads, parallelThreshold: 0) {
                    let single = initial.indices.map { t in
                        var (p, m, v) = (initial[t][0], initial[t][2], initial[t][3])
                        rp_adam_update(&p, initial[t][1], &m, &v, sizes[t], 1e-3, 0.9, 0.999, 1e-8, 0.19, 0.002, 0.01)
                        return [p, initial[t][1], m, v]
                    }
                    // Buffers of their own: pointers into Swift arrays must not outlive their closures.
                    let buffers = initial.map { tensor in
                        tensor.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.count) }
                    }
                    defer { buffers.joined().forEach { $0.deallocate() } }
                    for t in initial.indices { for f in 0..<4 { _ = buffers[t][f].initialize(from: initial[t][f]) } }
                    rp_adam_update_many(
                        Int32(sizes.count), buffers.map { $0[0].baseAddress },
                        buffers.map { UnsafePointer($0[1].baseAddress) },
                        buffers.map { $0[2].baseAddress }, buffers.map { $0[3].baseAddress },
                        sizes, 1e-3, 0.9, 0.999, 1e-8, 0.19, 0.002, 0.01)
                    let many = buffers.map { $0.map(Array.init) }
                    for t in sizes.indices {
                        for field in 0..<4 where field != 1 {
                            #expect(
                                many[t][field].map(\.bitPattern) == single[t][field].map(\.bitPattern),
                                "tensor \(t) field \(field) at \(isa), \(threads) thread(s)")
                        }
                    }
                }
            }
        }
    }
}

@Suite struct RowParallelKernelTests {
    /// The row-split kernels (per-row Bernoulli loss, the affine autoregressive step and its
    /// pullback) give the same bits on 2 threads as on 1: each row is computed whole by one thread.
    @Test func twoThreadsAreBitIdenticalToOne() {
        var values = SplitMix(state: 5150)
        let (rows, columns, d) = (300, 784, 400)
        let logits = values.values(rows * columns, -4, 4), targets = values.values(rows * columns, 0, 1)
        let parameters = values.values(rows * d * 2, -3, 3), x = values.values(rows * d, -2, 2)
        let gy = values.values(rows * d), glogdet = values.values(rows)
        for isa in Kernels.supportedISAs {
            func compute(threads: Int) -> [[UInt32]] {
                Kernels.withOverrides(isa: isa, threads: threads) {
                    var loss = [Float](repeating: 0, count: rows)
                    var lossGradient = [Float](repeating: 0, count: rows * columns)
                    rp_bernoulli_logits_nll_rows(logits, targets, rows, rows, columns, &loss, &lossGradient)
                    var y = [Float](repeating: 0, count: rows * d), sig = y, logdet = [Float](repeating: 0, count: rows)
                    rp_affine_autoregressive(parameters, x, rows, d, &y, &sig, &logdet)
                    var gp = [Float](repeating: 0, count: rows * d * 2), gx = y
                    rp_affine_autoregressive_backward(x, sig, gy, glogdet, rows, d, &gp, &gx)
                    return [loss, lossGradient, y, sig, logdet, gp, gx].map { $0.map(\.bitPattern) }
                }
            }
            let threaded = withPoolWorkers(runs: 3) { compute(threads: 2) }
            #expect(threaded.usedWorkers, "the pool never took all three calls")
            #expect(compute(threads: 1) == threaded.result, "\(isa)")
        }
    }
}
