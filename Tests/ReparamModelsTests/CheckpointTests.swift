import Foundation
import ReparamData
import ReparamFlows
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing

@testable import ReparamModels

/// A small configuration and data set so training steps are quick in a debug build.
private func smallRun(posterior: PosteriorKind = .diagonal) -> (VAEConfiguration, Tensor) {
    var c = VAEConfiguration()
    (c.inputSize, c.hidden, c.latent, c.batchSize, c.seed) = (784, [32], 4, 25, 7)
    c.binarize = true
    if posterior != .diagonal { (c.posterior, c.flowSteps, c.objective, c.samples) = (posterior, 2, .iwae, 2) }
    return (c, RandomKey(seed: 12).uniform([200, 784]))
}

private func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
}

@Suite("VAE checkpoints")
struct CheckpointTests {
    @Test("a checkpoint round-trips every parameter, Adam moment, the configuration and the state")
    func roundTrip() throws {
        let (configuration, data) = smallRun()
        var trainer = VAETrainer(configuration: configuration)
        var steps = 0
        _ = try trainer.runEpoch(data, shouldStop: { steps == 3 }) { _ in steps += 1 }
        let url = temporaryFile("round.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try trainer.checkpoint.write(to: url)
        let loaded = try VAECheckpoint.read(url)
        #expect(loaded.configuration == configuration && loaded.state == trainer.state && loaded.state.batch == 3)
        for path in trainer.model.parameterPaths {
            #expect(loaded.model[keyPath: path.value] == trainer.model[keyPath: path.value], "\(path.name)")
        }
        #expect(loaded.optimizer.step == 3)
        #expect(zip(loaded.optimizer.first, trainer.checkpoint.optimizer.first).allSatisfy { $0 == $1 })
        #expect(zip(loaded.optimizer.second, trainer.checkpoint.optimizer.second).allSatisfy { $0 == $1 })
    }

    @Test(
        "stopping mid-epoch, saving, loading and resuming gives bit-identical parameters to an uninterrupted run",
        arguments: PosteriorKind.allCases)
    func resume(posterior: PosteriorKind) throws {
        let (configuration, data) = smallRun(posterior: posterior)
        var straight = VAETrainer(configuration: configuration)
        for _ in 0..<2 { _ = try straight.runEpoch(data) }

        var first = VAETrainer(configuration: configuration)
        _ = try first.runEpoch(data)
        var batches = 0
        #expect(try first.runEpoch(data, shouldStop: { batches == 5 }) { _ in batches += 1 } == false)
        let url = temporaryFile("resume.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.checkpoint.write(to: url)
        var resumed = VAETrainer(checkpoint: try VAECheckpoint.read(url))
        #expect(try resumed.runEpoch(data) == true)
        #expect(resumed.state == straight.state)
        for path in straight.model.parameterPaths {
            #expect(
                resumed.model[keyPath: path.value] == straight.model[keyPath: path.value],
                "\(path.name) differs after resuming")
        }
    }

    @Test("an IAF posterior saved with another MADE layout is refused; the others need no layout")
    func madeLayout() throws {
        for posterior in PosteriorKind.allCases {
            let url = temporaryFile("layout.safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try VAETrainer(configuration: smallRun(posterior: posterior).0).checkpoint.write(to: url)
            #expect(try VAECheckpoint.read(url).configuration.posteriorKind == posterior)
            var file = try SafeTensors.read(url)
            file.metadata[MADE.layoutKey] = "unsorted"
            try file.write(to: url)
            if posterior == .iaf {
                #expect { try VAECheckpoint.read(url) } throws: { "\($0)".contains("train it again") }
            } else {
                #expect(try VAECheckpoint.read(url).configuration.posteriorKind == posterior)
            }
        }
    }

    /// A NaN or infinity in any parameter or Adam moment is refused on loading, by tensor and
    /// element, before `vae eval` could print nan or `vae sample` convert it to a pixel.
    @Test("a checkpoint holding a non-finite value is refused, naming the tensor and element")
    func nonFiniteValues() throws {
        let url = temporaryFile("nan.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try VAETrainer(configuration: smallRun(posterior: .iaf).0).checkpoint.write(to: url)
        let clean = try SafeTensors.read(url)
        let last = clean.tensors.count - 1
        for (victim, value) in [(0, Float.nan), (last / 2, .infinity), (last, -.infinity)] {
            var file = clean
            var scalars = file.tensors[victim].tensor.scalars
            scalars[scalars.count / 2] = value
            file.tensors[victim].tensor = Tensor(shape: file.tensors[victim].tensor.shape, scalars: scalars)
            try file.write(to: url)
            let name = file.tensors[victim].name
            #expect { try VAECheckpoint.read(url) } throws: {
                let message = "\($0)"
                return message.contains("'\(name)'") && message.contains("element \(scalars.count / 2)")
                    && message.contains("\(value)")
            }
        }
    }

    @Test("malformed checkpoints are reported by file and reason")
    func malformed() throws {
        let (configuration, _) = smallRun()
        let url = temporaryFile("bad.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let good = VAETrainer(configuration: configuration).checkpoint
        try good.write(to: url)
        let bytes = try Data(contentsOf: url)
        let cases: [(Data, String)] = [
            (Data(), "too short"),
            (bytes.prefix(bytes.count - 100), "cover"),
            (Data([255, 255, 255, 255, 0, 0, 0, 0]) + bytes.dropFirst(8), "header length"),
            (
                Data(bytes.prefix(8)) + Data(repeating: 0x20, count: Int(bytes[0]) | Int(bytes[1]) << 8)
                    + bytes.dropFirst(8 + (Int(bytes[0]) | Int(bytes[1]) << 8)), "JSON"
            ),
        ]
        for (data, phrase) in cases {
            try data.write(to: url)
            do {
                _ = try VAECheckpoint.read(url)
                Issue.record("accepted a checkpoint that should fail with '\(phrase)'")
            } catch let error as DataFileError {
                #expect(error.file == url.path && error.reason.contains(phrase), "\(error)")
            }
        }
        // Tensors of another architecture do not load into this configuration.
        var smaller = configuration
        smaller.latent = 3
        let wrong = VAETrainer(configuration: smaller).model
        let saved = try temporarySaved(good)
        defer { try? FileManager.default.removeItem(at: saved) }
        let metadata = try SafeTensors.read(saved).metadata
        try SafeTensors(tensors: wrong.parameterPaths.map { ($0.name, wrong[keyPath: $0.value]) }, metadata: metadata)
            .write(to: url)
        do {
            _ = try VAECheckpoint.read(url)
            Issue.record("loaded tensors of the wrong shape")
        } catch let error as DataFileError {
            #expect(error.reason.contains("the configuration needs"), "\(error)")
        }
    }

    private func temporarySaved(_ checkpoint: VAECheckpoint) throws -> URL {
        let url = temporaryFile("meta.safetensors")
        try checkpoint.write(to: url)
        return url
    }

    @Test("the checkpoint loads in Python's safetensors, tensor for tensor", .enabled(if: pythonHasSafetensors))
    func python() throws {
        let (configuration, _) = smallRun()
        let url = temporaryFile("python.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let checkpoint = VAETrainer(configuration: configuration).checkpoint
        try checkpoint.write(to: url)
        let script = """
            import sys
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1])
            for name in sorted(t): print(name, list(t[name].shape), repr(float(t[name].astype('float64').sum())))
            """
        let output = try runPython(script, url.path)
        for path in checkpoint.model.parameterPaths {
            let tensor = checkpoint.model[keyPath: path.value]
            let line = output.split(separator: "\n").first { $0.hasPrefix(path.name + " ") }
            let fields = try #require(line, "Python did not list \(path.name)").split(separator: " ")
            let sum = tensor.scalars.reduce(0.0) { $0 + Double($1) }
            #expect(Double(fields.last!)! == sum, "\(path.name): Python sum \(fields.last!) vs \(sum)")
        }
    }
}

private let pythonHasSafetensors: Bool = {
    let available = (try? runPython("import safetensors, numpy")) != nil
    if !available { print("CheckpointTests: skipping the Python check (python3 with safetensors and numpy not found)") }
    return available
}()

private func runPython(_ script: String, _ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
    return output
}

@Suite("Training failures")
struct TrainingFailureTests {
    @Test("a loss that overflows stops training at that step, naming it, with the last good parameters kept")
    func nonFinite() throws {
        var (configuration, data) = smallRun()
        configuration.learningRate = 1e30
        var trainer = VAETrainer(configuration: configuration)
        var lastGood = trainer.model
        do {
            for _ in 0..<3 {
                _ = try trainer.runEpoch(data, afterBatch: { t in lastGood = t.model })
            }
            Issue.record("training with a learning rate of 1e30 never failed")
        } catch let error as NonFiniteTrainingError {
            #expect(error.step == trainer.state.step, "\(error)")
            #expect(
                error.description.contains("step \(error.step)")
                    && (error.detail.contains("parameter") || error.detail.contains("gradient")), "\(error)")
            for path in trainer.model.parameterPaths {
                #expect(
                    trainer.model[keyPath: path.value] == lastGood[keyPath: path.value],
                    "\(path.name) changed in the failing step")
            }
        }
    }
}
