import Foundation
import Testing

@testable import ReparamCLI

@Suite struct RunFolderTests {
    /// A checkpoint write a killed process left behind is removed when its run is continued; a
    /// live writer's file (this process's) and every other file stay.
    @Test func stalePartialCheckpointsAreRemoved() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        let live = ".checkpoint.safetensors.\(ProcessInfo.processInfo.processIdentifier).partial"
        // Process ids stay below 2²² on Linux, so this one belongs to no process.
        let dead = ".checkpoint.safetensors.999999999.partial"
        for name in [live, dead, "checkpoint.safetensors", "metrics.jsonl", ".hidden"] {
            #expect(FileManager.default.createFile(atPath: url.appendingPathComponent(name).path, contents: Data([1])))
        }
        _ = RunFolder.resuming(url.path)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: url.path))
        #expect(left == [live, "checkpoint.safetensors", "metrics.jsonl", ".hidden"])
    }
}
