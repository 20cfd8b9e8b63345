import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing

/// A logits layer's Bernoulli loss fused into its product (`vae eval`'s decoder) against the two
/// steps it replaces: the same bits on every instruction set and thread count, whatever the edges.
@Suite struct FusedBernoulliNLLTests {
    /// (rows, k, columns, target rows): rows and columns off the 6/12-row and 8/16/32-column tiles, one
    /// K block at its limit (512), and the two shapes the fused path hands back (k 513, 4097 columns).
    static let shapes: [(Int, Int, Int, Int)] = [
        (1, 1, 1, 1), (7, 3, 5, 7), (37, 64, 20, 37), (250, 17, 33, 5), (300, 200, 784, 50), (26, 512, 100, 13),
        (24, 513, 40, 12), (12, 8, 4097, 6),
    ]

    /// A layer, its input and targets: binary pixels and grey levels both occur in practice.
    static func problem(rows: Int, k: Int, columns: Int, targetRows: Int) -> (Dense, Tensor, Tensor) {
        let keys = RandomKey(seed: UInt64(rows * 7919 + k * 31 + columns)).split(4)
        let layer = Dense(
            weight: 0.6 * keys[0].uniform([k, columns]) - 0.3, bias: 4 * keys[1].uniform([columns]) - 2)
        let input = 2 * keys[2].uniform([rows, k]) - 1
        let grey = keys[3].uniform([targetRows, columns]).scalars
        let targets = Tensor(
            shape: [targetRows, columns],
            scalars: grey.enumerated().map { $0 % 3 == 0 ? $1 : ($1 < 0.5 ? 0 : 1) })
        return (layer, input, targets)
    }

    @Test func matchesLogitsThenLossBitForBit() {
        for (rows, k, columns, targetRows) in Self.shapes {
            let (layer, input, targets) = Self.problem(rows: rows, k: k, columns: columns, targetRows: targetRows)
            for isa in Kernels.supportedISAs {
                for threads in [1, 2] {
                    let (fused, reference) = Kernels.withOverrides(isa: isa, threads: threads) {
                        (
                            layer.bernoulliLogitsNLLRows(input, targets: targets),
                            bernoulliLogitsNLLRows(logits: layer(input), targets: targets)
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
        let (layer, input, targets) = Self.problem(rows: rows, k: k, columns: columns, targetRows: targetRows)
        let fused = layer.bernoulliLogitsNLLRows(input, targets: targets).scalars
        let (a, w, b, x) = (input.scalars, layer.weight.scalars, layer.bias.scalars, targets.scalars)
        for r in 0..<rows {
            var exact = 0.0
            for j in 0..<columns {
                var l = Double(b[j])
                for p in 0..<k { l += Double(a[r * k + p]) * Double(w[p * columns + j]) }
                let t = Double(x[(r % targetRows) * columns + j])
                exact += Swift.max(l, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(l))) - t * l
            }
            // float logits (k = 40 terms) and float terms summed over 50 columns: well inside 1e-4 relative.
            #expect(Swift.abs(Double(fused[r]) - exact) <= 1e-4 * Swift.max(1, Swift.abs(exact)))
        }
    }
}
