import Foundation
import ReparamLab
import Testing

/// The modules `swift test` built, found from this file's location; nil when the build folder
/// is elsewhere (then the compile check cannot run).
private let builtModules: (modules: String, moduleMaps: [String])? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let debug = root.appendingPathComponent(".build/debug").resolvingSymlinksInPath()
    let modules = debug.appendingPathComponent("Modules").path
    // The C modules Reparam's interface pulls in: the kernels (generated map) and the system zlib.
    let moduleMaps = [
        debug.appendingPathComponent("CReparamKernels.build/module.modulemap").path,
        root.appendingPathComponent("Sources/CZlib/module.modulemap").path,
    ]
    guard FileManager.default.fileExists(atPath: modules + "/Reparam.swiftmodule"),
        moduleMaps.allSatisfy({ FileManager.default.fileExists(atPath: $0) })
    else {
        print("NaiveGradientTests: no debug build under \(debug.path); skipping the compile checks")
        return nil
    }
    return (modules, moduleMaps)
}()

/// Runs the compiler's mandatory passes (where differentiability is checked) on `source`.
private func compile(_ source: String) throws -> (status: Int32, output: String) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("naive-\(UUID().uuidString).swift")
    try source.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
        ["swiftc", "-emit-sil", "-o", "/dev/null", "-I", builtModules!.modules]
        + builtModules!.moduleMaps.flatMap { ["-Xcc", "-fmodule-map-file=\($0)"] } + [file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

@Suite("The gradient through sample() does not compile", .enabled(if: builtModules != nil), .serialized)
struct NaiveGradientTests {
    @Test("sample() is rejected with the diagnostic the lab quotes")
    func rejected() throws {
        let (status, output) = try compile(NaiveLab.rejectedSource)
        #expect(status != 0)
        for line in NaiveLab.diagnostic {
            #expect(output.contains(line), "the lab quotes '\(line)', the compiler said: \(output)")
        }
    }

    @Test("the same code with rsample() compiles (so the rejection is not a set-up failure)")
    func accepted() throws {
        let (status, output) = try compile(NaiveLab.acceptedSource)
        #expect(status == 0, "compiler said: \(output)")
    }
}
