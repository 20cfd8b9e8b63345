import CReparamKernels
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamNN

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

    /// With an activation, the pullback computes g = act'(y) ⊙ v in chunks on both threads inside the same call:
    /// every gradient equals, bit for bit, the activation's backward pass over the whole of v followed by the
    /// separate products, for a dense layer and for a masked one (its runs restrict ∂x's products and ∂W's rows).
    @Test(arguments: Activation.allCases)
    func activationInsideEqualsTheSeparatePasses(activation: Activation) {
        for (batch, inputs, outputs) in [(1, 1, 1), (7, 3, 5), (100, 150, 200), (100, 200, 100), (33, 65, 129)] {
            let keys = RandomKey(seed: UInt64(batch * 131 + inputs * 7 + outputs)).split(5)
            let x = 2 * keys[0].uniform([batch, inputs]) - 1, bias = keys[1].uniform([outputs]) - 0.5
            let weight = keys[2].uniform([inputs, outputs]) - 0.5, v = 2 * keys[3].uniform([batch, outputs]) - 1
            // MADE-like runs: output j sees the inputs below a degree growing with j.
            let runs = Tensor(
                shape: [inputs, outputs],
                scalars: (0..<inputs).flatMap { i in
                    (0..<outputs).map { j in Float((j + 1) * inputs > i * outputs ? 1 : 0) }
                })
            for mask in [nil, WeightMask(runs)] {
                for isa in Kernels.supportedISAs {
                    for threads in [1, 2] {
                        Kernels.withOverrides(isa: isa, threads: threads) {
                            let (y, pullback) =
                                if let mask {
                                    valueWithPullback(at: x, weight, bias) { x, w, b in
                                        maskedDense(x, w, b, activation: activation, mask: mask)
                                    }
                                } else {
                                    valueWithPullback(at: x, weight, bias) { x, w, b in
                                        dense(x, w, b, activation: activation)
                                    }
                                }
                            let fused = pullback(v)
                            let separate = Self.separatePasses(x, weight, y, v, activation, mask)
                            let kind = mask == nil ? "dense" : "masked"
                            let what = "\(batch)×\(inputs)→\(outputs) \(activation) \(kind), \(isa), \(threads) threads"
                            for (name, a, b) in [
                                ("∂x", fused.0, separate.0), ("∂W", fused.1, separate.1), ("∂b", fused.2, separate.2),
                            ] {
                                #expect(a.shape == b.shape, "\(what): \(name) shape")
                                let differing = zip(a.scalars, b.scalars).filter { $0.bitPattern != $1.bitPattern }
                                    .count
                                #expect(differing == 0, "\(what): \(differing) elements of \(name) differ")
                            }
                        }
                    }
                }
            }
        }
    }

    /// g = act'(y) ⊙ v in one call over all of v, then ∂x = g·W'ᵀ, ∂W = xᵀ·g (masked: on each column's rows of
    /// the mask) and ∂b = Σ_rows g, each a call of its own.
    static func separatePasses(
        _ x: Tensor, _ weight: Tensor, _ y: Tensor, _ v: Tensor, _ activation: Activation, _ mask: WeightMask?
    ) -> (Tensor, Tensor, Tensor) {
        let g = Tensor.filled(y.shape) { out, count in
            v.withUnsafeScalars { pv in
                y.withUnsafeScalars { py in
                    rp_activation_backward_into(activation.kernelCode, py.baseAddress, pv.baseAddress, out, count)
                }
            }
        }
        guard let mask else {
            return (matmul(g, weight, transposeB: true), matmul(x, g, transposeA: true), g.sum(alongAxes: [0]))
        }
        let (m, k, n) = (Int32(x.shape[0]), Int32(x.shape[1]), Int32(weight.shape[1]))
        let products = (
            Tensor.filled([x.shape[0], x.shape[1]]) { out, _ in
                g.withUnsafeScalars { pg in
                    weight.withUnsafeScalars { pw in
                        rp_sgemm_extents(
                            0, 1, m, k, n, 1, pg.baseAddress, n, pw.baseAddress, n, 0, out, k, nil, 0,
                            mask.columnBegin, mask.columnEnd, nil, nil)
                    }
                }
            },
            Tensor.filled([x.shape[1], weight.shape[1]]) { out, _ in
                x.withUnsafeScalars { px in
                    g.withUnsafeScalars { pg in
                        rp_sgemm_extents(
                            1, 0, k, n, m, 1, px.baseAddress, k, pg.baseAddress, n, 0, out, n, nil, 0, nil, nil,
                            mask.rowBegin, mask.rowEnd)
                    }
                }
            }
        )
        return (products.0, products.1, g.sum(alongAxes: [0]))
    }
}
