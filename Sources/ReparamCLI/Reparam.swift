import ArgumentParser
import Reparam

@main
struct ReparamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reparam",
        abstract: "Gradients through random sampling: estimators, diagnostics and benchmarks.",
        subcommands: [DemoCommand.self, LabCommand.self, VAECommand.self, DiscreteVAECommand.self, FlowCommand.self,
                      RLCommand.self, PreferenceCommand.self, DataCommand.self, BenchCommand.self, InfoCommand.self]
    )
}

/// Flags every kernel-running command shares.
struct KernelOptions: ParsableArguments {
    @Option(help: "Threads for the kernels (1-64; default: REPARAM_THREADS or the number of cores).")
    var threads: Int?

    @Option(help: "Instruction set: portable, avx2 or avx512 (default: the best this CPU has).")
    var isa: String?

    func validate() throws {
        if let threads, !(1...64).contains(threads) {
            throw ValidationError("--threads must be between 1 and 64, got \(threads)")
        }
        if let isa, !["portable", "avx2", "avx512"].contains(isa) {
            throw ValidationError("--isa must be portable, avx2 or avx512, got '\(isa)'")
        }
    }
}

extension KernelOptions {
    /// `body` with --isa and --threads in force for this thread and the pool work it starts.
    func applied<R>(_ body: () throws -> R) rethrows -> R {
        let isa = self.isa.flatMap { name in Kernels.ISA.allCases.first { $0.description == name } }
        return try Kernels.withOverrides(isa: isa, threads: threads, body)
    }
}
