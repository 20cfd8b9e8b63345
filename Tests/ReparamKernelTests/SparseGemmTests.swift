import CReparamKernels
import Foundation
import ReparamTensor
import ReparamTestSupport
import Testing

/// An m×k (or k×m when transposed) operand with about `density` of its elements nonzero, some
/// rows and columns entirely zero, as images with blank borders have.
func sparseOperand(rows: Int, ld: Int, density: Float, values: inout SplitMix) -> [Float] {
    var a = values.values(rows * ld)
    let keep = values.values(rows * ld, 0, 1)
    for r in 0..<rows {
        for c in 0..<ld where keep[r * ld + c] > density || r % 7 == 3 || c % 5 == 1 { a[r * ld + c] = 0 }
    }
    return a
}

@Suite struct SparseGemmTests {
    /// m not a multiple of the row group, n with a column edge past the last vector, k = 1.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (5, 37, 19), (13, 130, 784), (64, 400, 128), (9, 17, 1), (130, 41, 70),
    ]

    @Test func matchesDoubleReferenceAtEveryISA() {
        for (m, n, k) in Self.shapes {
            for ta in [0, 1] as [Int32] {
                for (alpha, beta, withBias, relu) in [
                    (Float(1), Float(0), true, Int32(1)), (0.7, -0.3, false, 0), (-1, 0.5, true, 0),
                ] {
                    var values = SplitMix(state: UInt64(m * 7919 + n * 31 + k + Int(ta)))
                    let (aRows, aCols) = ta == 1 ? (k, m) : (m, k)
                    let lda = aCols + 2, ldb = n + 3, ldc = n + 5
                    let a = sparseOperand(rows: aRows, ld: lda, density: 0.2, values: &values)
                    let b = values.values(k * ldb), bias = values.values(n)
                    let start = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : values.values(m * ldc)
                    for isa in Kernels.supportedISAs {
                        var c = start
                        Kernels.withOverrides(isa: isa, threads: 1) {
                            bias.withUnsafeBufferPointer { pb in
                                rp_sgemm_sparse(
                                    ta, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta,
                                    &c, Int32(ldc), withBias ? pb.baseAddress : nil, relu)
                            }
                        }
                        var worst = 0.0
                        for i in 0..<m {
                            for j in 0..<ldc {
                                if j >= n {
                                    #expect(
                                        c[i * ldc + j].bitPattern == start[i * ldc + j].bitPattern,
                                        "padding touched at \(i), \(j)")
                                    continue
                                }
                                var exact = 0.0, magnitude = 0.0
                                for p in 0..<k {
                                    let product =
                                        Double(ta == 1 ? a[p * lda + i] : a[i * lda + p]) * Double(b[p * ldb + j])
                                    exact += product
                                    magnitude += Swift.abs(product)
                                }
                                let old = beta == 0 ? 0 : Double(start[i * ldc + j])
                                var reference =
                                    Double(alpha) * exact + Double(beta) * old + (withBias ? Double(bias[j]) : 0)
                                if relu == 1 { reference = Swift.max(reference, 0) }
                                let bound =
                                    Double(k + 3) * 0x1p-23
                                    * (Double(Swift.abs(alpha)) * magnitude + Swift.abs(Double(beta) * old)
                                        + (withBias ? Double(Swift.abs(bias[j])) : 0)) + 1e-30
                                worst = Swift.max(worst, Swift.abs(Double(c[i * ldc + j]) - reference) / bound)
                            }
                        }
                        #expect(
                            worst <= 1,
                            "\(m)×\(n)×\(k) ta=\(ta) α=\(alpha) β=\(beta) at \(isa): \(worst)× the rounding bound")
                    }
                }
            }
        }
    }

    @Test(arguments: [2, 3])
    func threadedIsBitIdenticalToOneThread(threads: Int) {
        for (m, n, k) in [(128, 400, 784), (130, 41, 70), (784, 400, 128)] {
            for ta in [0, 1] as [Int32] {
                var values = SplitMix(state: UInt64(m + n * 3 + k * 5))
                let (aRows, aCols) = ta == 1 ? (k, m) : (m, k)
                let a = sparseOperand(rows: aRows, ld: aCols, density: 0.2, values: &values)
                let b = values.values(k * n), start = values.values(m * n)
                for isa in Kernels.supportedISAs {
                    func product(threads: Int) -> [UInt32] {
                        Kernels.withOverrides(isa: isa, threads: threads, parallelThreshold: 0) {
                            var c = start
                            rp_sgemm_sparse(
                                ta, Int32(m), Int32(n), Int32(k), 1, a, Int32(aCols), b, Int32(n), 0.5, &c,
                                Int32(n), nil, 0)
                            return c.map(\.bitPattern)
                        }
                    }
                    let threaded = withPoolWorkers(runs: 1) { product(threads: threads) }
                    #expect(threaded.usedWorkers, "the pool never took the \(threads)-thread product")
                    #expect(product(threads: 1) == threaded.result, "\(m)×\(n)×\(k) ta=\(ta) at \(isa)")
                }
            }
        }
    }

    /// rp_sgemm takes the sparse path exactly when op(A) is sparse enough and B is not
    /// transposed: its bits then equal rp_sgemm_sparse's, and with the limit at 0 they equal the
    /// dense path's (k = 784 runs two K blocks there, so the two paths round differently).
    @Test func automaticChoiceFollowsTheDensityLimit() {
        let (m, n, k) = (128, 400, 784)
        var values = SplitMix(state: 2024)
        let sparse = sparseOperand(rows: m, ld: k, density: 0.2, values: &values)
        let b = values.values(k * n)
        func product(_ a: [Float], limit: Float, forced: Bool = false, tb: Int32 = 0) -> [UInt32] {
            Kernels.withOverrides(threads: 1, sparseDensityLimit: limit) {
                var c = [Float](repeating: 0, count: m * n)
                if forced {
                    rp_sgemm_sparse(
                        0, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n), nil, 0)
                } else {
                    rp_sgemm(
                        0, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(tb == 1 ? k : n), 0, &c, Int32(n))
                }
                return c.map(\.bitPattern)
            }
        }
        let viaSparse = product(sparse, limit: 0, forced: true), viaDense = product(sparse, limit: 0)
        #expect(viaSparse != viaDense, "the two paths should round differently at k = 784")
        #expect(product(sparse, limit: 0.3) == viaSparse, "a 20%-dense A must take the sparse path")
        #expect(product(sparse, limit: 0.1) == viaDense, "above the limit, the dense path")
        // A transposed B (n × k, read as k × n) never takes the sparse path.
        let bTransposed = (0..<n).flatMap { j in (0..<k).map { p in b[p * n + j] } }
        let transposedDense = Kernels.withOverrides(threads: 1, sparseDensityLimit: 0) { () -> [UInt32] in
            var c = [Float](repeating: 0, count: m * n)
            rp_sgemm(0, 1, Int32(m), Int32(n), Int32(k), 1, sparse, Int32(k), bTransposed, Int32(k), 0, &c, Int32(n))
            return c.map(\.bitPattern)
        }
        let transposedAuto = Kernels.withOverrides(threads: 1, sparseDensityLimit: 1) { () -> [UInt32] in
            var c = [Float](repeating: 0, count: m * n)
            rp_sgemm(0, 1, Int32(m), Int32(n), Int32(k), 1, sparse, Int32(k), bTransposed, Int32(k), 0, &c, Int32(n))
            return c.map(\.bitPattern)
        }
        #expect(transposedAuto == transposedDense)
    }

    @Test func nanInAReachesC() {
        var a = [Float](repeating: 0, count: 6 * 8)
        a[2 * 8 + 5] = .nan
        a[4 * 8 + 1] = 2
        let b = [Float](repeating: 1, count: 8 * 20)
        var c = [Float](repeating: 7, count: 6 * 20)
        rp_sgemm_sparse(0, 6, 20, 8, 1, a, 8, b, 20, 0, &c, 20, nil, 1)
        #expect((0..<20).allSatisfy { c[2 * 20 + $0].isNaN }, "row 2 holds A's NaN (ReLU keeps NaN)")
        #expect((0..<20).allSatisfy { c[4 * 20 + $0] == 2 } && c[0] == 0, "other rows are exact")
    }
}
