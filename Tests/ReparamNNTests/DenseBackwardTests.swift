import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

/// A dense layer's pullback, whose ∂W the threads share out in column blocks, against the three products
/// it stands for, computed one by one: the same bits on every instruction set and thread count.
@Suite struct DenseBackwardTests {
    /// (batch, inputs, outputs, fraction of the input that is zero): outputs off the 64-column blocks and
    /// the tiles' widths, one block, many; inputs dense and sparse enough for the sparse ∂W path.
    static let shapes: [(Int, Int, Int, Float)] = [
        (1, 1, 1, 0), (7, 3, 5, 0), (100, 512, 784, 0), (100, 784, 512, 0.8), (128, 400, 20, 0.5), (33, 65, 129, 0),
        (100, 200, 100, 0.9), (12, 8, 64, 0),
    ]

    @Test func pullbackEqualsTheSeparateProducts() {
        for (batch, inputs, outputs, zeros) in Self.shapes {
            let keys = RandomKey(seed: UInt64(batch * 7919 + inputs * 31 + outputs)).split(4)
            let mask = keys[0].uniform([batch, inputs]).scalars.map { $0 < zeros ? Float(0) : 1 }
            let x = (2 * keys[1].uniform([batch, inputs]) - 1) * Tensor(shape: [batch, inputs], scalars: mask)
            let weight = keys[2].uniform([inputs, outputs]) - 0.5, bias = Tensor.zeros([outputs])
            let g = 2 * keys[3].uniform([batch, outputs]) - 1
            for isa in Kernels.supportedISAs {
                for threads in [1, 2] {
                    let (shared, separate) = Kernels.withOverrides(isa: isa, threads: threads) {
                        let pullback = valueWithPullback(at: x, weight, bias) { x, w, b in
                            dense(x, w, b, activation: .identity)
                        }.pullback
                        return (
                            pullback(g),
                            (
                                matmul(g, weight, transposeB: true), matmul(x, g, transposeA: true),
                                g.sum(alongAxes: [0])
                            )
                        )
                    }
                    let shape = "\(batch)×\(inputs)→\(outputs), \(Int(zeros * 100))% zeros, \(isa), \(threads) threads"
                    for (name, a, b) in [
                        ("∂x", shared.0, separate.0), ("∂W", shared.1, separate.1), ("∂b", shared.2, separate.2),
                    ] {
                        #expect(a.shape == b.shape, "\(shape): \(name) shape")
                        let differing = zip(a.scalars, b.scalars).filter { $0.bitPattern != $1.bitPattern }.count
                        #expect(differing == 0, "\(shape): \(differing) elements of \(name) differ")
                    }
                }
            }
        }
    }
}
