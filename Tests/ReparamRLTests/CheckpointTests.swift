import Foundation
import ReparamTensor
import Testing

@testable import ReparamData
@testable import ReparamRL

@Suite("Checkpoints and resume")
struct CheckpointTests {
    static func folder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reparam-rl-\(name)-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A run stopped after `stopAfter` units of work and resumed ends exactly where the same run
    /// ends uninterrupted: same evaluations, same tensors.
    @Test(
        "A stopped and resumed run equals the uninterrupted one, bit for bit",
        arguments: [
            (EnvironmentKind.cartpole, AlgorithmKind.ppo, 3000, 3),
            (.acrobot, .a2c, 1500, 5),
            (.cartpole, .reinforce, 2500, 2),
            (.pendulum, .sac, 260, 150),
        ])
    func resume(environment: EnvironmentKind, algorithm: AlgorithmKind, steps: Int, stopAfter: Int) throws {
        let options = RLRunOptions(
            environment: environment, algorithm: algorithm, steps: steps, seed: 3, evaluationInterval: steps / 2,
            evaluationEpisodes: 2)
        let directory = Self.folder("\(environment.rawValue)-\(algorithm.rawValue)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.safetensors")
        let parts = directory.appendingPathComponent("parts.safetensors")
        let reference = try trainRL(options, control: RLRunControl(checkpoint: whole))

        var calls = 0
        let first = try trainRL(
            options,
            control: RLRunControl(
                checkpoint: parts,
                shouldStop: {
                    calls += 1
                    return calls > stopAfter
                }))
        #expect(first.stopped && first.step < steps)
        let saved = try RLSavedRun.read(parts)
        #expect(saved.state.step == first.step)
        let rest = try trainRL(options, control: RLRunControl(checkpoint: parts, resume: saved))
        #expect(!rest.stopped)
        #expect(rest.records.map(\.evaluation) == reference.records.map(\.evaluation))
        #expect(rest.records.map(\.step) == reference.records.map(\.step))

        let (a, b) = (try SafeTensors.read(whole), try SafeTensors.read(parts))
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) { #expect(x.tensor.scalars == y.tensor.scalars, "\(x.name)") }
        #expect(a.metadata["progress"] == b.metadata["progress"])
    }

    @Test("Damaged or foreign checkpoints are refused with the reason")
    func damaged() throws {
        let directory = Self.folder("damaged")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("run.safetensors")
        let options = RLRunOptions(
            environment: .cartpole, algorithm: .ppo, steps: 512, evaluationInterval: 512, evaluationEpisodes: 1)
        _ = try trainRL(options, control: RLRunControl(checkpoint: url))
        let good = try SafeTensors.read(url)

        // A NaN in a weight: named with its index when the run is restored.
        var poisoned = good
        var values = poisoned.tensors[0].tensor.scalars
        values[3] = .nan
        poisoned.tensors[0].tensor = Tensor(shape: poisoned.tensors[0].tensor.shape, scalars: values)
        try poisoned.write(to: url)
        let saved = try RLSavedRun.read(url)
        #expect {
            _ = try evaluateRL(saved, episodes: 1, seed: 0)
        } throws: { error in
            "\(error)".contains(good.tensors[0].name) && "\(error)".contains("element 3")
        }

        // Another format, and a truncated file.
        try SafeTensors(tensors: good.tensors, metadata: ["format": "reparam-vae-1"]).write(to: url)
        #expect { _ = try RLSavedRun.read(url) } throws: { "\($0)".contains("not a reinforcement-learning checkpoint") }
        try good.encoded().prefix(100).write(to: url)
        #expect(throws: DataFileError.self) { _ = try RLSavedRun.read(url) }

        // Resuming with other options than the saved ones (only --steps may change).
        try good.write(to: url)
        var other = options
        other.seed = 9
        let original = try RLSavedRun.read(url)
        #expect(throws: RLConfigurationError.self) {
            _ = try trainRL(other, control: RLRunControl(resume: original))
        }
    }

    @Test("A loss that stops being finite stops the run, naming the step, with the checkpoint unchanged")
    func nonFinite() throws {
        let directory = Self.folder("nonfinite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("run.safetensors")
        let options = RLRunOptions(
            environment: .cartpole, algorithm: .ppo, steps: 512, evaluationInterval: 512, evaluationEpisodes: 1)
        _ = try trainRL(options, control: RLRunControl(checkpoint: url))
        // Finite but enormous value weights: the first update's value loss overflows.
        var file = try SafeTensors.read(url)
        for i in file.tensors.indices where file.tensors[i].name.hasPrefix("model.value.") {
            file.tensors[i].tensor = Tensor(repeating: 1e30, shape: file.tensors[i].tensor.shape)
        }
        try file.write(to: url)
        let before = try Data(contentsOf: url)
        var longer = options
        longer.steps = 2048
        #expect {
            _ = try trainRL(longer, control: RLRunControl(checkpoint: url, resume: try RLSavedRun.read(url)))
        } throws: { error in
            error is RLTrainingFailure && "\(error)".contains("step") && "\(error)".contains("unchanged")
        }
        #expect(try Data(contentsOf: url) == before)
    }
}
