import ArgumentParser
import CReparamKernels
import Foundation

/// Where the host put this machine's CPUs relative to each other, measured: on a VM, two virtual
/// CPUs may share an L3 cache now and sit on different ones a minute later, and two-thread
/// training runs ~35% slower in the second case. Benchmarks record it beside their timings.
struct PlacementBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement",
        abstract: "Round trip of a cache line between each pair of CPUs (shows when two vCPUs do not share a cache).")

    @Option(help: "Round trips per pair.") var trips = 200_000
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    func validate() throws {
        guard trips >= 1 else { throw ValidationError("--trips must be at least 1, got \(trips)") }
    }

    func run() throws {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        guard cpus >= 2 else {
            print(json ? jsonLine([("cpus", cpus)]) : "one CPU: nothing to measure")
            return
        }
        for a in 0..<cpus {
            for b in (a + 1)..<cpus {
                let nanoseconds = rp_core_round_trip_ns(Int32(a), Int32(b), Int32(clamping: trips))
                guard nanoseconds >= 0 else {
                    throw ValidationError("could not pin threads to CPUs \(a) and \(b) (no permission, or not Linux)")
                }
                if json {
                    print(jsonLine([("cpu_a", a), ("cpu_b", b), ("round_trip_ns", nanoseconds)]))
                } else {
                    print(String(format: "CPU %d ↔ CPU %d: %5.0f ns round trip", a, b, nanoseconds))
                }
            }
        }
        if !json {
            print(
                "(~100 ns: the two share an L3 cache; several times that: they do not, and threads pay for every line they pass)"
            )
        }
    }
}
