import Foundation
import ReparamTensor
import Testing

@Suite("Concurrent tasks")
struct ConcurrentTests {
    @Test("Both tasks run, return their results, and see the caller's overrides", arguments: [1, 2])
    func pair(threads: Int) {
        for isa in Kernels.supportedISAs {
            let (a, b) = Kernels.withOverrides(isa: isa, threads: threads) {
                Kernels.concurrently({ (Kernels.isa, Kernels.threads, 3 * 4) }, { (Kernels.isa, Kernels.threads, "b") })
            }
            #expect(a.0 == isa && b.0 == isa && a.2 == 12 && b.2 == "b")
            #expect(a.1 == threads && b.1 == threads)
        }
    }

    @Test("Kernels inside the tasks give the same numbers as outside them")
    func kernelsInside() {
        let x = Tensor(shape: [64, 96], scalars: (0..<(64 * 96)).map { sin(Float($0)) })
        let w = Tensor(shape: [96, 80], scalars: (0..<(96 * 80)).map { cos(0.7 * Float($0)) })
        let reference = matmul(x, w)
        let (a, b) = Kernels.withOverrides(threads: 2) {
            Kernels.concurrently({ matmul(x, w) }, { tanh(matmul(x, w)) })
        }
        #expect(a.scalars == reference.scalars)
        #expect(b.scalars == tanh(reference).scalars)
    }
}
