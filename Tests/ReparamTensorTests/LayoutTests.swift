import CReparamKernels
import ReparamTensor
import Testing
import _Differentiation

/// The permutation and gather kernels against index arithmetic, on shapes that leave partial 16 × 16
/// tiles, on ranks 1-5, and on sizes the pool splits (≥ 65 536 elements).
@Suite struct LayoutTests {
    /// Element i of `x.transposed(permutation)`, computed from the definition.
    static func reference(_ x: Tensor, _ permutation: [Int]) -> [Float] {
        let shape = permutation.map { x.shape[$0] }, count = shape.reduce(1, *)
        var sourceStrides = [Int](repeating: 1, count: x.rank)
        for i in stride(from: x.rank - 2, through: 0, by: -1) {
            sourceStrides[i] = sourceStrides[i + 1] * x.shape[i + 1]
        }
        return (0..<count).map { position in
            var rest = position, offset = 0
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                offset += (rest % shape[d]) * sourceStrides[permutation[d]]
                rest /= shape[d]
            }
            return x.scalars[offset]
        }
    }

    @Test(arguments: [
        ([37], [0]), ([19, 33], [1, 0]), ([19, 33], [0, 1]), ([3, 17, 40], [2, 0, 1]), ([3, 17, 40], [0, 2, 1]),
        ([3, 17, 40], [1, 0, 2]), ([2, 3, 5, 7, 2], [4, 2, 0, 3, 1]), ([300, 310], [1, 0]),
        ([4, 130, 150], [0, 2, 1]),
        ([0, 5], [1, 0]),
    ])
    func permutationMatchesIndexArithmetic(shape: [Int], permutation: [Int]) {
        let count = shape.reduce(1, *)
        let x = Tensor(shape: shape, scalars: (0..<count).map { Float($0) })
        let y = x.transposed(permutation)
        #expect(y.shape == permutation.map { shape[$0] })
        #expect(y.scalars == Self.reference(x, permutation))
        // One thread gives the same (a copy cannot differ, but the split must cover every tile once).
        let single = Kernels.withOverrides(threads: 1) { x.transposed(permutation) }
        #expect(single.scalars == y.scalars)
    }

    @Test func gatherAndItsAdjoint() {
        let x = Tensor(shape: [3, 2, 4], scalars: (0..<24).map { Float($0) })
        let indices = [3, 0, 1, 1, 2, 3]
        let y = x.gather(lastAxisIndices: indices)
        #expect(y.shape == [3, 2])
        #expect(y.scalars == indices.enumerated().map { Float($0.offset * 4 + $0.element) })
        let v = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let (_, pullback) = valueWithPullback(at: x) { $0.gather(lastAxisIndices: indices) }
        let g = pullback(v)
        for row in 0..<6 {
            for column in 0..<4 {
                #expect(g.scalars[row * 4 + column] == (column == indices[row] ? v.scalars[row] : 0))
            }
        }
    }

    /// The tensor forms round the scalar Double functions once, on any thread count.
    @Test func specialFunctionsOnTensorsMatchScalars() {
        let grid: [Float] = (0..<5000).map { (i: Int) -> Float in
            let position = 0.37 * Double(i % 97) + 0.001 * Double(i)
            return Float(0.01 + position)
        }
        let values: [Float] = grid + [-0.5, -2.3, 0, -3, .nan, .infinity]
        let x = Tensor(shape: [values.count], scalars: values)
        let cases: [(Tensor, (Double) -> Double)] = [
            (lgamma(x), Special.lgamma), (digamma(x), Special.digamma), (trigamma(x), Special.trigamma),
        ]
        for (tensor, scalar) in cases {
            let expected = values.map { Float(scalar(Double($0))) }
            #expect(zip(tensor.scalars, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
        let single = Kernels.withOverrides(threads: 1) { digamma(x) }
        #expect(zip(single.scalars, digamma(x).scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    @Test func powGradientIsZeroInTheExponentWhereTheBaseIsZero() {
        let x = Tensor([0, 2, 0.5]), y = Tensor([2, 3, 1.5])
        let (_, pullback) = valueWithPullback(at: x, y) { pow($0, $1) }
        let (gx, gy) = pullback(Tensor([1, 1, 1]))
        #expect(gy.scalars[0] == 0)
        #expect(Swift.abs(gy.scalars[1] - 8 * Float(0.6931472)) < 1e-5)
        #expect(Swift.abs(gx.scalars[1] - 12) < 1e-5)
    }
}
