import ArgumentParser
import CReparamKernels
import Foundation
import Reparam

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure kernels and training steps (see bench/README.md for peers).",
        subcommands: [KernelBench.self, AutodiffBench.self, SamplingBench.self, PlacementBench.self])
}

struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GFLOP/s of GEMM on the VAE shapes, Gelem/s of elementwise kernels, Msamples/s of normals.")

    @OptionGroup var kernel: KernelOptions
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    /// (m, k, n, transposes) with op(A) m×k and op(B) k×n.
    static let gemmShapes: [(Int, Int, Int, String)] = [
        (128, 784, 400, "NN"), (128, 400, 40, "NN"), (128, 20, 400, "NN"), (128, 400, 784, "NN"),
        (784, 128, 400, "TN"), (400, 128, 784, "TN"), (128, 784, 400, "NT"), (128, 400, 784, "NT"),
        (512, 512, 512, "NN"),
    ]

    func run() throws {
        let threads = kernel.threads ?? 1
        let isa = kernel.isa.flatMap { name in Kernels.ISA.allCases.first { $0.description == name } }
        Kernels.withOverrides(isa: isa, threads: threads) {
            if !json { print("Reparam kernels — \(Kernels.isa), \(threads) thread(s); medians of 7 runs") }
            let peak = benchPeak(threads: threads)
            benchGemm(threads: threads, peak: peak)
            benchSparseGemm(threads: threads)
            benchElementwise()
            benchLayoutAndSpecial()
            benchNormal(threads: threads)
        }
    }

    func emit(_ fields: [(String, Any)], table: String) {
        print(json ? jsonLine(fields) : table)
        fflush(nil)  // stream results as they come when piped
    }

    /// The multiply-add loop's GFLOP/s on one thread, times the threads (each on its own core): the
    /// ceiling the dense products are quoted against.
    func benchPeak(threads: Int) -> Double {
        let rounds = 1 << 18
        let seconds = medianSeconds { _ = rp_fma_peak_loop(rounds) }  // an opaque C call: never removed
        let one = Double(rounds) * Double(rp_fma_peak_flops_per_round()) / seconds / 1e9
        emit(
            [
                ("kernel", "fma-peak"), ("threads", threads), ("gflops_per_thread", one),
                ("gflops", one * Double(threads)),
            ],
            table: String(format: "peak     multiply-adds only  %7.1f GFLOP/s per thread", one))
        return one * Double(threads)
    }

    func benchGemm(threads: Int, peak: Double) {
        let key = RandomKey(seed: 1)
        for (m, k, n, trans) in Self.gemmShapes {
            let ta = trans.first == "T", tb = trans.last == "T"
            let a = key.fold(in: 1).normal(ta ? [k, m] : [m, k]).scalars,
                b = key.fold(in: 2).normal(tb ? [n, k] : [k, n]).scalars
            var c = [Float](repeating: 0, count: m * n)
            let seconds = medianSeconds {
                rp_sgemm(
                    ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(ta ? m : k), b, Int32(tb ? k : n),
                    0, &c, Int32(n))
            }
            let gflops = 2 * Double(m * n * k) / seconds / 1e9
            emit(
                [
                    ("kernel", "gemm"), ("m", m), ("k", k), ("n", n), ("trans", trans), ("threads", threads),
                    ("gflops", gflops), ("peak_fraction", gflops / peak),
                ],
                table: String(
                    format: "gemm %@ %4d·%4d·%4d  %7.1f GFLOP/s  %3.0f%% of peak", trans, m, k, n, gflops,
                    100 * gflops / peak))
        }
    }

    /// 128 synthetic 28×28 images of rings (about a fifth of the pixels nonzero, the rest exactly 0,
    /// as in MNIST), the same formula as bench/kernels_numpy.py: the products with a data batch
    /// (forward NN) and the first layer's weight gradient (TN). GFLOP/s count the dense FLOPs.
    static func ringImages() -> [Float] {
        (0..<128).flatMap { i in
            let radius = Double(6 + i % 5), width = 1 + Double(i % 3) / 2
            let rowShift = Double(i % 7 - 3), columnShift = Double(i % 4) - 1.5
            return (0..<784).map { pixel -> Float in
                let r = Double(pixel / 28) - 13.5 - rowShift, c = Double(pixel % 28) - 13.5 - columnShift
                let inside = Swift.abs((r * r + c * c).squareRoot() - radius) < width
                return inside ? Float(0.5 + 0.5 * cos(Double(i + pixel))) : 0
            }
        }
    }

    func benchSparseGemm(threads: Int) {
        let images = Self.ringImages()
        let density = Double(images.count { $0 != 0 }) / Double(images.count)
        for (m, k, trans) in [(128, 784, "NN"), (784, 128, "TN")] {
            let n = 400
            let b = RandomKey(seed: 3).normal([k, n]).scalars
            var c = [Float](repeating: 0, count: m * n)
            let seconds = medianSeconds {
                rp_sgemm(
                    trans == "TN" ? 1 : 0, 0, Int32(m), Int32(n), Int32(k), 1, images, Int32(trans == "TN" ? m : k), b,
                    Int32(n), 0, &c, Int32(n))
            }
            let gflops = 2 * Double(m * n * k) / seconds / 1e9
            emit(
                [
                    ("kernel", "gemm-images"), ("m", m), ("k", k), ("n", n), ("trans", trans), ("threads", threads),
                    ("density", density), ("gflops", gflops),
                ],
                table: String(
                    format: "gemm %@ %4d·%4d·%4d  %7.1f GFLOP/s  (A: ring images, %.0f%% nonzero)", trans, m, k, n,
                    gflops, 100 * density))
        }
    }

    func benchElementwise() {
        let count = 128 * 784
        let x = RandomKey(seed: 2).normal([count]).scalars
        let positive = x.map { Swift.abs($0) + 1e-3 }
        var y = [Float](repeating: 0, count: count)
        let ops: [(String, rp_unary_op, [Float])] = [
            ("exp", RP_UNARY_EXP, x), ("log", RP_UNARY_LOG, positive), ("log1p", RP_UNARY_LOG1P, positive),
            ("expm1", RP_UNARY_EXPM1, x), ("tanh", RP_UNARY_TANH, x), ("sigmoid", RP_UNARY_SIGMOID, x),
            ("softplus", RP_UNARY_SOFTPLUS, x),
        ]
        for (name, op, input) in ops {
            let seconds = medianSeconds { rp_unary(Int32(op.rawValue), input, &y, count) }
            let gelems = Double(count) / seconds / 1e9
            emit(
                [("kernel", name), ("n", count), ("gelems", gelems)],
                table: String(format: "%-8@ 128×784        %7.2f Gelem/s", name, gelems))
        }
    }

    /// The operations that were scalar Swift loops: a transpose of a 784 × 1000 matrix and a 3-D
    /// permutation, the last-axis gather, ln Γ and ψ, and x^1.5 (bench/kernels_numpy.py: numpy and scipy).
    func benchLayoutAndSpecial() {
        let key = RandomKey(seed: 4)
        let matrix = key.normal([784, 1000]), cube = key.fold(in: 1).normal([64, 128, 96])
        let scores = key.fold(in: 2).normal([100_000, 10])
        let classes = (0..<100_000).map { ($0 * 7) % 10 }
        let positive = abs(key.fold(in: 3).normal([128, 784])) + 0.5
        let cases: [(String, Int, () -> Tensor)] = [
            ("transpose", matrix.count, { matrix.transposed() }),
            ("permute", cube.count, { cube.transposed([2, 0, 1]) }),
            ("gather", scores.shape[0], { scores.gather(lastAxisIndices: classes) }),
            ("lgamma", positive.count, { lgamma(positive) }), ("digamma", positive.count, { digamma(positive) }),
            ("pow", positive.count, { pow(positive, 1.5) }),
        ]
        for (name, count, operation) in cases {
            let seconds = medianSeconds { _ = operation() }
            let gelems = Double(count) / seconds / 1e9
            emit(
                [("kernel", name), ("n", count), ("gelems", gelems)],
                table: String(format: "%-9@ %8d elements  %7.3f Gelem/s", name, count, gelems))
        }
    }

    func benchNormal(threads: Int) {
        let count = 1 << 20
        var out = [Float](repeating: 0, count: count)
        let key: [UInt32] = [1, 2]
        let seconds = medianSeconds { rp_fill_normal(key, &out, count) }
        let rate = Double(count) / seconds / 1e6
        emit(
            [("kernel", "normal"), ("n", count), ("threads", threads), ("msamples", rate)],
            table: String(format: "normal   2^20 floats    %7.0f Msamples/s", rate))
    }
}
