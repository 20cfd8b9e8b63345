import CReparamKernels
import Foundation
import ReparamTensor
import ReparamTestSupport
import Testing

/// The Bernoulli loss fused into its dense layer's product (`vae eval`'s decoder) against the two
/// steps it replaces: the same bits on every instruction set and thread count, whatever the edges.
@Suite struct FusedBernoulliNLLTests {
    /// (rows, k, columns, target rows): rows and columns off the 6/12-row and 8/16/32-column tiles, one
    /// K block at its limit (512), and the two shapes the fused path hands back (k 513, 4097 columns).
    static let shapes: [(Int, Int, Int, Int)] = [
        (1, 1, 1, 1), (7, 3, 5, 7), (37, 64, 20, 37), (250, 17, 33, 5), (300, 200, 784, 50), (26, 512, 100, 13),
        (24, 513, 40, 12), (12, 8, 4097, 6),
    ]

    /// The layer's logits, as a dense layer computes them, then the standalone loss.
    static func twoSteps(_ input: [Float], _ weight: [Float], _ bias: [Float], _ targets: Tensor, rows: Int, k: Int)
        -> Tensor
    {
        let columns = bias.count
        var logits = [Float](repeating: 0, count: rows * columns)
        rp_sgemm_bias_activation(
            0, 0, Int32(rows), Int32(columns), Int32(k), input, Int32(k), weight, Int32(columns), bias,
            Int32(RP_ACT_IDENTITY.rawValue), &logits, Int32(columns))
        return bernoulliLogitsNLLRows(logits: Tensor(shape: [rows, columns], scalars: logits), targets: targets)
    }

    @Test func matchesLogitsThenLossBitForBit() {
        for (rows, k, columns, targetRows) in Self.shapes {
            var values = SplitMix(state: UInt64(rows * 7919 + k * 31 + columns))
            let input = values.values(rows * k), weight = values.values(k * columns, -0.3, 0.3)
            let bias = values.values(columns, -2, 2)
            // Binary pixels and grey levels both occur in practice.
            let targets = Tensor(
                shape: [targetRows, columns],
                scalars: values.values(targetRows * columns, 0, 1).enumerated().map {
                    $0 % 3 == 0 ? $1 : ($1 < 0.5 ? 0 : 1)
                })
            for isa in Kernels.supportedISAs {
                for threads in [1, 2] {
                    let (fused, reference) = Kernels.withOverrides(isa: isa, threads: threads) {
                        (
                            bernoulliLogitsNLLRows(
                                input: Tensor(shape: [rows, k], scalars: input),
                                weight: Tensor(shape: [k, columns], scalars: weight),
                                bias: Tensor(shape: [columns], scalars: bias), targets: targets),
                            Self.twoSteps(input, weight, bias, targets, rows: rows, k: k)
                        )
                    }
                    #expect(fused.shape == [rows])
                    let differing = zip(fused.scalars, reference.scalars).filter { $0.bitPattern != $1.bitPattern }
                    let example = differing.first.map { "fused \($0.0), logits then loss \($0.1)" } ?? ""
                    let shape = "\(rows)×\(k)×\(columns), \(isa), \(threads) threads"
                    #expect(differing.isEmpty, "\(shape): \(differing.count) rows differ (\(example))")
                }
            }
        }
    }

    /// Against the loss computed in double from double logits: the shared bits above are also right.
    @Test func agreesWithDoubleReference() {
        let (rows, k, columns, targetRows) = (30, 40, 50, 10)
        var values = SplitMix(state: 17)
        let input = values.values(rows * k), weight = values.values(k * columns, -0.5, 0.5)
        let bias = values.values(columns), x = values.values(targetRows * columns, 0, 1)
        let fused = bernoulliLogitsNLLRows(
            input: Tensor(shape: [rows, k], scalars: input), weight: Tensor(shape: [k, columns], scalars: weight),
            bias: Tensor(shape: [columns], scalars: bias), targets: Tensor(shape: [targetRows, columns], scalars: x))
        for r in 0..<rows {
            var exact = 0.0
            for j in 0..<columns {
                var l = Double(bias[j])
                for p in 0..<k { l += Double(input[r * k + p]) * Double(weight[p * columns + j]) }
                let t = Double(x[(r % targetRows) * columns + j])
                exact += Swift.max(l, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(l))) - t * l
            }
            // float logits (k = 40 terms) and float terms summed over 50 columns: well inside 1e-4 relative.
            #expect(Swift.abs(Double(fused.scalars[r]) - exact) <= 1e-4 * Swift.max(1, Swift.abs(exact)))
        }
    }
}
