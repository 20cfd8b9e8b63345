import Foundation
import Testing

/// The `reparam` executable built beside this test bundle (SwiftPM builds every product for
/// `swift test`), or nil when it is not there.
private let reparam: URL? = {
    let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let candidate = bundle.deletingLastPathComponent().appendingPathComponent("reparam")
    return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
}()

/// Runs `reparam arguments`; `whenLine` sees each stdout line and the process, so a test can
/// signal it mid-run. Returns the exit status.
private func run(_ arguments: [String], whenLine: (String, Process) -> Void = { _, _ in }) throws -> Int32 {
    let process = Process()
    process.executableURL = reparam
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var pending = Data()
    while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
        pending += chunk
        while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
            whenLine(String(decoding: pending[..<end], as: UTF8.self), process)
            pending = pending[(end + 1)...]
        }
    }
    process.waitUntilExit()
    return process.terminationStatus
}

@Suite struct SignalTests {
    /// What Slurm and Kubernetes do before killing a job: SIGTERM mid-run. The run saves and
    /// exits 143; resumed, it ends with the same checkpoint, byte for byte, as a run never
    /// stopped (batches and noise derive from the seed and the step).
    @Test(.enabled(if: reparam != nil, "needs the reparam executable beside the test bundle"))
    func sigtermThenResumeEqualsAnUninterruptedRun() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("signal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let straight = folder.appendingPathComponent("straight").path
        let stopped = folder.appendingPathComponent("stopped").path
        let flags = [
            "--task", "two-moons", "--flow", "realnvp", "--layers", "2", "--hidden", "16", "--steps", "6000",
            "--eval-every", "200", "--json", "--threads", "1",
        ]
        #expect(try run(["flow", "train"] + flags + ["--out", straight]) == 0)
        var signalled = false
        let status = try run(["flow", "train"] + flags + ["--out", stopped]) { line, process in
            // The first evaluation's line: the handlers are installed and training is under way.
            if !signalled && line.hasPrefix("{") {
                signalled = true
                kill(process.processIdentifier, SIGTERM)
            }
        }
        #expect(signalled && status == 143, "exit status \(status)")
        #expect(try run(["flow", "train", "--resume", stopped, "--steps", "6000", "--json", "--threads", "1"]) == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: straight).appendingPathComponent("checkpoint.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: stopped).appendingPathComponent("checkpoint.safetensors"))
        let identical = a == b  // outside #expect, which would diff the buffers element by element on a mismatch
        #expect(identical, "the resumed run's checkpoint differs from the uninterrupted one's")
    }
}
