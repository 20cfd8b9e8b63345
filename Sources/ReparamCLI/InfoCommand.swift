import ArgumentParser
import Reparam

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show the instruction set and thread count the kernels use.")

    func run() {
        print(
            "instruction set: \(Kernels.isa) (supported: \(Kernels.supportedISAs.map(\.description).joined(separator: ", ")))"
        )
        print("threads:         \(Kernels.threads) (REPARAM_THREADS to change)")
        print(
            "sparse products: left operand at most \(Kernels.sparseDensityLimit) nonzero (REPARAM_SPARSE_DENSITY to change)"
        )
        print("parallel above:  \(Kernels.parallelThreshold) multiply-adds per GEMM")
        let subnormals = Kernels.flushesSubnormals ? "flushed" : "kept"
        print("subnormals:      \(subnormals) in Adam's update (REPARAM_SUBNORMALS to change)")
    }
}
