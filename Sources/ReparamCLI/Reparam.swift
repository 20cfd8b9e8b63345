import ArgumentParser
import Reparam

@main
struct ReparamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reparam",
        abstract: "Gradients through random sampling: estimators, diagnostics and benchmarks.",
        subcommands: [
            DemoCommand.self, LabCommand.self, VAECommand.self, DiscreteVAECommand.self, FlowCommand.self,
            RLCommand.self, PreferenceCommand.self, SweepCommand.self, DataCommand.self, BenchCommand.self,
            InfoCommand.self,
        ]
    )

    /// The parser reads `--epochs -1` as a flag missing its value and `-1` as an unknown option;
    /// joined into `--epochs=-1` the value reaches validation, which names the allowed range.
    static func main() {
        installQuitHandlers()
        main(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
    }
}

/// `--name -3` (or -0.5, -inf, -nan, -1e3) becomes `--name=-3`; everything else is unchanged.
func joiningNegativeValues(_ arguments: [String]) -> [String] {
    func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1 else { return false }
        return Double(text) != nil || ["-inf", "-infinity", "-nan"].contains(text.lowercased())
    }
    var out: [String] = []
    var i = 0
    while i < arguments.count {
        let argument = arguments[i]
        if argument == "--" { return out + arguments[i...] }
        if argument.hasPrefix("--"), argument.count > 2, !argument.contains("="), i + 1 < arguments.count,
            isNegativeNumber(arguments[i + 1])
        {
            out.append(argument + "=" + arguments[i + 1])
            i += 2
        } else {
            out.append(argument)
            i += 1
        }
    }
    return out
}

/// A --seed value: a whole number from 0 to 2⁶⁴ − 1. The parser's own message for `-1` or `1.5`
/// only says the value is invalid; this one says what a seed may be.
func seedArgument(_ text: String) throws -> UInt64 {
    guard let seed = UInt64(text) else {
        throw ValidationError("a seed is a whole number from 0 to \(UInt64.max)")
    }
    return seed
}

/// A file or folder path given to a flag: an empty one would name the current folder (and a
/// command would then read or write there), so it is refused by name.
func pathArgument(_ text: String) throws -> String {
    guard !text.isEmpty else { throw ValidationError("a path must not be empty") }
    return text
}

/// The items of a comma-separated flag value, trimmed, empty ones kept: "a,,b" and "" hold an
/// empty item, which each list's parser then refuses instead of silently skipping.
func commaList(_ text: String) -> [String] {
    text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
}

/// The widths of a --hidden list such as 400 or 200,200; an entry that is not a whole number
/// becomes −1 (which `checkHidden` and the configurations' checks report).
func hiddenWidths(_ text: String) -> [Int] { commaList(text).map { Int($0) ?? -1 } }

/// Refuses a --hidden list with an entry that is not a whole number, quoting what was given.
func checkHidden(_ text: String, example: String) throws {
    if hiddenWidths(text).contains(-1) {
        throw ValidationError("--hidden must be comma-separated whole numbers such as \(example), got '\(text)'")
    }
}

/// MemAvailable from /proc/meminfo in bytes (nil where there is none).
func availableMemoryBytes() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1024
}

/// Refuses a run whose estimated peak memory exceeds what the machine has available, before it
/// allocates (the allocator would otherwise stop it with a backtrace, possibly hours in).
func checkMemory(_ bytes: Double, what: String, advice: String) throws {
    guard let available = availableMemoryBytes(), bytes > available else { return }
    throw ValidationError(
        String(
            format: "%@ needs about %.1f GB of memory; this machine has %.1f GB available. %@",
            what, bytes / 1e9, available / 1e9, advice))
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
