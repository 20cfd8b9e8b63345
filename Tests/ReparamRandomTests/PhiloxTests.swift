import CReparamKernels
import Foundation
import ReparamRandom
import ReparamTensor
import ReparamTestSupport
import Testing

@Suite struct PhiloxTests {
    /// Random123's published known-answer vectors for Philox-4x32-10.
    @Test(arguments: [
        (
            [UInt32](repeating: 0, count: 4), [UInt32](repeating: 0, count: 2),
            [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8] as [UInt32]
        ),
        (
            [UInt32](repeating: 0xFFFF_FFFF, count: 4), [UInt32](repeating: 0xFFFF_FFFF, count: 2),
            [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]
        ),
        (
            [0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344], [0xA409_3822, 0x299F_31D0],
            [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]
        ),
    ])
    func knownAnswers(counter: [UInt32], key: [UInt32], expected: [UInt32]) {
        var out: [UInt32] = [0, 0, 0, 0]
        rp_philox4x32(counter, key, &out)
        #expect(out == expected)
        let viaKey = RandomKey(words: (key[0], key[1])).block((counter[0], counter[1], counter[2], counter[3]))
        #expect([viaKey.0, viaKey.1, viaKey.2, viaKey.3] == expected)
    }

    /// Value 64g + 16w + l of a fill is word w of block 16g + l, counter (block, 0, 0).
    @Test func bulkBitsFollowTheDocumentedLayout() {
        let key = RandomKey(seed: 0x1234_5678_9ABC_DEF0)
        let n = 64 * 3 + 17
        for isa in Kernels.supportedISAs {
            let bits = Kernels.withOverrides(isa: isa) { key.bits(count: n) }
            for index in 0..<n {
                let g = index / 64, w = (index % 64) / 16, l = index % 16
                let b = key.block((UInt32(16 * g + l), 0, 0, 0))
                #expect(bits[index] == [b.0, b.1, b.2, b.3][w], "value \(index) at \(isa)")
            }
        }
    }

    @Test func sameKeySameBitsForAnyThreadCountAndPrefix() {
        let key = RandomKey(seed: 42)
        let n = (1 << 18) + 37
        for isa in Kernels.supportedISAs {
            func fills(threads: Int) -> [[UInt32]] {
                Kernels.withOverrides(isa: isa, threads: threads) {
                    [
                        key.normal([n]).scalars.map(\.bitPattern), key.gumbel([n]).scalars.map(\.bitPattern),
                        key.bits(count: n),
                    ]
                }
            }
            let single = fills(threads: 1)
            let threaded = withPoolWorkers(runs: 3) { fills(threads: 2) }
            #expect(threaded.usedWorkers, "the pool never took all three fills")
            #expect(single == threaded.result, "\(isa)")
            // A shorter fill is a prefix of a longer one.
            let short = Kernels.withOverrides(isa: isa) { key.normal([1000]) }
            #expect(short.scalars.map(\.bitPattern) == Array(single[0].prefix(1000)))
        }
    }

    @Test func uniformBitsAgreeAcrossISAsAndNormalsNearly() {
        let key = RandomKey(seed: 7)
        let levels = Kernels.supportedISAs
        let uniforms = levels.map { isa in Kernels.withOverrides(isa: isa) { key.uniform([4099]) } }
        let normals = levels.map { isa in Kernels.withOverrides(isa: isa) { key.normal([4099]) } }
        for i in 1..<levels.count {
            #expect(uniforms[i] == uniforms[0])
            let gap = zip(normals[i].scalars, normals[0].scalars).map {
                Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1))
            }.max()!
            #expect(gap < 1e-5, "\(levels[i]) normals differ from portable by \(gap)")
        }
    }

    @Test func splitAndFoldGiveDistinctReproducibleKeys() {
        let key = RandomKey(seed: 1)
        let children = key.split(4)
        #expect(Set(children).count == 4 && !children.contains(key))
        #expect(children == key.split(4))
        #expect(key.split(2) == Array(children.prefix(2)))
        #expect(key.fold(in: 3) == key.fold(in: 3) && key.fold(in: 3) != key.fold(in: 4))
        #expect(!children.contains(key.fold(in: 0)))
        var g1 = key.makeGenerator(), g2 = key.makeGenerator()
        let draws = (0..<5).map { _ in Int.random(in: 0..<1_000_000, using: &g1) }
        #expect(draws == (0..<5).map { _ in Int.random(in: 0..<1_000_000, using: &g2) })
        #expect(Set(draws).count > 1)
    }
}

/// Moments of the fills, each within 5 standard errors of its exact value.
@Suite struct FillMomentTests {
    static let n = 1 << 20

    func moments(_ x: [Float]) -> (mean: Double, variance: Double) {
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count - 1)
        return (mean, variance)
    }

    @Test func uniform() {
        let x = RandomKey(seed: 11).uniform([Self.n]).scalars
        #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
        let (mean, variance) = moments(x)
        // Var U = 1/12; Var[(U − ½)²] = 1/80 − 1/144 = 1/180.
        #expect(Swift.abs(mean - 0.5) < 5 * (1.0 / 12 / Double(Self.n)).squareRoot())
        #expect(Swift.abs(variance - 1.0 / 12) < 5 * (1.0 / 180 / Double(Self.n)).squareRoot())
    }

    @Test func normal() {
        let x = RandomKey(seed: 12).normal([Self.n]).scalars
        #expect(x.allSatisfy { $0.isFinite })
        let (mean, variance) = moments(x)
        let n = Double(Self.n)
        #expect(Swift.abs(mean) < 5 / n.squareRoot())
        #expect(Swift.abs(variance - 1) < 5 * (2 / n).squareRoot())
        // Tail and body masses: P(|Z| > 3) and P(Z ≤ t) against Φ, binomial standard errors.
        for t in [-3.0, -1.5, -0.5, 0.0, 0.7, 2.0, 3.0] {
            let p = 0.5 * erfc(-t / 2.0.squareRoot())
            let observed = Double(x.lazy.filter { Double($0) <= t }.count) / n
            #expect(
                Swift.abs(observed - p) < 5 * (p * (1 - p) / n).squareRoot(), "P(Z ≤ \(t)) = \(observed), expected \(p)"
            )
        }
        let tail = 2 * 0.5 * erfc(3 / 2.0.squareRoot())
        let observedTail = Double(x.lazy.filter { Swift.abs($0) > 3 }.count) / n
        #expect(Swift.abs(observedTail - tail) < 5 * (tail * (1 - tail) / n).squareRoot())
    }

    @Test func gumbel() {
        let x = RandomKey(seed: 13).gumbel([Self.n]).scalars
        #expect(x.allSatisfy { $0.isFinite })
        let (mean, variance) = moments(x)
        let n = Double(Self.n), sigma2 = Double.pi * Double.pi / 6
        // Mean = Euler–Mascheroni γ; excess kurtosis 12/5, so Var of the sample variance ≈ 4.4σ⁴/n.
        #expect(Swift.abs(mean - 0.5772156649015329) < 5 * (sigma2 / n).squareRoot())
        #expect(Swift.abs(variance - sigma2) < 5 * (4.4 * sigma2 * sigma2 / n).squareRoot())
    }
}

@Suite struct OpenUniformTests {
    @Test("openUniform is the uniform fill with only its zeros moved inside (0, 1), so 1 − u never rounds to 0")
    func staysInsideTheOpenInterval() {
        let key = RandomKey(seed: 77)
        let (u, open) = (key.uniform([1 << 20]).scalars, key.openUniform([1 << 20]).scalars)
        #expect(zip(u, open).allSatisfy { $0 == 0 ? $1 == 0x1p-25 : $0 == $1 })
        #expect(open.allSatisfy { $0 > 0 && $0 < 1 && (1 - $0) > 0 })
        // The fill's largest value, 1 − 2⁻²⁴, must stay below 1: shifting by 2⁻²⁵ would round it to 1.
        let top: Float = 1 - 0x1p-24
        #expect(top + 0x1p-25 == 1, "the rounding this clamp avoids")
        #expect(u.max()! <= top)
    }
}

@Suite struct BernoulliFillTests {
    /// Sizes around the 64-value chunks and the stack buffer of 32 chunks, on one thread and split.
    @Test(arguments: [0, 1, 63, 64, 65, 2047, 2048, 2049, 20_000, 78_400])
    func drawsAreTheUniformsCompared(count: Int) {
        let key = RandomKey(seed: UInt64(count) &+ 17)
        // Probabilities spread over [0, 1], with exact 0, 1 and NaN among them (u < NaN is false).
        var p = key.fold(in: 1).uniform([count]).scalars
        for (i, special) in [Float(0), 1, .nan].enumerated() where i < count { p[i * count / 3] = special }
        let probabilities = Tensor(shape: [count], scalars: p)
        let u = key.uniform([count]).scalars
        let expected = zip(u, p).map { $0 < $1 ? Float(1) : 0 }
        for isa in Kernels.supportedISAs {
            for threads in [1, 2] {
                let drawn = Kernels.withOverrides(isa: isa, threads: threads) { key.bernoulli(probabilities) }
                #expect(drawn.shape == [count])
                let differing = zip(drawn.scalars, expected).filter { $0 != $1 }.count
                #expect(differing == 0, "\(count) draws, \(isa), \(threads) threads: \(differing) differ")
            }
        }
    }
}
