import ReparamTensor
import Testing
import _Differentiation

/// A shape mistake stops the program with a message naming the op and both shapes.
@Suite struct ShapeErrorTests {
    @Test func broadcastMismatchNamesOpAndShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("+: shapes [2, 3] and [4] do not broadcast"), "stderr: \(message)")
    }

    @Test func matmulMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("matmul: inner dimensions differ: [2, 3] · [4, 5]"), "stderr: \(message)")
    }

    @Test func gradientThroughMismatchStillNamesTheOp() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = gradient(at: Tensor.zeros([3])) { x in (x * Tensor.zeros([2])).sumToFloat() }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("*: shapes [3] and [2] do not broadcast"), "stderr: \(message)")
    }
}

@Suite struct ShapelessZeroTests {
    @Test func productsWithTheShapelessZeroStayZero() {
        let x = Tensor([1, 2])
        #expect((Tensor.zero * x).isShapelessZero && (x * .zero).isShapelessZero && (Tensor.zero / x).isShapelessZero)
    }

    @Test func elementwiseOpOnTheShapelessZeroIsNamed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = exp(Tensor.zero)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("shapeless zero tangent"), "stderr: \(message)")
    }

    @Test func nestedKernelOverridesRestoreTheOuterOnes() {
        let processISA = Kernels.isa
        Kernels.withOverrides(threads: 1) {
            Kernels.withOverrides(isa: .portable) {
                #expect(Kernels.threads == 1 && Kernels.isa == .portable)
            }
            #expect(Kernels.threads == 1 && Kernels.isa == processISA)
        }
    }

    @Test func rowIndexOutOfRangeIsNamed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4, 3]).rows([1, 4])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("rows: index 4 at position 1 is outside 0..<4"), "stderr: \(message)")
    }
}

/// Picking rows copies them whole, in the order asked, also when the copy is split across threads.
@Suite struct RowGatherTests {
    @Test func rowsMatchAPlainCopyAtEveryThreadCount() {
        let (count, width) = (3000, 70)
        let x = Tensor(shape: [count, width], scalars: (0..<(count * width)).map { Float($0) })
        let picks = (0..<1500).map { ($0 * 7919) % count }
        for threads in [1, 2] {
            let picked = Kernels.withOverrides(threads: threads) { x.rows(picks) }
            #expect(picked.shape == [picks.count, width])
            let expected = picks.flatMap { row in (0..<width).map { Float(row * width + $0) } }
            #expect(picked.scalars == expected, "\(threads) thread(s)")
        }
    }
}
